<?php

require __DIR__ . '/../vendor/autoload.php';

$controller = new App\HelloController();
echo $controller->hello($_GET['name'] ?? 'world');
