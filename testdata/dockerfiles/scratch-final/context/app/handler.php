<?php return fn () => "ok";
