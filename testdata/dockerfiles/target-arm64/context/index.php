<?php echo php_uname("m");
