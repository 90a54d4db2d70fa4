<?php class Baz {}
