<?php
// Excluded from the image by .dockerignore.
