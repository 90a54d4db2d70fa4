<?php require "current/boot.php";
