<?php

namespace App;

final class HelloController
{
    public function hello(string $name): string
    {
        $visits = extension_loaded('redis') ? 'redis ready' : 'redis missing';
        $big = extension_loaded('gmp') ? gmp_strval(gmp_pow(2, 100)) : 'gmp missing';
        return sprintf("Hello %s! (%s, 2^100 = %s)\n", htmlspecialchars($name), $visits, $big);
    }
}
