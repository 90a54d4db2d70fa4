<?php

// Stand-in for the autoloader composer install generates.
return [];
