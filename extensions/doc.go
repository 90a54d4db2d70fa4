// Package extensions is the Bref catalog: which base image a build starts from
// for a given Bref major line, PHP version, runtime and architecture, and which
// bref/extra-* extension images exist for each line and PHP version.
//
// The package is pure data and logic: it does no I/O and imports only the
// standard library. Every error it returns is a bad-input error meant to be
// shown to the user as it is: it names the input at fault and says what to do.
//
// The facts it encodes come from the public Bref sources:
//
//   - base images: the brefphp/aws-lambda-layers Makefile on the 2.x and main
//     branches, and runtime/Makefile of brefphp/bref 1.x;
//   - extension images: the Makefile and layers/*/config.json of
//     brefphp/extra-php-extensions on the 0.x (Bref 1), 1.x (Bref 2) and
//     master (Bref 3) branches;
//   - extension images are published for x86_64 only on every line
//     (extra-php-extensions README and issue #622).
//
// Bref base images and extension images are single-architecture repositories,
// not multi-arch indexes, and each reference returned here carries the line's
// major tag (":1", ":2", ":3"): an untagged bref/php-80-fpm silently moved from
// Bref 1 to Bref 2 in March 2023 (brefphp/bref#1458).
package extensions
