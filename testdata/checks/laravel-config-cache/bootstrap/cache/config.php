<?php return array (
  'app' => 
  array (
    'name' => 'Laravel',
    'env' => 'local',
    'debug' => true,
  ),
  'view' => 
  array (
    'paths' => 
    array (
      0 => '/home/runner/work/app/app/resources/views',
    ),
    'compiled' => '/home/runner/work/app/app/storage/framework/views',
  ),
);
