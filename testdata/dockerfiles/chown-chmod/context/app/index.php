<?php echo "owned by www-data";
