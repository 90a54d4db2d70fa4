<?php function util() {}
