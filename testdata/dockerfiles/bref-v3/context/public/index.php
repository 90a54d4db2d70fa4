<?php echo "Hello from Bref 3";
