// Package benchfix generates, deterministically, the fixtures of brefimg's
// benchmark (`make bench`, scripts/bench.sh): images shaped like Bref's at
// their real size, and a Laravel-like app.
//
// Images ([Image], [Seed]): [BaseRef] "bref/php-80-fpm:1", a Bref v1 FPM base
// of about 150 MB compressed in four layers shaped like Bref's (Amazon
// Linux's root file system, AWS's runtime interface, PHP under /opt/bref, the
// FPM runtime), with the config and history of AWS's provided:al2 (FACTS §1);
// and the 0.x extension images [RedisRef] and [GmpRef]. Binaries are mostly
// incompressible bytes; text files are generated prose.
//
// The app ([NewApp], [App.Write], [WriteApp]): at scale 1 about 8,300
// files and 60 MB, mostly Composer's vendor/ (the packages of a Laravel 8
// app on Bref), plus app/, config/, routes/, database/, resources/,
// public/index.php, artisan, composer.json and composer.lock. PHP files are
// generated from a vocabulary with a skewed distribution, so that they
// compress about as well as real PHP (3 to 4 times with gzip). At scale n
// the app grows about n times; the images stay the same. [ChangeFile]
// rewrites one file of app/, the "one file changed" of a warm rebuild.
//
// Every byte comes from a xoshiro256** generator seeded from [RandomSeed]
// and the file's path, so files can be generated in any order and in
// parallel, and the same seed gives the same bytes on every machine; the
// gzip streams of the image layers are the standard library's, so image
// digests hold for one Go release.
package benchfix
