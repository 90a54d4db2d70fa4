<?php // b
