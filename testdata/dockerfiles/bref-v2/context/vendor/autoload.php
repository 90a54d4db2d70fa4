<?php // composer autoloader
