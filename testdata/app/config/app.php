<?php

return ['cache_dir' => '/tmp/cache'];
