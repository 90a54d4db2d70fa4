<?php

// Stand-in for Composer's generated autoloader.
return [];
