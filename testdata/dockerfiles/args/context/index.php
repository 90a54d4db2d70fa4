<?php echo getenv("APP_DIR");
