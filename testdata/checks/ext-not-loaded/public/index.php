<?php

// The app's front controller.
require __DIR__ . '/../vendor/autoload.php';

echo 'Hello from Lambda';
