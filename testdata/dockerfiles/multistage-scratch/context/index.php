<?php echo "multi-stage";
