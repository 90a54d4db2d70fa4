<?php // x
