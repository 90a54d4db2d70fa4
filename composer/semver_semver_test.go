package composer

// The data of composer/semver's tests/SemverTest.php and
// tests/ComparatorTest.php, and VersionParserTest's testComplexConjunctive
// (see semver_helpers_test.go for the commit read). Left out, as the
// package has nothing that expresses them:
//   - sortProvider's second case, ["dev-foo", "dev-master", "1.0",
//     "50.2"]: Semver::sort orders dev-master as 9999999-dev and dev-foo
//     below every number; the package never orders branches
//     ([NewestSatisfying] skips them);
//   - testUsortShouldInitialVersionParserClass: PHP reflection;
//   - ComparatorTest's greaterThan("1.26.0", "dev-foo") and
//     lessThan("dev-foo", "1.26.0"): Comparator compares with
//     compareBranches, ordering a branch below every number, which no
//     constraint does.

import (
	"slices"
	"testing"
)

// TestComposerSatisfies ports satisfiesProvider (testSatisfies, with
// satisfiesProviderPositive and satisfiesProviderNegative) and
// testComplexConjunctive: Semver::satisfies is [Constraint.Check].
func TestComposerSatisfies(t *testing.T) {
	tests := []struct {
		version, constraint string
		want                bool
	}{
		{"1.2.3", "1.0.0 - 2.0.0", true},
		{"1.2.3", "^1.2.3+build", true},
		{"1.3.0", "^1.2.3+build", true},
		{"2.4.3-alpha", "1.2.3+asdf - 2.4.3+asdf", true},
		{"1.3.0-beta", ">1.2", true},
		{"1.2.3-beta", "<=1.2.3", true},
		{"1.2.3-beta", "^1.2.3", true},
		{"1.2.3", "1.2.3+asdf - 2.4.3+asdf", true},
		{"1.0.0", "1.0.0", true},
		{"1.2.3", "*", true},
		{"v1.2.3", "*", true},
		{"1.0.0", ">=1.0.0", true},
		{"1.0.1", ">=1.0.0", true},
		{"1.1.0", ">=1.0.0", true},
		{"1.0.1", ">1.0.0", true},
		{"1.1.0", ">1.0.0", true},
		{"2.0.0", "<=2.0.0", true},
		{"1.9999.9999", "<=2.0.0", true},
		{"0.2.9", "<=2.0.0", true},
		{"1.9999.9999", "<2.0.0", true},
		{"0.2.9", "<2.0.0", true},
		{"1.0.0", ">= 1.0.0", true},
		{"1.0.1", ">=  1.0.0", true},
		{"1.1.0", ">=   1.0.0", true},
		{"1.0.1", "> 1.0.0", true},
		{"1.1.0", ">  1.0.0", true},
		{"2.0.0", "<=   2.0.0", true},
		{"1.9999.9999", "<= 2.0.0", true},
		{"0.2.9", "<=  2.0.0", true},
		{"1.9999.9999", "<    2.0.0", true},
		{"0.2.9", "<\t2.0.0", true},
		{"v0.1.97", ">=0.1.97", true},
		{"0.1.97", ">=0.1.97", true},
		{"1.2.4", "0.1.20 || 1.2.4", true},
		{"0.0.0", ">=0.2.3 || <0.0.1", true},
		{"0.2.3", ">=0.2.3 || <0.0.1", true},
		{"0.2.4", ">=0.2.3 || <0.0.1", true},
		{"2.1.3", "2.x.x", true},
		{"1.2.3", "1.2.x", true},
		{"2.1.3", "1.2.x || 2.x", true},
		{"1.2.3", "1.2.x || 2.x", true},
		{"1.2.3", "x", true},
		{"2.1.3", "2.*.*", true},
		{"1.2.3", "1.2.*", true},
		{"2.1.3", "1.2.* || 2.*", true},
		{"1.2.3", "1.2.* || 2.*", true},
		{"1.2.3", "*", true},
		{"2.9.0", "~2.4", true},
		{"2.4.5", "~2.4", true},
		{"1.2.3", "~1", true},
		{"1.4.7", "~1.0", true},
		{"1.0.0", ">=1", true},
		{"1.0.0", ">= 1", true},
		{"1.2.8", ">1.2", true},
		{"1.1.1", "<1.2", true},
		{"1.1.1", "< 1.2", true},
		{"1.2.3", "~1.2.1 >=1.2.3", true},
		{"1.2.3", "~1.2.1 =1.2.3", true},
		{"1.2.3", "~1.2.1 1.2.3", true},
		{"1.2.3", "~1.2.1 >=1.2.3 1.2.3", true},
		{"1.2.3", "~1.2.1 1.2.3 >=1.2.3", true},
		{"1.2.3", "~1.2.1 1.2.3", true},
		{"1.2.3", ">=1.2.1 1.2.3", true},
		{"1.2.3", "1.2.3 >=1.2.1", true},
		{"1.2.3", ">=1.2.3 >=1.2.1", true},
		{"1.2.3", ">=1.2.1 >=1.2.3", true},
		{"1.2.8", ">=1.2", true},
		{"1.8.1", "^1.2.3", true},
		{"0.1.2", "^0.1.2", true},
		{"0.1.2", "^0.1", true},
		{"1.4.2", "^1.2", true},
		{"1.4.2", "^1.2 ^1", true},
		{"0.0.1-beta", "^0.0.1-alpha", true},
		{"2.2.3", "1.0.0 - 2.0.0", false},
		{"2.0.0", "^1.2.3+build", false},
		{"1.2.0", "^1.2.3+build", false},
		{"1.0.0beta", "1", false},
		{"1.0.0beta", "<1", false},
		{"1.0.0beta", "< 1", false},
		{"1.0.1", "1.0.0", false},
		{"0.0.0", ">=1.0.0", false},
		{"0.0.1", ">=1.0.0", false},
		{"0.1.0", ">=1.0.0", false},
		{"0.0.1", ">1.0.0", false},
		{"0.1.0", ">1.0.0", false},
		{"3.0.0", "<=2.0.0", false},
		{"2.9999.9999", "<=2.0.0", false},
		{"2.2.9", "<=2.0.0", false},
		{"2.9999.9999", "<2.0.0", false},
		{"2.2.9", "<2.0.0", false},
		{"v0.1.93", ">=0.1.97", false},
		{"0.1.93", ">=0.1.97", false},
		{"1.2.3", "0.1.20 || 1.2.4", false},
		{"0.0.3", ">=0.2.3 || <0.0.1", false},
		{"0.2.2", ">=0.2.3 || <0.0.1", false},
		{"1.1.3", "2.x.x", false},
		{"3.1.3", "2.x.x", false},
		{"1.3.3", "1.2.x", false},
		{"3.1.3", "1.2.x || 2.x", false},
		{"1.1.3", "1.2.x || 2.x", false},
		{"1.1.3", "2.*.*", false},
		{"3.1.3", "2.*.*", false},
		{"1.3.3", "1.2.*", false},
		{"3.1.3", "1.2.* || 2.*", false},
		{"1.1.3", "1.2.* || 2.*", false},
		{"1.1.2", "2", false},
		{"2.4.1", "2.3", false},
		{"3.0.0", "~2.4", false},
		{"2.3.9", "~2.4", false},
		{"0.2.3", "~1", false},
		{"1.0.0", "<1", false},
		{"1.1.1", ">=1.2", false},
		{"2.0.0beta", "1", false},
		{"0.5.4-alpha", "~v0.5.4-beta", false},
		{"1.2.3-beta", "<1.2.3", false},
		{"2.0.0-alpha", "^1.2.3", false},
		{"1.2.2", "^1.2.3", false},
		{"1.1.9", "^1.2", false},
		// testComplexConjunctive.
		{"1.0.1", "~0.1 || ~1.0 !=1.0.1", false},
	}
	for _, tc := range tests {
		t.Run(tc.constraint+"/"+tc.version, func(t *testing.T) {
			if got := mustParse(t, tc.constraint).Check(tc.version); got != tc.want {
				t.Errorf("%q.Check(%q) = %v, want %v", tc.constraint, tc.version, got, tc.want)
			}
		})
	}
}

