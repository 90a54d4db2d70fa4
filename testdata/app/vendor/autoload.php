<?php

// Stand-in for Composer's generated autoloader.
require_once __DIR__ . '/composer/autoload_real.php';
