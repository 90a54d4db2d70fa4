// Package checks finds the mistakes of a Bref app that fail only after
// deploy, from the app directory and plain inputs, before anything is built
// or pushed: missing PHP extensions, a bref/bref library of another major
// than the image, a PHP version the Composer files refuse, a wrong handler,
// a missing or ignored vendor/, dev dependencies and secrets baked into the
// image, and ini mistakes. The Lambda limits of the final image and /tmp
// are the builder's checks, not these.
//
// [Run] takes an [Input] (the app directory, the Bref line, PHP version,
// runtime, extension images, handler, image environment, …) and returns
// findings.Finding values; each check is also an exported function on plain
// data: [MissingExtensions], [BrefLibrary], [PHPVersion], [Handler],
// [Vendor], [DevPackages], [Secrets], [IniScanDir], [UnloadedExtensions]
// and, for what frameworks write under the read-only /var/task,
// [ReadOnlyTask] ([Laravel], [Symfony]). [AutoExtensions] is what --ext
// auto adds, [ChooseLine] the Bref line used when --bref is not given (the
// app's bref/bref), and [ChoosePHP] the PHP version used when --php is not
// given.
//
// The app layer is what [LoadApp] lists: the app directory with the
// .dockerignore rules applied exactly as layers.FromDir applies them, or
// the paths of an app layer already built ([NewApp]).
//
// Finding paths are relative to the app directory for app files
// ("composer.json", "public/index.php", ".dockerignore") and absolute for
// image paths ("/opt/bref-extra/redis.so"); lines are 1-based, 0 when there
// is none.
//
// # Finding IDs
//
// IDs are stable (the constants in ids.go). Each with its severity and an
// example message:
//
//   - composer-invalid (error): composer.json:6: composer.json is not a
//     valid Composer file: invalid character '}' looking for beginning of
//     object key string; fix it (composer validate checks composer.json)
//   - ext-missing (error): composer.json:6: ext-gmp, required by
//     composer.json and acme/bigint, is not in the Bref 3 base image: add
//     the extension gmp (image bref/extra-gmp-php-84:3)
//   - ext-disabled (error): composer.json:6: ext-intl, required by
//     composer.json, is shipped disabled in the Bref 2 base image: add a file
//     php/conf.d/intl.ini to the app containing "extension=intl" (it lands
//     in /var/task/php/conf.d)
//   - ext-cli-only (warning): composer.lock:17: ext-pcntl, required by
//     laravel/horizon, is loaded by the PHP CLI only, not by php-fpm: code
//     that calls it fails in the fpm runtime; run that code in the console or
//     function runtime
//   - ext-unavailable (error): composer.json:6: ext-bz2, required by
//     composer.json, is in no Bref 3 image: drop the requirement, or build
//     the extension into a layer of your own and load it with an ini file in
//     php/conf.d
//   - bref-version (error): composer.lock:6: composer.lock has bref/bref
//     2.1.5 but the image is built on Bref 3: the runtime and the library
//     must have the same major version; use Bref 2, or upgrade the library
//     with composer require bref/bref:^3 (for a 0.x library: Bref 0.x had
//     no container images, upgrade the app to Bref 1 or newer)
//   - bref-missing (error): composer.json:8: bref/bref is a require-dev
//     package, so composer install --no-dev leaves it out, but the Bref 3
//     runtime loads it from vendor/: move it to require (composer require
//     bref/bref:^3)
//   - php-require (error): composer.json:4: PHP 8.2 does not satisfy
//     require.php "^8.4" of composer.json: use PHP 8.5, or change
//     require.php
//   - php-platform (error when older, warning when newer): composer.json:12:
//     config.platform.php is "8.2.0": Composer resolved the dependencies for
//     PHP 8.2, not for the image's PHP 8.4; use PHP 8.2, or set
//     config.platform.php to "8.4.0" and run composer update
//   - php-package (error): composer.lock:15: acme/legacy 1.4.2 requires PHP
//     ">=8.2 <8.4", which PHP 8.4 does not satisfy: use PHP 8.3, or run
//     composer update for PHP 8.4 (set config.platform.php to 8.4)
//   - php-unsatisfiable (error): composer.json:4: no PHP version of Bref 3
//     (8.2, 8.3, 8.4 and 8.5) satisfies require.php "~8.1.0" of
//     composer.json: use Bref 2 with PHP 8.1, or change the PHP requirements
//   - handler-missing (error): public/index.php: the CMD handler
//     "public/index.php" is not in the app: Lambda would fail at the first
//     request; check e.g. and that the file exists in the app dir
//   - handler-not-php (error): public/index.html: the fpm runtime serves the
//     CMD handler "public/index.html" through php-fpm, which runs .php files
//     only: name the PHP front controller, e.g. e.g. public/index.php
//   - handler-no-return (error): index.php: the function runtime calls what
//     the CMD handler "index.php" returns, and it has no return statement:
//     end it with e.g. return function ($event) { return 'Hello'; };
//   - vendor-missing (error): vendor/autoload.php: vendor/autoload.php is
//     missing, and every Bref runtime loads it: run composer install
//     --no-dev --optimize-autoloader before brefimg (the file
//     BREF_AUTOLOAD_PATH names when the image sets it; not checked with
//     Bref 1's BREF_DOWNLOAD_VENDOR)
//   - vendor-ignored (error): .dockerignore:3: the .dockerignore pattern
//     "vendor" excludes vendor/autoload.php from the app, and every Bref
//     runtime loads it: remove the pattern (or add !vendor), and run
//     composer install --no-dev before brefimg
//   - dev-packages (warning): vendor/composer/installed.json:13: vendor/
//     holds 1 require-dev package (phpunit/phpunit), as
//     vendor/composer/installed.json records ("dev": true): it would be
//     baked into the image; run composer install --no-dev
//     --optimize-autoloader before brefimg
//   - laravel-storage (warning): composer.json:6: Laravel writes compiled
//     Blade views, its file cache and logs under storage/, and its config
//     cache under bootstrap/cache/, but /var/task is read-only on Lambda:
//     composer require bref/laravel-bridge (it moves storage to
//     /tmp/storage and caches the config there at the first cold start)
//   - laravel-config-cache (warning): bootstrap/cache/config.php:12:
//     bootstrap/cache/config.php was generated with the app in
//     /home/runner/work/app/app, not /var/task: on Lambda Laravel would use
//     that machine's paths …; run php artisan config:clear before brefimg
//     (the bridge caches the config in /tmp at the first cold start)
//   - symfony-cache-dir (warning): src/Kernel.php:8: the Symfony kernel
//     keeps its cache in var/cache and its logs in var/log, under
//     /var/task, which is read-only on Lambda: extend
//     Bref\SymfonyBridge\BrefKernel instead (composer require
//     bref/symfony-bridge)
//   - symfony-cache-warmup (warning): var/cache/prod: var/cache/prod is not
//     in the app, so Symfony compiles its container and caches at every
//     cold start, which takes seconds: run php bin/console cache:clear
//     --env=prod (it warms the cache) before brefimg
//   - symfony-dotenv (error without .env, warning with it): .env: neither
//     .env nor .env.local.php is in the app, and Symfony's runtime loads
//     /var/task/.env at boot and fails when it is missing: write
//     .env.local.php before brefimg: echo "<?php return [];" >
//     .env.local.php takes every value from Lambda's environment
//   - secret-dotenv (warning): .env: .env is in the app: it would be baked
//     into the image; add it to .dockerignore, and set its secrets as Lambda
//     environment variables or SSM parameters
//   - secret-auth-json (warning): auth.json: auth.json (Composer's registry
//     credentials) is in the app: it would be baked into the image; add it
//     to .dockerignore
//   - secret-private-key (warning): config/jwt/private.pem: config/jwt/private.pem
//     holds a private key: it would be baked into the image; add it to
//     .dockerignore, and load the key from AWS Secrets Manager or SSM at run
//     time
//   - secret-git (warning): .git: .git/ is in the app: the repository
//     history, with any secret ever committed, would be baked into the image;
//     add .git to .dockerignore
//   - ini-scan-dir (error without /opt/bref/etc/php/conf.d, warning without
//     /var/task/php/conf.d only): PHP_INI_SCAN_DIR=/var/task/ini leaves out
//     /opt/bref/etc/php/conf.d: PHP would not read Bref's ini files nor those
//     of the extension images, so their extensions are not loaded; set
//     PHP_INI_SCAN_DIR=/opt/bref/etc/php/conf.d:/var/task/php/conf.d:/var/task/ini
//   - ext-not-loaded (error under /opt, warning in the app):
//     /opt/bref-extra/redis.so: /opt/bref-extra/redis.so is in the image but
//     no ini file loads it, so PHP never loads redis: copy the extension
//     image's ini file too (COPY --from=<image> /opt /opt copies both), or
//     add php/conf.d/redis.ini to the app containing
//     "extension=/opt/bref-extra/redis.so"
//
// The fixture apps of testdata/checks/<id> produce these findings; the
// tests assert each one's ID, severity, file, line and fix.
package checks
