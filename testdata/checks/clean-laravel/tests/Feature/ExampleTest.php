<?php

namespace Tests\Feature;

use Tests\TestCase;

class ExampleTest extends TestCase
{
}
