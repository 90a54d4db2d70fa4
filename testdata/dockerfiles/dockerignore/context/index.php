<?php require "vendor/autoload.php";
