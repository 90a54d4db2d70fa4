<?php // left out
