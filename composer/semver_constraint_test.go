package composer

// The data of composer/semver's tests/Constraint/ConstraintTest.php,
// MultiConstraintTest.php, MatchAllConstraintTest.php,
// MatchNoneConstraintTest.php and tests/CompilingMatcherTest.php (see
// semver_helpers_test.go for the commit read). A case is expressible when
// one side is a version, "== V": the package checks versions against
// constraints, which is Composer's Constraint::matches with such a
// provider. Left out, as the package has nothing that expresses them:
//   - the cases of successfulVersionMatches (67 of 89) and
//     failingVersionMatches (74 of 119) with no "==" on either side, such
//     as "< 2" against "> 1": they ask whether two constraints intersect;
//   - the matchSpecific(..., true) half of testComparableBranches, and
//     the cases with a "!=" provider of testMultiConstraintConjunctiveFillWithTrue
//     and MatchNoneConstraintTest: constraint against constraint again;
//   - testVersionCompareInvalidArgumentException and invalidOperators (3):
//     the package builds comparisons only from parsed operators;
//   - bounds (28 + 5), boundsIntegration (4),
//     testMultipleMultiConstraintsMerging...: getLowerBound and
//     getUpperBound, not part of the package;
//   - matrix (1296) and the compile() and Intervals assertions of every
//     test: they check that Composer's several implementations agree with
//     matches(), and the package has one;
//   - testMultiVersionProvidedMatchSucceeds, ...InsideForeachLoop,
//     testConjunctiveMatchesDisjunctiveFalse: constraint against
//     constraint;
//   - getPrettyString, isConjunctive, isDisjunctive and
//     testInverseMatchingOtherConstraints: accessors and mocks of
//     Composer's objects ([Constraint.String] is the pretty string, and
//     constraint_test.go checks it);
//   - multiConstraintOptimizations and testMatchAllConstraintWithin...
//     are in TestComposerParseConstraints.

import "testing"

// versionMatch is a case of successfulVersionMatches or
// failingVersionMatches: new Constraint(reqOp, reqVer) against new
// Constraint(provOp, provVer), versions as given, not normalised.
type versionMatch struct{ reqOp, reqVer, provOp, provVer string }

// successfulVersionMatches is ConstraintTest::successfulVersionMatches.
var successfulVersionMatches = []versionMatch{
	{"==", "2", "==", "2"},
	{"==", "2", "<", "3"},
	{"==", "2", "<=", "2"},
	{"==", "2", "<=", "3"},
	{"==", "2", ">=", "1"},
	{"==", "2", ">=", "2"},
	{"==", "2", ">", "1"},
	{"==", "2", "!=", "1"},
	{"==", "2", "!=", "3"},
	{"<", "2", "==", "1"},
	{"<", "2", "<", "1"},
	{"<", "2", "<", "2"},
	{"<", "2", "<", "3"},
	{"<", "2", "<=", "1"},
	{"<", "2", "<=", "2"},
	{"<", "2", "<=", "3"},
	{"<", "2", ">=", "1"},
	{"<", "2", ">", "1"},
	{"<", "2", "!=", "1"},
	{"<", "2", "!=", "2"},
	{"<", "2", "!=", "3"},
	{"<=", "2", "==", "1"},
	{"<=", "2", "==", "2"},
	{"<=", "2", "<", "1"},
	{"<=", "2", "<", "2"},
	{"<=", "2", "<", "3"},
	{"<=", "2", "<=", "1"},
	{"<=", "2", "<=", "2"},
	{"<=", "2", "<=", "3"},
	{"<=", "2", ">=", "1"},
	{"<=", "2", ">=", "2"},
	{"<=", "2", ">", "1"},
	{"<=", "2", "!=", "1"},
	{"<=", "2", "!=", "2"},
	{"<=", "2", "!=", "3"},
	{">=", "2", "==", "2"},
	{">=", "2", "==", "3"},
	{">=", "2", "<", "3"},
	{">=", "2", "<=", "2"},
	{">=", "2", "<=", "3"},
	{">=", "2", ">=", "1"},
	{">=", "2", ">=", "2"},
	{">=", "2", ">=", "3"},
	{">=", "2", ">", "1"},
	{">=", "2", ">", "2"},
	{">=", "2", ">", "3"},
	{">=", "2", "!=", "1"},
	{">=", "2", "!=", "2"},
	{">=", "2", "!=", "3"},
	{">", "2", "==", "3"},
	{">", "2", "<", "3"},
	{">", "2", "<=", "3"},
	{">", "2", ">=", "1"},
	{">", "2", ">=", "2"},
	{">", "2", ">=", "3"},
	{">", "2", ">", "1"},
	{">", "2", ">", "2"},
	{">", "2", ">", "3"},
	{">", "2", "!=", "1"},
	{">", "2", "!=", "2"},
	{">", "2", "!=", "3"},
	{"!=", "2", "!=", "1"},
	{"!=", "2", "!=", "2"},
	{"!=", "2", "!=", "3"},
	{"!=", "2", "==", "1"},
	{"!=", "2", "==", "3"},
	{"!=", "2", "<", "1"},
	{"!=", "2", "<", "2"},
	{"!=", "2", "<", "3"},
	{"!=", "2", "<=", "1"},
	{"!=", "2", "<=", "2"},
	{"!=", "2", "<=", "3"},
	{"!=", "2", ">=", "1"},
	{"!=", "2", ">=", "2"},
	{"!=", "2", ">=", "3"},
	{"!=", "2", ">", "1"},
	{"!=", "2", ">", "2"},
	{"!=", "2", ">", "3"},
	{"==", "dev-foo-bar", "==", "dev-foo-bar"},
	{"==", "dev-events+issue-17", "==", "dev-events+issue-17"},
	{"==", "dev-foo-bar", "!=", "dev-foo-xyz"},
	{"!=", "dev-foo-bar", "!=", "dev-foo-xyz"},
	{"==", "0.12", "!=", "dev-foo"},
	{"<", "0.12", "!=", "dev-foo"},
	{"<=", "0.12", "!=", "dev-foo"},
	{">=", "0.12", "!=", "dev-foo"},
	{">", "0.12", "!=", "dev-foo"},
	{"!=", "0.12", "==", "dev-foo"},
	{"!=", "0.12", "!=", "dev-foo"},
}

