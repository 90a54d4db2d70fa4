<?php // left out by vendor/*/tests
