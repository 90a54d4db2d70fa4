<?php // excluded
