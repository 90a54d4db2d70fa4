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
// [ParseConstraint] follows composer/semver's VersionParser and the rules of
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
//   - stability flags ("@dev", "@stable") and aliases ("1.0 as 2.0") are
//     stripped; stability suffixes ("-beta2", "-RC1", "-dev") order as
//     dev < alpha < beta < RC < stable; an unsuffixed lower bound (">=1.2",
//     "~1.2", "^1.2") also admits the pre-releases of that version, an
//     unsuffixed "<1.3" excludes those of 1.3, as Composer does;
//   - "dev-main" and other branch names only equal themselves.
//
// Versions are held as [semver.Version] values of
// github.com/Masterminds/semver/v3, whose ordering of MAJOR.MINOR.PATCH
// agrees with Composer's; Composer's stabilities are encoded as pre-release
// identifiers that order the same way. The constraint grammar is Composer's,
// translated here rather than handed to semver.NewConstraint, because the
// two disagree on "~1.2" (npm's <1.3 in Masterminds), on a partial version
// after ">" or "<=" (">1.2" excludes 1.2.5 and "<=1.3" admits 1.3.5 there),
// on "|" (refused there), on stability flags and on pre-releases
// (Masterminds excludes every pre-release unless the constraint names one).
// The tests check both: the same results where the semantics agree, and a
// difference where they do not.
//
// Not supported: four-part versions with a non-zero fourth part
// ("1.2.3.4"), date versions ("20240101") and "-patch"/"-pl" versions,
// which compare as the release they patch. They are parse errors, except
// the last.
package composer