// TestComposerSatisfiedBy ports satisfiedByProvider (testSatisfiedBy):
// the versions that satisfy a constraint, in their order.
func TestComposerSatisfiedBy(t *testing.T) {
	tests := []struct {
		constraint     string
		versions, want []string
	}{
		{"~1.0", []string{"1.0", "1.2", "1.9999.9999", "2.0", "2.1", "0.9999.9999"}, []string{"1.0", "1.2", "1.9999.9999"}},
		{">1.0 <3.0 || >=4.0", []string{"1.0", "1.1", "2.9999.9999", "3.0", "3.1", "3.9999.9999", "4.0", "4.1"}, []string{"1.1", "2.9999.9999", "4.0", "4.1"}},
		{"^0.2.0", []string{"0.1.1", "0.1.9999", "0.2.0", "0.2.1", "0.3.0"}, []string{"0.2.0", "0.2.1"}},
	}
	for _, tc := range tests {
		t.Run(tc.constraint, func(t *testing.T) {
			c := mustParse(t, tc.constraint)
			got := slices.DeleteFunc(slices.Clone(tc.versions), func(v string) bool { return !c.Check(v) })
			if !slices.Equal(got, tc.want) {
				t.Errorf("%q is satisfied by %q of %q, want %q", tc.constraint, got, tc.versions, tc.want)
			}
		})
	}
}

