<?php // not copied
