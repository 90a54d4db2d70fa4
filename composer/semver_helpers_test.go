package composer

// The semver_*_test.go files port the data providers of composer/semver's
// test suite (github.com/composer/semver), read at commit
// a5e1d2d4a0db4a8dce9a4b076d41e329e2599e31 of its main branch, 12 commits
// after tag 3.4.4 (commit 198166618906cb2de69b95d7d47e5fa8aa1b2b95); its
// tests differ from 3.4.4's only by the isValidVersions provider, added
// after it. They are the data of tests/VersionParserTest.php,
// tests/Constraint/*Test.php, tests/CompilingMatcherTest.php,
// tests/SemverTest.php and tests/ComparatorTest.php, as Go tables; each
// table says which provider or test method it comes from, and a comment
// says which cases are left out and why.
//
// Where Composer's test calls Semver::satisfies, the port calls
// [Constraint.Check]; where it calls a VersionParser function or compares
// a Constraint object, the port calls the package's port of that function
// (parseVersion for normalize, normalizeBranch, parseStability) or renders
// the parsed constraint as Composer's __toString does (composerString), so
// that the expected values are Composer's, copied unchanged.

import (
	"strings"
	"testing"
)

// composerString renders c as composer/semver renders the constraint
// VersionParser::parseConstraints returns: a comparison is "OP VERSION"
// ("== 1.0.0.0", "*" for anything), AND-ed comparisons are "[a b]", and
// OR-ed groups "[a || b]" (contiguous ranges already merged, see
// mergeContiguous).
func composerString(c Constraint) string {
	var parts []string
	for _, g := range c.groups {
		parts = append(parts, groupString(g))
	}
	if len(parts) == 1 {
		return parts[0]
	}
	return "[" + strings.Join(parts, " || ") + "]"
}

// atomString renders one comparison as Constraint::__toString does.
func atomString(a atom) string {
	if a.op == "*" {
		return "*"
	}
	return a.op + " " + a.ver.norm
}

// groupString renders AND-ed comparisons: one alone, several in brackets.
func groupString(g []atom) string {
	if len(g) == 1 {
		return atomString(g[0])
	}
	var s []string
	for _, a := range g {
		s = append(s, atomString(a))
	}
	return "[" + strings.Join(s, " ") + "]"
}

// mustParse parses a constraint or fails the test.
func mustParse(t *testing.T, s string) Constraint {
	t.Helper()
	c, err := ParseConstraint(s)
	if err != nil {
		t.Fatalf("ParseConstraint(%q): %v", s, err)
	}
	return c
}

// rawAtom is composer/semver's new Constraint(op, v): the version as
// given, not normalised, and the operator as Composer stores it.
func rawAtom(op, v string) atom {
	return atom{op: normalizeOp(op), ver: version{norm: v}}
}
