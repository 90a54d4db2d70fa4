<?php // main