// TestComposerSort ports sortProvider's first case (testSort): the
// package's order of versions is Semver::sort's, and the newest is what
// NewestSatisfying picks.
func TestComposerSort(t *testing.T) {
	tests := []struct{ versions, sorted, rsorted []string }{
		{[]string{"1.0", "0.1", "0.1", "3.2.1", "2.4.0-alpha", "2.4.0"}, []string{"0.1", "0.1", "1.0", "2.4.0-alpha", "2.4.0", "3.2.1"}, []string{"3.2.1", "2.4.0", "2.4.0-alpha", "1.0", "0.1", "0.1"}},
	}
	for _, tc := range tests {
		t.Run("", func(t *testing.T) {
			order := func(a, b string) int {
				va, errA := parseVersion(a)
				vb, errB := parseVersion(b)
				if errA != nil || errB != nil {
					t.Fatalf("%q or %q does not parse", a, b)
				}
				return compareVersions(va, vb)
			}
			sorted := slices.Clone(tc.versions)
			slices.SortStableFunc(sorted, order)
			if !slices.Equal(sorted, tc.sorted) {
				t.Errorf("sorted %q, want %q", sorted, tc.sorted)
			}
			slices.SortStableFunc(sorted, func(a, b string) int { return order(b, a) })
			if !slices.Equal(sorted, tc.rsorted) {
				t.Errorf("reverse sorted %q, want %q", sorted, tc.rsorted)
			}
			if got, _ := NewestSatisfying(MustParseConstraint("*"), tc.versions); got != tc.rsorted[0] {
				t.Errorf("NewestSatisfying(*) = %q, want %q", got, tc.rsorted[0])
			}
		})
	}
}

