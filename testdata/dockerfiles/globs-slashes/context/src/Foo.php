<?php class Foo {}