// failingVersionMatches is ConstraintTest::failingVersionMatches.
var failingVersionMatches = []versionMatch{
	{"==", "2", "==", "1"},
	{"==", "2", "==", "3"},
	{"==", "2", "<", "1"},
	{"==", "2", "<", "2"},
	{"==", "2", "<=", "1"},
	{"==", "2", ">=", "3"},
	{"==", "2", ">", "2"},
	{"==", "2", ">", "3"},
	{"==", "2", "!=", "2"},
	{"<", "2", "==", "2"},
	{"<", "2", "==", "3"},
	{"<", "2", ">=", "2"},
	{"<", "2", ">=", "3"},
	{"<", "2", ">", "2"},
	{"<", "2", ">", "3"},
	{"<=", "2", "==", "3"},
	{"<=", "2", ">=", "3"},
	{"<=", "2", ">", "2"},
	{"<=", "2", ">", "3"},
	{">=", "2", "==", "1"},
	{">=", "2", "<", "1"},
	{">=", "2", "<", "2"},
	{">=", "2", "<=", "1"},
	{">", "2", "==", "1"},
	{">", "2", "==", "2"},
	{">", "2", "<", "1"},
	{">", "2", "<", "2"},
	{">", "2", "<=", "1"},
	{">", "2", "<=", "2"},
	{"!=", "2", "==", "2"},
	{"==", "2.0-b2", "<", "2.0-beta2"},
	{"==", "dev-foo-dist", "==", "dev-foo-zist"},
	{"==", "dev-foo-bar", "==", "dev-foo-xyz"},
	{"==", "dev-foo-bar", "<", "dev-foo-xyz"},
	{"==", "dev-foo-bar", "<=", "dev-foo-xyz"},
	{"==", "dev-foo-bar", ">=", "dev-foo-xyz"},
	{"==", "dev-foo-bar", ">", "dev-foo-xyz"},
	{"<", "dev-foo-bar", "==", "dev-foo-xyz"},
	{"<", "dev-foo-bar", "<", "dev-foo-xyz"},
	{"<", "dev-foo-bar", "<=", "dev-foo-xyz"},
	{"<", "dev-foo-bar", ">=", "dev-foo-xyz"},
	{"<", "dev-foo-bar", ">", "dev-foo-xyz"},
	{"<", "dev-foo-bar", "!=", "dev-foo-xyz"},
	{"<=", "dev-foo-bar", "==", "dev-foo-xyz"},
	{"<=", "dev-foo-bar", "<", "dev-foo-xyz"},
	{"<=", "dev-foo-bar", "<=", "dev-foo-xyz"},
	{"<=", "dev-foo-bar", ">=", "dev-foo-xyz"},
	{"<=", "dev-foo-bar", ">", "dev-foo-xyz"},
	{"<=", "dev-foo-bar", "!=", "dev-foo-xyz"},
	{">=", "dev-foo-bar", "==", "dev-foo-xyz"},
	{">=", "dev-foo-bar", "<", "dev-foo-xyz"},
	{">=", "dev-foo-bar", "<=", "dev-foo-xyz"},
	{">=", "dev-foo-bar", ">=", "dev-foo-xyz"},
	{">=", "dev-foo-bar", ">", "dev-foo-xyz"},
	{">=", "dev-foo-bar", "!=", "dev-foo-xyz"},
	{">", "dev-foo-bar", "==", "dev-foo-xyz"},
	{">", "dev-foo-bar", "<", "dev-foo-xyz"},
	{">", "dev-foo-bar", "<=", "dev-foo-xyz"},
	{">", "dev-foo-bar", ">=", "dev-foo-xyz"},
	{">", "dev-foo-bar", ">", "dev-foo-xyz"},
	{">", "dev-foo-bar", "!=", "dev-foo-xyz"},
	{"==", "dev-foo-bar", "<", "dev-foo-bar"},
	{"==", "dev-foo-bar", "<=", "dev-foo-bar"},
	{"==", "dev-foo-bar", ">=", "dev-foo-bar"},
	{"==", "dev-foo-bar", ">", "dev-foo-bar"},
	{"==", "dev-foo-bar", "!=", "dev-foo-bar"},
	{"<", "dev-foo-bar", "==", "dev-foo-bar"},
	{"<", "dev-foo-bar", "<", "dev-foo-bar"},
	{"<", "dev-foo-bar", "<=", "dev-foo-bar"},
	{"<", "dev-foo-bar", ">=", "dev-foo-bar"},
	{"<", "dev-foo-bar", ">", "dev-foo-bar"},
	{"<", "dev-foo-bar", "!=", "dev-foo-bar"},
	{"<=", "dev-foo-bar", "==", "dev-foo-bar"},
	{"<=", "dev-foo-bar", "<", "dev-foo-bar"},
	{"<=", "dev-foo-bar", "<=", "dev-foo-bar"},
	{"<=", "dev-foo-bar", ">=", "dev-foo-bar"},
	{"<=", "dev-foo-bar", ">", "dev-foo-bar"},
	{"<=", "dev-foo-bar", "!=", "dev-foo-bar"},
	{">=", "dev-foo-bar", "==", "dev-foo-bar"},
	{">=", "dev-foo-bar", "<", "dev-foo-bar"},
	{">=", "dev-foo-bar", "<=", "dev-foo-bar"},
	{">=", "dev-foo-bar", ">=", "dev-foo-bar"},
	{">=", "dev-foo-bar", ">", "dev-foo-bar"},
	{">=", "dev-foo-bar", "!=", "dev-foo-bar"},
	{">", "dev-foo-bar", "==", "dev-foo-bar"},
	{">", "dev-foo-bar", "<", "dev-foo-bar"},
	{">", "dev-foo-bar", "<=", "dev-foo-bar"},
	{">", "dev-foo-bar", ">=", "dev-foo-bar"},
	{">", "dev-foo-bar", ">", "dev-foo-bar"},
	{">", "dev-foo-bar", "!=", "dev-foo-bar"},
	{"==", "0.12", "==", "dev-foo"},
	{"==", "0.12", "<", "dev-foo"},
	{"==", "0.12", "<=", "dev-foo"},
	{"==", "0.12", ">=", "dev-foo"},
	{"==", "0.12", ">", "dev-foo"},
	{"<", "0.12", "==", "dev-foo"},
	{"<", "0.12", "<", "dev-foo"},
	{"<", "0.12", "<=", "dev-foo"},
	{"<", "0.12", ">=", "dev-foo"},
	{"<", "0.12", ">", "dev-foo"},
	{"<=", "0.12", "==", "dev-foo"},
	{"<=", "0.12", "<", "dev-foo"},
	{"<=", "0.12", "<=", "dev-foo"},
	{"<=", "0.12", ">=", "dev-foo"},
	{"<=", "0.12", ">", "dev-foo"},
	{">=", "0.12", "==", "dev-foo"},
	{">=", "0.12", "<", "dev-foo"},
	{">=", "0.12", "<=", "dev-foo"},
	{">=", "0.12", ">=", "dev-foo"},
	{">=", "0.12", ">", "dev-foo"},
	{">", "0.12", "==", "dev-foo"},
	{">", "0.12", "<", "dev-foo"},
	{">", "0.12", "<=", "dev-foo"},
	{">", "0.12", ">=", "dev-foo"},
	{">", "0.12", ">", "dev-foo"},
	{"!=", "0.12", "<", "dev-foo"},
	{"!=", "0.12", "<=", "dev-foo"},
	{"!=", "0.12", ">=", "dev-foo"},
	{"!=", "0.12", ">", "dev-foo"},
}

