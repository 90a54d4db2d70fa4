<?php // a