// TestComposerComparator ports ComparatorTest's providers:
// Comparator::compare(v1, op, v2) is new Constraint(op, v2) against the
// version v1, both as given, not normalised.
func TestComposerComparator(t *testing.T) {
	tests := []struct {
		provider, v1, op, v2 string
		want                 bool
	}{
		{"greaterThanProvider", "1.25.0", ">", "1.24.0", true},
		{"greaterThanProvider", "1.25.0", ">", "1.25.0", false},
		{"greaterThanProvider", "1.25.0", ">", "1.26.0", false},
		{"greaterThanProvider", "1.26.0", ">", "dev-foo", true},
		{"greaterThanProvider", "dev-foo", ">", "dev-master", false},
		{"greaterThanProvider", "dev-foo", ">", "dev-bar", false},
		{"greaterThanOrEqualToProvider", "1.25.0", ">=", "1.24.0", true},
		{"greaterThanOrEqualToProvider", "1.25.0", ">=", "1.25.0", true},
		{"greaterThanOrEqualToProvider", "1.25.0", ">=", "1.26.0", false},
		{"lessThanProvider", "1.25.0", "<", "1.24.0", false},
		{"lessThanProvider", "1.25.0", "<", "1.25.0", false},
		{"lessThanProvider", "1.25.0", "<", "1.26.0", true},
		{"lessThanProvider", "1.0.0", "<", "1.2-dev", true},
		{"lessThanProvider", "dev-foo", "<", "1.26.0", true},
		{"lessThanProvider", "dev-foo", "<", "dev-master", false},
		{"lessThanProvider", "dev-foo", "<", "dev-bar", false},
		{"lessThanOrEqualToProvider", "1.25.0", "<=", "1.24.0", false},
		{"lessThanOrEqualToProvider", "1.25.0", "<=", "1.25.0", true},
		{"lessThanOrEqualToProvider", "1.25.0", "<=", "1.26.0", true},
		{"equalToProvider", "1.25.0", "==", "1.24.0", false},
		{"equalToProvider", "1.25.0", "==", "1.25.0", true},
		{"equalToProvider", "1.25.0", "==", "1.26.0", false},
		{"equalToProvider", "dev-foo", "==", "1.26.0", false},
		{"equalToProvider", "dev-foo", "==", "dev-master", false},
		{"equalToProvider", "dev-foo", "==", "dev-bar", false},
		{"notEqualToProvider", "1.25.0", "!=", "1.24.0", true},
		{"notEqualToProvider", "1.25.0", "!=", "1.25.0", false},
		{"notEqualToProvider", "1.25.0", "!=", "1.26.0", true},
		{"compareProvider", "1.25.0", ">", "1.24.0", true},
		{"compareProvider", "1.25.0", ">", "1.25.0", false},
		{"compareProvider", "1.25.0", ">", "1.26.0", false},
		{"compareProvider", "1.25.0", ">=", "1.24.0", true},
		{"compareProvider", "1.25.0", ">=", "1.25.0", true},
		{"compareProvider", "1.25.0", ">=", "1.26.0", false},
		{"compareProvider", "1.25.0", "<", "1.24.0", false},
		{"compareProvider", "1.25.0", "<", "1.25.0", false},
		{"compareProvider", "1.25.0", "<", "1.26.0", true},
		{"compareProvider", "1.25.0-beta2.1", "<", "1.25.0-b.3", true},
		{"compareProvider", "1.25.0-b2.1", "<", "1.25.0beta.3", true},
		{"compareProvider", "1.25.0-b-2.1", "<", "1.25.0-rc", true},
		{"compareProvider", "1.25.0", "<=", "1.24.0", false},
		{"compareProvider", "1.25.0", "<=", "1.25.0", true},
		{"compareProvider", "1.25.0", "<=", "1.26.0", true},
		{"compareProvider", "1.25.0", "==", "1.24.0", false},
		{"compareProvider", "1.25.0", "==", "1.25.0", true},
		{"compareProvider", "1.25.0", "==", "1.26.0", false},
		{"compareProvider", "1.25.0-beta2.1", "==", "1.25.0-b.2.1", true},
		{"compareProvider", "1.25.0beta2.1", "==", "1.25.0-b2.1", true},
		{"compareProvider", "1.25.0", "=", "1.24.0", false},
		{"compareProvider", "1.25.0", "=", "1.25.0", true},
		{"compareProvider", "1.25.0", "=", "1.26.0", false},
		{"compareProvider", "1.25.0", "!=", "1.24.0", true},
		{"compareProvider", "1.25.0", "!=", "1.25.0", false},
		{"compareProvider", "1.25.0", "!=", "1.26.0", true},
		{"compareProvider", "1.25.0", "<>", "1.24.0", true},
		{"compareProvider", "1.25.0", "<>", "1.25.0", false},
		{"compareProvider", "1.25.0", "<>", "1.26.0", true},
	}
	n := 0
	for _, tc := range tests {
		v1, v2 := version{norm: tc.v1}, version{norm: tc.v2}
		if v1.isBranch() != v2.isBranch() && (tc.op == ">" || tc.op == "<") {
			continue // Comparator orders a branch against a number; see the file comment.
		}
		n++
		t.Run(tc.provider+"/"+tc.v1+tc.op+tc.v2, func(t *testing.T) {
			if got := rawAtom(tc.op, tc.v2).matches(v1); got != tc.want {
				t.Errorf("%s %s %s: %v, want %v", tc.v1, tc.op, tc.v2, got, tc.want)
			}
		})
	}
	if want := len(tests) - 2; n != want {
		t.Errorf("%d cases checked, want %d: only the two that order a branch against a number are left out", n, want)
	}
}
