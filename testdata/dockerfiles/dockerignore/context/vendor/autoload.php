<?php // autoloader
