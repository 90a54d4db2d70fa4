<?php

// Stand-in for the container bin/console cache:clear --env=prod compiles.
return [];