// asVersionCheck turns a case with "==" on one side into the comparison
// of the other side and the version, and reports whether it has one.
// Composer's test checks both directions; with "==" they are the same
// comparison.
func (m versionMatch) asVersionCheck() (atom, version, bool) {
	switch {
	case m.provOp == "==":
		return rawAtom(m.reqOp, m.reqVer), version{norm: m.provVer}, true
	case m.reqOp == "==":
		return rawAtom(m.provOp, m.provVer), version{norm: m.reqVer}, true
	}
	return atom{}, version{}, false
}

// TestComposerConstraintMatches ports successfulVersionMatches
// (testVersionMatchSucceeds) and failingVersionMatches
// (testVersionMatchFails), for the cases with a version on one side.
func TestComposerConstraintMatches(t *testing.T) {
	sets := []struct {
		provider    string
		cases       []versionMatch
		want        bool
		expressible int
	}{
		{"successfulVersionMatches", successfulVersionMatches, true, 22},
		{"failingVersionMatches", failingVersionMatches, false, 45},
	}
	for _, set := range sets {
		n := 0
		for _, m := range set.cases {
			a, v, ok := m.asVersionCheck()
			if !ok {
				continue
			}
			n++
			t.Run(set.provider+"/"+m.reqOp+m.reqVer+" "+m.provOp+m.provVer, func(t *testing.T) {
				if got := a.matches(v); got != set.want {
					t.Errorf("%s %s against == %s: %v, want %v", a.op, a.ver, v, got, set.want)
				}
			})
		}
		if n != set.expressible {
			t.Errorf("%s: %d cases with a version, want %d", set.provider, n, set.expressible)
		}
	}
}

