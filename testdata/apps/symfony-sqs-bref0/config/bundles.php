<?php

return [
    Symfony\Bundle\FrameworkBundle\FrameworkBundle::class => ['all' => true],
    Bref\Messenger\BrefMessengerBundle::class => ['all' => true],
];
