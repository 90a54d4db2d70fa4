<?php return array (
  'app' => 
  array (
    'name' => 'Laravel',
    'env' => 'local',
    'debug' => true,
    'url' => 'http://localhost',
  ),
  'view' => 
  array (
    'paths' => 
    array (
      0 => '/home/matthieu/dev/examples/Laravel/base/resources/views',
    ),
    'compiled' => '/home/matthieu/dev/examples/Laravel/base/storage/framework/views',
  ),
);
