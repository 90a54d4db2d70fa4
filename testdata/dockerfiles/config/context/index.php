<?php return fn ($event) => $event;
