// Package composer reads a PHP app's Composer files and evaluates Composer
// version constraints, with Composer's own semantics.
//
// # Files
//
// [Load] reads composer.json, composer.lock and vendor/composer/installed.json
// (both the Composer 1 array and the Composer 2 {"packages": [...]} shapes)
// with encoding/json. Findings need the line of a key such as "ext-gmp"; it is
// found by walking the raw bytes with a [encoding/json.Decoder] and its token
// offsets, never by matching text.
//
// # Constraints
//
// [ParseConstraint] is a port of composer/semver's
// VersionParser::parseConstraints, and [Constraint.Check] of
// Semver::satisfies; the rules are those of
// getcomposer.org/doc/articles/versions.md:
//
//   - "," or " " is AND, "||" or "|" is OR; AND binds tighter than OR;
//   - ">=1.0", ">1.0", "<1.0", "<=1.0", "!=1.0" ("<>" too), "=1.0" and a bare
//     "1.0" (exact);
//   - "~1.2" is >=1.2 <2.0 and "~1.2.3" is >=1.2.3 <1.3 (the last given part
//     may go up; "~1" is "~1.0");
//   - "^1.2.3" is >=1.2.3 <2.0, "^0.3" is >=0.3 <0.4, "^0.0.3" is >=0.0.3 <0.0.4;
//   - "1.0.*" is >=1.0 <1.1 and "*" is anything;
//   - "1.0 - 2.0" is >=1.0 <2.1 (a partial upper bound is a wildcard) and
//     "1.0.0 - 2.1.0" is >=1.0.0 <=2.1.0;
//   - aliases ("1.0 as 2.0") and commit references ("dev-main#abc") are
//     dropped; a stability flag ("@dev", "@beta") moves the version of a
//     comparison other than "=" to that stability (">2.0@dev" is
//     >2.0.0.0-dev), and is otherwise dropped;
//   - versions have up to four numbers ("1.2.3.4"), or are date versions
//     ("20240101", "2010-01-02-10-20-30"); stability suffixes order as
//     dev < alpha < beta < RC < stable < patch ("-p1", "-pl2", "-patch3");
//     an unsuffixed lower bound (">=1.2", "~1.2", "^1.2") also admits the
//     pre-releases of that version, an unsuffixed "<1.3" excludes those of
//     1.3, as Composer does;
//   - numeric branches are versions ("2.x-dev" is
//     2.9999999.9999999.9999999-dev, "2.0.3.x-dev" 2.0.3.9999999-dev);
//     other branches ("dev-main", "feature-dev") only equal themselves.
//
// Versions are normalised as VersionParser::normalize does ("1.0.0RC1dev"
// is 1.0.0.0-RC1-dev) and kept as those strings, and two versions are
// compared with a port of PHP's version_compare, which is what Composer's
// Constraint does. The grammar is Composer's, translated here rather than
// handed to github.com/Masterminds/semver's NewConstraint, because the two
// disagree on "~1.2" (npm's <1.3 in Masterminds), on a partial version
// after ">" or "<=" (">1.2" excludes 1.2.5 and "<=1.3" admits 1.3.5 there),
// on "|" (refused there), on stability flags and on pre-releases
// (Masterminds excludes every pre-release unless the constraint names one).
// The tests check both: the same results where the semantics agree, and a
// difference where they do not. They also run the data of composer/semver's
// own test suite (semver_*_test.go).
//
// What is not ported: Composer's constraint-against-constraint matching,
// intervals and bounds (the package only checks versions), its Comparator's
// ordering of a branch against a number (a constraint never orders them;
// [NewestSatisfying] skips branches), and the wording of its errors. A
// version Check cannot parse satisfies nothing, where Composer throws; and
// a range bound above the largest int64 ("^99999999999999999999") stays an
// exact decimal where PHP's arithmetic turns it into a float.
package composer