// TestComposerConstraintObjects ports the tests of single constraint
// objects against a version: testComparableBranches (its matches half),
// MultiConstraintTest's testMultiVersionMatchSucceeds,
// testMultiVersionMatchFails and testMultiConstraintNotconjunctiveFillWithFalse,
// MatchAllConstraintTest::testMatches, the "==" half of
// MatchNoneConstraintTest::testMatches (the zero Constraint matches
// nothing, as MatchNoneConstraint) and CompilingMatcherTest.
func TestComposerConstraintObjects(t *testing.T) {
	oneAtom := func(op, v string) Constraint { return Constraint{groups: [][]atom{{rawAtom(op, v)}}} }
	tests := []struct {
		source  string
		c       Constraint
		version string
		want    bool
	}{
		{"testComparableBranches", oneAtom(">", "0.12"), "dev-foo", false},
		{"testComparableBranches", oneAtom("<", "0.12"), "dev-foo", false},
		{"testMultiVersionMatchSucceeds", Constraint{groups: [][]atom{{rawAtom(">", "1.0"), rawAtom("<", "1.2")}}}, "1.1", true},
		{"testMultiVersionMatchFails", Constraint{groups: [][]atom{{rawAtom(">", "1.0"), rawAtom("<", "1.2")}}}, "1.2", false},
		{"testMultiConstraintNotconjunctiveFillWithFalse", Constraint{groups: [][]atom{{rawAtom(">", "dev-foo")}, {rawAtom(">", "dev-bar")}}}, "1.1", false},
		{"MatchAllConstraintTest::testMatches", Constraint{groups: [][]atom{{{op: "*"}}}}, "1.1", true},
		{"MatchNoneConstraintTest::testMatches", Constraint{}, "1.1", false},
		{"MatchNoneConstraintTest::testMatches", Constraint{}, "dev-foo", false},
		{"CompilingMatcherTest::testMatch", oneAtom(">=", "1"), "2", true},
		{"CompilingMatcherTest::testCacheKey", oneAtom(">=", "2.11"), "1.0", false},
		{"CompilingMatcherTest::testCacheKey", oneAtom(">=", "2.1"), "11.0", true},
	}
	for _, tc := range tests {
		t.Run(tc.source+"/"+tc.version, func(t *testing.T) {
			if got := tc.c.matches(version{norm: tc.version}); got != tc.want {
				t.Errorf("%v against == %s: %v, want %v", tc.c.groups, tc.version, got, tc.want)
			}
		})
	}
}
