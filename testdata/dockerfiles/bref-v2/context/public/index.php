<?php echo "Hello from Bref 2";
