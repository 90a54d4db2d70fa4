<?php class Bar {}
