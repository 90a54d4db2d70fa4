package composer

// The data of composer/semver's tests/VersionParserTest.php (see
// semver_helpers_test.go for the commit read). Left out, as the package
// has nothing that expresses them:
//   - numericAliasVersions (8 cases): parseNumericAliasPrefix serves
//     Composer's branch aliases, not constraints;
//   - testNormalizeStability (2 assertions): normalizeStability validates
//     a minimum-stability setting, which the package does not read;
//   - testManipulateVersionStringWithReturnNull (1): a negative increment,
//     which no constraint makes;
//   - the exception messages of failingNormalizedVersionsWithBadAlias and
//     ...WithBadAliasee ("the alias must be an exact version"): the
//     package never normalises the two sides of an alias as a pair (nor
//     does parseConstraints); which side normalises is still tested.

import (
	"regexp"
	"strings"
	"testing"
)

// TestComposerNormalize ports successfulNormalizedVersions
// (testNormalizeSucceeds): VersionParser::normalize.
func TestComposerNormalize(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"none", "1.0.0", "1.0.0.0"},
		{"none/2", "1.2.3.4", "1.2.3.4"},
		{"parses state", "1.0.0RC1dev", "1.0.0.0-RC1-dev"},
		{"CI parsing", "1.0.0-rC15-dev", "1.0.0.0-RC15-dev"},
		{"delimiters", "1.0.0.RC.15-dev", "1.0.0.0-RC15-dev"},
		{"RC uppercase", "1.0.0-rc1", "1.0.0.0-RC1"},
		{"patch replace", "1.0.0.pl3-dev", "1.0.0.0-patch3-dev"},
		{"forces w.x.y.z", "1.0-dev", "1.0.0.0-dev"},
		{"forces w.x.y.z/2", "0", "0.0.0.0"},
		{"forces w.x.y.z/maximum major", "99999", "99999.0.0.0"},
		{"parses long", "10.4.13-beta", "10.4.13.0-beta"},
		{"parses long/2", "10.4.13beta2", "10.4.13.0-beta2"},
		{"parses long/semver", "10.4.13beta.2", "10.4.13.0-beta2"},
		{"parses long/semver2", "v1.13.11-beta.0", "1.13.11.0-beta0"},
		{"parses long/semver3", "1.13.11.0-beta0", "1.13.11.0-beta0"},
		{"expand shorthand", "10.4.13-b", "10.4.13.0-beta"},
		{"expand shorthand/2", "10.4.13-b5", "10.4.13.0-beta5"},
		{"strips leading v", "v1.0.0", "1.0.0.0"},
		{"parses dates y-m as classical", "2010.01", "2010.01.0.0"},
		{"parses dates w/ . as classical", "2010.01.02", "2010.01.02.0"},
		{"parses dates y.m.Y as classical", "2010.1.555", "2010.1.555.0"},
		{"parses dates y.m.Y/2 as classical", "2010.10.200", "2010.10.200.0"},
		{"parses CalVer YYYYMMDD (as MAJOR) versions", "20230131.0.0", "20230131.0.0"},
		{"parses CalVer YYYYMMDDhhmm (as MAJOR) versions", "202301310000.0.0", "202301310000.0.0"},
		{"strips v/datetime", "v20100102", "20100102"},
		{"parses dates no delimiter", "20100102", "20100102"},
		{"parses dates no delimiter/2", "20100102.0", "20100102.0"},
		{"parses dates no delimiter/3", "20100102.1.0", "20100102.1.0"},
		{"parses dates no delimiter/4", "20100102.0.3", "20100102.0.3"},
		{"parses dates no delimiter/earliest year", "100000", "100000"},
		{"parses dates w/ - and .", "2010-01-02-10-20-30.0.3", "2010.01.02.10.20.30.0.3"},
		{"parses dates w/ - and ./2", "2010-01-02-10-20-30.5", "2010.01.02.10.20.30.5"},
		{"parses dates w/ -", "2010-01-02", "2010.01.02"},
		{"parses dates w/ .", "2012.06.07", "2012.06.07.0"},
		{"parses numbers", "2010-01-02.5", "2010.01.02.5"},
		{"parses dates y.m.Y", "2010.1.555", "2010.1.555.0"},
		{"parses datetime", "20100102-203040", "20100102.203040"},
		{"parses date dev", "20100102.x-dev", "20100102.9999999.9999999.9999999-dev"},
		{"parses datetime dev", "20100102.203040.x-dev", "20100102.203040.9999999.9999999-dev"},
		{"parses dt+number", "20100102203040-10", "20100102203040.10"},
		{"parses dt+patch", "20100102-203040-p1", "20100102.203040-patch1"},
		{"parses dt Ym", "201903.0", "201903.0"},
		{"parses dt Ym dev", "201903.x-dev", "201903.9999999.9999999.9999999-dev"},
		{"parses dt Ym+patch", "201903.0-p2", "201903.0-patch2"},
		{"parses master", "dev-master", "dev-master"},
		{"parses master w/o dev", "master", "dev-master"},
		{"parses trunk", "dev-trunk", "dev-trunk"},
		{"parses branches", "1.x-dev", "1.9999999.9999999.9999999-dev"},
		{"parses arbitrary", "dev-feature-foo", "dev-feature-foo"},
		{"parses arbitrary/2", "DEV-FOOBAR", "dev-FOOBAR"},
		{"parses arbitrary/3", "dev-feature/foo", "dev-feature/foo"},
		{"parses arbitrary/4", "dev-feature+issue-1", "dev-feature+issue-1"},
		{"ignores aliases", "dev-master as 1.0.0", "dev-master"},
		{"ignores aliases/2", "dev-load-varnish-only-when-used as ^2.0", "dev-load-varnish-only-when-used"},
		{"ignores aliases/3", "dev-load-varnish-only-when-used@dev as ^2.0@dev", "dev-load-varnish-only-when-used"},
		{"ignores stability", "1.0.0+foo@dev", "1.0.0.0"},
		{"ignores stability/2", "dev-load-varnish-only-when-used@stable", "dev-load-varnish-only-when-used"},
		{"semver metadata/2", "1.0.0-beta.5+foo", "1.0.0.0-beta5"},
		{"semver metadata/3", "1.0.0+foo", "1.0.0.0"},
		{"semver metadata/4", "1.0.0-alpha.3.1+foo", "1.0.0.0-alpha3.1"},
		{"semver metadata/5", "1.0.0-alpha2.1+foo", "1.0.0.0-alpha2.1"},
		{"semver metadata/6", "1.0.0-alpha-2.1-3+foo", "1.0.0.0-alpha2.1-3"},
		{"metadata w/ alias", "1.0.0+foo as 2.0", "1.0.0.0"},
		{"keep zero-padding", "00.01.03.04", "00.01.03.04"},
		{"keep zero-padding/2", "000.001.003.004", "000.001.003.004"},
		{"keep zero-padding/3", "0.000.103.204", "0.000.103.204"},
		{"keep zero-padding/4", "0700", "0700.0.0.0"},
		{"keep zero-padding/5", "041.x-dev", "041.9999999.9999999.9999999-dev"},
		{"keep zero-padding/6", "dev-041.003", "dev-041.003"},
		{"dev with mad name", "dev-1.0.0-dev<1.0.5-dev", "dev-1.0.0-dev<1.0.5-dev"},
		{"dev prefix with spaces", "dev-foo bar", "dev-foo bar"},
		{"space padding", " 1.0.0", "1.0.0.0"},
		{"space padding/2", "1.0.0 ", "1.0.0.0"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			v, err := parseVersion(tc.in)
			if err != nil {
				t.Fatalf("parseVersion(%q): %v, want %q", tc.in, err, tc.want)
			}
			if v.norm != tc.want {
				t.Errorf("parseVersion(%q) = %q, want %q", tc.in, v.norm, tc.want)
			}
		})
	}
}

// TestComposerNormalizeFails ports failingNormalizedVersions
// (testNormalizeFails): strings normalize refuses, which also satisfy no
// constraint, not even "*".
func TestComposerNormalizeFails(t *testing.T) {
	tests := []struct{ name, in string }{
		{"empty ", ""},
		{"invalid chars", "a"},
		{"invalid type", "1.0.0-meh"},
		{"too many bits", "1.0.0.0.0"},
		{"non-dev arbitrary", "feature-foo"},
		{"metadata w/ space", "1.0.0+foo bar"},
		{"maven style release", "1.0.1-SNAPSHOT"},
		{"dev with less than", "1.0.0<1.0.5-dev"},
		{"dev with less than/2", "1.0.0-dev<1.0.5-dev"},
		{"dev suffix with spaces", "foo bar-dev"},
		{"any with spaces", "1.0 .2"},
		{"no version, no alias", " as "},
		{"no version, only alias", " as 1.2"},
		{"just an operator", "^"},
		{"just an operator/2", "^8 || ^"},
		{"just an operator/3", "~"},
		{"just an operator/4", "~1 ~"},
		{"constraint", "~1"},
		{"constraint/2", "^1"},
		{"constraint/3", "1.*"},
		{"date versions with 4 bits", "20100102.0.3.4"},
		{"date versions with 4 bits/earliest year", "100000.0.0.0"},
		{"invalid CalVer (as MAJOR) versions/YYYYMMD", "2023013.0.0"},
		{"invalid CalVer (as MAJOR) versions/YYYYMMDDh", "202301311.0.0"},
		{"invalid CalVer (as MAJOR) versions/YYYYMMDDhhm", "20230131000.0.0"},
		{"invalid CalVer (as MAJOR) versions/YYYYMMDDhhmmX", "2023013100000.0.0"},
	}
	all := MustParseConstraint("*")
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if v, err := parseVersion(tc.in); err == nil {
				t.Errorf("parseVersion(%q) = %q, want an error", tc.in, v.norm)
			}
			if all.Check(tc.in) {
				t.Errorf(`"*" matches %q, which is not a version`, tc.in)
			}
		})
	}
}

// TestComposerIsValid ports isValidVersions (testIsValid): through the
// exported API, a string is a valid version when "*" matches it.
func TestComposerIsValid(t *testing.T) {
	tests := []struct {
		in   string
		want bool
	}{
		{"0.x-dev", true},
		{"dev-develop", true},
		{"1.0.2", true},
		{"1.0.2.5", true},
		{"1.0.2.5.5", false},
		{"foo", false},
	}
	all := MustParseConstraint("*")
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := parseVersion(tc.in)
			if got := err == nil; got != tc.want {
				t.Errorf("parseVersion(%q) error %v, want valid %v", tc.in, err, tc.want)
			}
			if got := all.Check(tc.in); got != tc.want {
				t.Errorf(`"*".Check(%q) = %v, want %v`, tc.in, got, tc.want)
			}
		})
	}
}

// aliasTestRe is the expression testNormalizeFailsAndReportsAliasIssue
// splits its input with: the aliased version, then the alias.
var aliasTestRe = regexp.MustCompile(`^([^,\s#]+)(?:#[^ ]+)? +as +([^,\s]+)$`)

// TestComposerNormalizeAliasSides ports failingNormalizedVersionsWithBadAlias
// and failingNormalizedVersionsWithBadAliasee: of "SOURCE as ALIAS", the
// side that is an exact version normalises and the constraint side does
// not.
func TestComposerNormalizeAliasSides(t *testing.T) {
	tests := []struct {
		provider, name, in string
		sourceOK           bool
	}{
		{"failingNormalizedVersionsWithBadAlias", "Alias and caret", "1.0.0+foo as ^2.0", true},
		{"failingNormalizedVersionsWithBadAlias", "Alias and tilde", "1.0.0+foo as  ~2.0", true},
		{"failingNormalizedVersionsWithBadAlias", "Alias and greater than", "1.0.0+foo  as >2.0", true},
		{"failingNormalizedVersionsWithBadAlias", "Alias and less than", "1.0.0+foo as <2.0", true},
		{"failingNormalizedVersionsWithBadAlias", "Bad alias with stability", "1.0.0+foo@dev as <2.0@dev", true},
		{"failingNormalizedVersionsWithBadAliasee", "Alias and caret", "^2.0 as 1.0.0+foo", false},
		{"failingNormalizedVersionsWithBadAliasee", "Alias and tilde", "~2.0 as  1.0.0+foo", false},
		{"failingNormalizedVersionsWithBadAliasee", "Alias and greater than", ">2.0  as 1.0.0+foo", false},
		{"failingNormalizedVersionsWithBadAliasee", "Alias and less than", "<2.0 as 1.0.0+foo", false},
		{"failingNormalizedVersionsWithBadAliasee", "Bad aliasee with stability", "<2.0@dev as 1.2.3@dev", false},
	}
	for _, tc := range tests {
		t.Run(tc.provider+"/"+tc.name, func(t *testing.T) {
			m := aliasTestRe.FindStringSubmatch(tc.in)
			if m == nil {
				t.Fatalf("%q does not split into a version and an alias", tc.in)
			}
			_, errSource := parseVersion(m[1])
			_, errAlias := parseVersion(m[2])
			if (errSource == nil) != tc.sourceOK || (errAlias == nil) == tc.sourceOK {
				t.Errorf("%q: source %q error %v, alias %q error %v; want only the %s to parse", tc.in, m[1], errSource, m[2], errAlias,
					map[bool]string{true: "source", false: "alias"}[tc.sourceOK])
			}
		})
	}
}

// TestComposerNormalizeBranch ports successfulNormalizedBranches
// (testNormalizeBranch).
func TestComposerNormalizeBranch(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"parses x", "v1.x", "1.9999999.9999999.9999999-dev"},
		{"parses *", "v1.*", "1.9999999.9999999.9999999-dev"},
		{"parses digits", "v1.0", "1.0.9999999.9999999-dev"},
		{"parses digits/2", "2.0", "2.0.9999999.9999999-dev"},
		{"parses long x", "v1.0.x", "1.0.9999999.9999999-dev"},
		{"parses long *", "v1.0.3.*", "1.0.3.9999999-dev"},
		{"parses long digits", "v2.4.0", "2.4.0.9999999-dev"},
		{"parses long digits/2", "2.4.4", "2.4.4.9999999-dev"},
		{"parses master", "master", "dev-master"},
		{"parses trunk", "trunk", "dev-trunk"},
		{"parses arbitrary", "feature-a", "dev-feature-a"},
		{"parses arbitrary/2", "FOOBAR", "dev-FOOBAR"},
		{"parses arbitrary/3", "feature+issue-1", "dev-feature+issue-1"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := normalizeBranch(tc.in); got != tc.want {
				t.Errorf("normalizeBranch(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestComposerParseConstraints ports the providers and tests that compare
// (string) parseConstraints(INPUT) with an expected constraint, the
// expected Constraint and MultiConstraint objects written as their
// strings: simpleConstraints, wildcardConstraints, tildeConstraints,
// caretConstraints, hyphenConstraints, constraintProvider,
// multiConstraintProvider, multiConstraintProvider2, the single cases of
// testParseConstraintsIgnoresStabilityFlag,
// ...IgnoresReferenceOnDevVersion, ...MultiWithStabilitySuffix,
// ...MultiWithStabilities, ...MultiWithStabilitiesWildcard and
// ...MultiWithStabilitiesZero, and, from
// tests/Constraint/MultiConstraintTest.php, multiConstraintOptimizations
// and the two testMatchAllConstraintWithin... tests (whose
// MultiConstraint::create of objects is written here as the constraint
// that parses to them).
func TestComposerParseConstraints(t *testing.T) {
	tests := []struct{ source, in, want string }{
		{"simpleConstraints/match any", "*", "*"},
		{"simpleConstraints/match any/v", "v*", ">= 0.0.0.0-dev"},
		{"simpleConstraints/match any/2", "*.*", ">= 0.0.0.0-dev"},
		{"simpleConstraints/match any/2v", "v*.*", ">= 0.0.0.0-dev"},
		{"simpleConstraints/match any/3", "*.x.*", ">= 0.0.0.0-dev"},
		{"simpleConstraints/match any/4", "x.X.x.*", ">= 0.0.0.0-dev"},
		{"simpleConstraints/not equal", "<>1.0.0", "!= 1.0.0.0"},
		{"simpleConstraints/not equal/2", "!=1.0.0", "!= 1.0.0.0"},
		{"simpleConstraints/greater than", ">1.0.0", "> 1.0.0.0"},
		{"simpleConstraints/lesser than", "<1.2.3.4", "< 1.2.3.4-dev"},
		{"simpleConstraints/less/eq than", "<=1.2.3", "<= 1.2.3.0"},
		{"simpleConstraints/great/eq than", ">=1.2.3", ">= 1.2.3.0-dev"},
		{"simpleConstraints/equals", "=1.2.3", "== 1.2.3.0"},
		{"simpleConstraints/double equals", "==1.2.3", "== 1.2.3.0"},
		{"simpleConstraints/no op means eq", "1.2.3", "== 1.2.3.0"},
		{"simpleConstraints/completes version", "=1.0", "== 1.0.0.0"},
		{"simpleConstraints/shorthand beta", "1.2.3b5", "== 1.2.3.0-beta5"},
		{"simpleConstraints/shorthand alpha", "1.2.3a1", "== 1.2.3.0-alpha1"},
		{"simpleConstraints/shorthand patch", "1.2.3p1234", "== 1.2.3.0-patch1234"},
		{"simpleConstraints/shorthand patch/2", "1.2.3pl1234", "== 1.2.3.0-patch1234"},
		{"simpleConstraints/accepts spaces", ">= 1.2.3", ">= 1.2.3.0-dev"},
		{"simpleConstraints/accepts spaces/2", "< 1.2.3", "< 1.2.3.0-dev"},
		{"simpleConstraints/accepts spaces/3", "> 1.2.3", "> 1.2.3.0"},
		{"simpleConstraints/accepts master", ">=dev-master", ">= dev-master"},
		{"simpleConstraints/accepts master/2", "dev-master", "== dev-master"},
		{"simpleConstraints/accepts arbitrary", "dev-feature-a", "== dev-feature-a"},
		{"simpleConstraints/regression #550", "dev-some-fix", "== dev-some-fix"},
		{"simpleConstraints/regression #935", "dev-CAPS", "== dev-CAPS"},
		{"simpleConstraints/ignores aliases", "dev-master as 1.0.0", "== dev-master"},
		{"simpleConstraints/lesser than override", "<1.2.3.4-stable", "< 1.2.3.4"},
		{"simpleConstraints/great/eq than override", ">=1.2.3.4-stable", ">= 1.2.3.4"},
		{"wildcardConstraints", "v2.*", "[>= 2.0.0.0-dev < 3.0.0.0-dev]"},
		{"wildcardConstraints", "2.*.*", "[>= 2.0.0.0-dev < 3.0.0.0-dev]"},
		{"wildcardConstraints", "20.*", "[>= 20.0.0.0-dev < 21.0.0.0-dev]"},
		{"wildcardConstraints", "20.*.*", "[>= 20.0.0.0-dev < 21.0.0.0-dev]"},
		{"wildcardConstraints", "2.0.*", "[>= 2.0.0.0-dev < 2.1.0.0-dev]"},
		{"wildcardConstraints", "2.x", "[>= 2.0.0.0-dev < 3.0.0.0-dev]"},
		{"wildcardConstraints", "2.x.x", "[>= 2.0.0.0-dev < 3.0.0.0-dev]"},
		{"wildcardConstraints", "2.2.x", "[>= 2.2.0.0-dev < 2.3.0.0-dev]"},
		{"wildcardConstraints", "2.10.X", "[>= 2.10.0.0-dev < 2.11.0.0-dev]"},
		{"wildcardConstraints", "2.1.3.*", "[>= 2.1.3.0-dev < 2.1.4.0-dev]"},
		{"wildcardConstraints", "0.*", "< 1.0.0.0-dev"},
		{"wildcardConstraints", "0.*.*", "< 1.0.0.0-dev"},
		{"wildcardConstraints", "0.x", "< 1.0.0.0-dev"},
		{"wildcardConstraints", "0.x.x", "< 1.0.0.0-dev"},
		{"tildeConstraints", "~v1", "[>= 1.0.0.0-dev < 2.0.0.0-dev]"},
		{"tildeConstraints", "~1.0", "[>= 1.0.0.0-dev < 2.0.0.0-dev]"},
		{"tildeConstraints", "~1.0.0", "[>= 1.0.0.0-dev < 1.1.0.0-dev]"},
		{"tildeConstraints", "~1.2", "[>= 1.2.0.0-dev < 2.0.0.0-dev]"},
		{"tildeConstraints", "~1.2.3", "[>= 1.2.3.0-dev < 1.3.0.0-dev]"},
		{"tildeConstraints", "~1.2.3.4", "[>= 1.2.3.4-dev < 1.2.4.0-dev]"},
		{"tildeConstraints", "~1.2-beta", "[>= 1.2.0.0-beta < 2.0.0.0-dev]"},
		{"tildeConstraints", "~1.2-b2", "[>= 1.2.0.0-beta2 < 2.0.0.0-dev]"},
		{"tildeConstraints", "~1.2-BETA2", "[>= 1.2.0.0-beta2 < 2.0.0.0-dev]"},
		{"tildeConstraints", "~1.2.2-dev", "[>= 1.2.2.0-dev < 1.3.0.0-dev]"},
		{"tildeConstraints", "~1.2.2-stable", "[>= 1.2.2.0 < 1.3.0.0-dev]"},
		{"tildeConstraints", "~201903.0", "[>= 201903.0-dev < 201904.0.0.0-dev]"},
		{"tildeConstraints", "~201903.0-beta", "[>= 201903.0-beta < 201904.0.0.0-dev]"},
		{"tildeConstraints", "~201903.0-stable", "[>= 201903.0 < 201904.0.0.0-dev]"},
		{"tildeConstraints", "~201903.205830.1-stable", "[>= 201903.205830.1 < 201903.205831.0.0-dev]"},
		{"tildeConstraints", "~2.x-dev", "[>= 2.9999999.9999999.9999999-dev < 3.0.0.0-dev]"},
		{"tildeConstraints", "~2.0.x-dev", "[>= 2.0.9999999.9999999-dev < 2.1.0.0-dev]"},
		{"tildeConstraints", "~2.0.3.x-dev", "[>= 2.0.3.9999999-dev < 2.0.4.0-dev]"},
		{"tildeConstraints", "~0.x-dev", "[>= 0.9999999.9999999.9999999-dev < 1.0.0.0-dev]"},
		{"caretConstraints", "^v1", "[>= 1.0.0.0-dev < 2.0.0.0-dev]"},
		{"caretConstraints", "^0", "[>= 0.0.0.0-dev < 1.0.0.0-dev]"},
		{"caretConstraints", "^0.0", "[>= 0.0.0.0-dev < 0.1.0.0-dev]"},
		{"caretConstraints", "^1.2", "[>= 1.2.0.0-dev < 2.0.0.0-dev]"},
		{"caretConstraints", "^1.2.3-beta.2", "[>= 1.2.3.0-beta2 < 2.0.0.0-dev]"},
		{"caretConstraints", "^1.2.3.4", "[>= 1.2.3.4-dev < 2.0.0.0-dev]"},
		{"caretConstraints", "^1.2.3", "[>= 1.2.3.0-dev < 2.0.0.0-dev]"},
		{"caretConstraints", "^0.2.3", "[>= 0.2.3.0-dev < 0.3.0.0-dev]"},
		{"caretConstraints", "^0.2", "[>= 0.2.0.0-dev < 0.3.0.0-dev]"},
		{"caretConstraints", "^0.2.0", "[>= 0.2.0.0-dev < 0.3.0.0-dev]"},
		{"caretConstraints", "^0.0.3", "[>= 0.0.3.0-dev < 0.0.4.0-dev]"},
		{"caretConstraints", "^0.0.3-alpha", "[>= 0.0.3.0-alpha < 0.0.4.0-dev]"},
		{"caretConstraints", "^0.0.3-dev", "[>= 0.0.3.0-dev < 0.0.4.0-dev]"},
		{"caretConstraints", "^0.0.3-stable", "[>= 0.0.3.0 < 0.0.4.0-dev]"},
		{"caretConstraints", "^201903.0", "[>= 201903.0-dev < 201904.0.0.0-dev]"},
		{"caretConstraints", "^201903.0-beta", "[>= 201903.0-beta < 201904.0.0.0-dev]"},
		{"caretConstraints", "^201903.205830.1-stable", "[>= 201903.205830.1 < 201904.0.0.0-dev]"},
		{"caretConstraints", "^2.x-dev", "[>= 2.9999999.9999999.9999999-dev < 3.0.0.0-dev]"},
		{"caretConstraints", "^2.0.*-dev", "[>= 2.0.9999999.9999999-dev < 3.0.0.0-dev]"},
		{"caretConstraints", "^2.0.x-dev", "[>= 2.0.9999999.9999999-dev < 3.0.0.0-dev]"},
		{"caretConstraints", "^2.0.3.x-dev", "[>= 2.0.3.9999999-dev < 3.0.0.0-dev]"},
		{"caretConstraints", "^0.x-dev", "[>= 0.9999999.9999999.9999999-dev < 1.0.0.0-dev]"},
		{"hyphenConstraints", "v1 - v2", "[>= 1.0.0.0-dev < 3.0.0.0-dev]"},
		{"hyphenConstraints", "1.2.3 - 2.3.4.5", "[>= 1.2.3.0-dev <= 2.3.4.5]"},
		{"hyphenConstraints", "1.2-beta - 2.3", "[>= 1.2.0.0-beta < 2.4.0.0-dev]"},
		{"hyphenConstraints", "1.2-beta - 2.3-dev", "[>= 1.2.0.0-beta <= 2.3.0.0-dev]"},
		{"hyphenConstraints", "1.2-RC - 2.3.1", "[>= 1.2.0.0-RC <= 2.3.1.0]"},
		{"hyphenConstraints", "1.2.3-alpha - 2.3-RC", "[>= 1.2.3.0-alpha <= 2.3.0.0-RC]"},
		{"hyphenConstraints", "1 - 2.0", "[>= 1.0.0.0-dev < 2.1.0.0-dev]"},
		{"hyphenConstraints", "1 - 2.1", "[>= 1.0.0.0-dev < 2.2.0.0-dev]"},
		{"hyphenConstraints", "1.2 - 2.1.0", "[>= 1.2.0.0-dev <= 2.1.0.0]"},
		{"hyphenConstraints", "1.3 - 2.1.3", "[>= 1.3.0.0-dev <= 2.1.3.0]"},
		{"hyphenConstraints", "2.0.3.x-dev - 3.0.3.x-dev", "[>= 2.0.3.9999999-dev <= 3.0.3.9999999-dev]"},
		{"hyphenConstraints", "2.0.x-dev - 3.0.x-dev", "[>= 2.0.9999999.9999999-dev <= 3.0.9999999.9999999-dev]"},
		{"hyphenConstraints", "2.x-dev - 3.x-dev", "[>= 2.9999999.9999999.9999999-dev <= 3.9999999.9999999.9999999-dev]"},
		{"hyphenConstraints", "0.x-dev - 1.x-dev", "[>= 0.9999999.9999999.9999999-dev <= 1.9999999.9999999.9999999-dev]"},
		{"constraintProvider", "3.x-dev", "== 3.9999999.9999999.9999999-dev"},
		{"constraintProvider", "3-dev", "== 3.0.0.0-dev"},
		{"constraintProvider", "dev-3.x", "== dev-3.x"},
		{"constraintProvider", "xsd2php-dev", "== dev-xsd2php"},
		{"constraintProvider", "3.next-dev", "== dev-3.next"},
		{"constraintProvider", "foobar-dev", "== dev-foobar"},
		{"constraintProvider", "dev-xsd2php", "== dev-xsd2php"},
		{"constraintProvider", "dev-3.next", "== dev-3.next"},
		{"constraintProvider", "dev-foobar", "== dev-foobar"},
		{"constraintProvider", "dev-1.0.0-dev<1.0.5-dev", "== dev-1.0.0-dev<1.0.5-dev"},
		{"constraintProvider", "dev-1.0.0-dev<1.0.5", "== dev-1.0.0-dev<1.0.5"},
		{"constraintProvider", "foobar-dev as 2.1.0", "== dev-foobar"},
		{"constraintProvider", "foobar-dev as 2.1.0 || 3.5", "[== dev-foobar || == 3.5.0.0]"},
		{"constraintProvider", "foobar-dev as 2.1.0 || 3.5 as 1.5", "[== dev-foobar || == 3.5.0.0]"},
		{"constraintProvider", "2.1.0 - 2.3-dev", "[>= 2.1.0.0-dev <= 2.3.0.0-dev]"},
		{"constraintProvider", "1.0 - 2.0.x-dev", "[>= 1.0.0.0-dev <= 2.0.9999999.9999999-dev]"},
		{"constraintProvider", "^1.", "[>= 1.0.0.0-dev < 2.0.0.0-dev]"},
		{"constraintProvider", "~1.", "[>= 1.0.0.0-dev < 2.0.0.0-dev]"},
		{"constraintProvider", "1.2.", "== 1.2.0.0"},
		{"constraintProvider", "1.2..dev", "== 1.2.0.0-dev"},
		{"constraintProvider", "1.2-.dev", "== 1.2.0.0-dev"},
		{"constraintProvider", "1.2_-dev", "== 1.2.0.0-dev"},
		{"constraintProvider", "~2.5.9|~2.6,>=2.6.2", "[[>= 2.5.9.0-dev < 2.6.0.0-dev] || [>= 2.6.0.0-dev < 3.0.0.0-dev >= 2.6.2.0-dev]]"},
		{"multiConstraintProvider", ">2.0,<=3.0", "[> 2.0.0.0 <= 3.0.0.0]"},
		{"multiConstraintProvider", ">2.0 <=3.0", "[> 2.0.0.0 <= 3.0.0.0]"},
		{"multiConstraintProvider", ">2.0  <=3.0", "[> 2.0.0.0 <= 3.0.0.0]"},
		{"multiConstraintProvider", ">2.0, <=3.0", "[> 2.0.0.0 <= 3.0.0.0]"},
		{"multiConstraintProvider", ">2.0 ,<=3.0", "[> 2.0.0.0 <= 3.0.0.0]"},
		{"multiConstraintProvider", ">2.0 , <=3.0", "[> 2.0.0.0 <= 3.0.0.0]"},
		{"multiConstraintProvider", ">2.0   , <=3.0", "[> 2.0.0.0 <= 3.0.0.0]"},
		{"multiConstraintProvider", "> 2.0   <=  3.0", "[> 2.0.0.0 <= 3.0.0.0]"},
		{"multiConstraintProvider", "> 2.0  ,  <=  3.0", "[> 2.0.0.0 <= 3.0.0.0]"},
		{"multiConstraintProvider", "  > 2.0  ,  <=  3.0 ", "[> 2.0.0.0 <= 3.0.0.0]"},
		{"multiConstraintProvider2", ">2.0,<2.0.5 | >2.0.6", "[[> 2.0.0.0 < 2.0.5.0-dev] || > 2.0.6.0]"},
		{"multiConstraintProvider2", ">2.0,<2.0.5 || >2.0.6", "[[> 2.0.0.0 < 2.0.5.0-dev] || > 2.0.6.0]"},
		{"multiConstraintProvider2", "> 2.0 , <2.0.5 | >  2.0.6", "[[> 2.0.0.0 < 2.0.5.0-dev] || > 2.0.6.0]"},
		{"multiConstraintOptimizations/Test collapses contiguous", "^2.5 || ^3.0", "[>= 2.5.0.0-dev < 4.0.0.0-dev]"},
		{"multiConstraintOptimizations/Test collapses multiple contiguous", "^2.5 || ^3.0 || ^4.0", "[>= 2.5.0.0-dev < 5.0.0.0-dev]"},
		{"multiConstraintOptimizations/Test does not collapse when one side is more complex", "~2.5.9 || ~2.6, >=2.6.2", "[[>= 2.5.9.0-dev < 2.6.0.0-dev] || [>= 2.6.0.0-dev < 3.0.0.0-dev >= 2.6.2.0-dev]]"},
		{"multiConstraintOptimizations/Test does not collapse multiple contiguous with other constraint but collapses the end", "^1.0 || ^2.0 !=2.0.1 || ^3.0 || ^4.0", "[[>= 1.0.0.0-dev < 2.0.0.0-dev] || [>= 2.0.0.0-dev < 3.0.0.0-dev != 2.0.1.0] || [>= 3.0.0.0-dev < 5.0.0.0-dev]]"},
		{"multiConstraintOptimizations/Test does not collapse multiple contiguous with multiple other constraint", "^1.0 != 1.0.1 || ^2.0 !=2.0.1 || ^3.0 || ^4.0 != 4.0.1", "[[>= 1.0.0.0-dev < 2.0.0.0-dev != 1.0.1.0] || [>= 2.0.0.0-dev < 3.0.0.0-dev != 2.0.1.0] || [>= 3.0.0.0-dev < 4.0.0.0-dev] || [>= 4.0.0.0-dev < 5.0.0.0-dev != 4.0.1.0]]"},
		{"multiConstraintOptimizations/Test does not collapse if contiguous range and other constraints also apply", "~0.1 || ~1.0 !=1.0.1", "[[>= 0.1.0.0-dev < 1.0.0.0-dev] || [>= 1.0.0.0-dev < 2.0.0.0-dev != 1.0.1.0]]"},
		{"multiConstraintOptimizations/Parse caret constraints must not collapse if non contiguous range", "^0.2 || ^1.0", "[[>= 0.2.0.0-dev < 0.3.0.0-dev] || [>= 1.0.0.0-dev < 2.0.0.0-dev]]"},
		{"multiConstraintOptimizations/Must not collapse if not contiguous range but collapse following constraints", "^0.1 || ^1.0 || ^2.0", "[[>= 0.1.0.0-dev < 0.2.0.0-dev] || [>= 1.0.0.0-dev < 3.0.0.0-dev]]"},
		{"multiConstraintOptimizations/Must not collapse other constraint not in range", "^1.0 || 2.1 || ^3.0", "[[>= 1.0.0.0-dev < 2.0.0.0-dev] || == 2.1.0.0 || [>= 3.0.0.0-dev < 4.0.0.0-dev]]"},
		{"testParseConstraintsIgnoresStabilityFlag", "1.0@dev", "== 1.0.0.0"},
		{"testParseConstraintsIgnoresStabilityFlag", ">=1.0@beta", ">= 1.0.0.0-beta"},
		{"testParseConstraintsIgnoresStabilityFlag", "dev-load-varnish-only-when-used as ^2.0@dev", "== dev-load-varnish-only-when-used"},
		{"testParseConstraintsIgnoresStabilityFlag", "dev-load-varnish-only-when-used@dev as ^2.0@dev", "== dev-load-varnish-only-when-used"},
		{"testParseConstraintsIgnoresReferenceOnDevVersion", "1.0.x-dev#abcd123", "== 1.0.9999999.9999999-dev"},
		{"testParseConstraintsIgnoresReferenceOnDevVersion", "1.0.x-dev#trunk/@123", "== 1.0.9999999.9999999-dev"},
		{"testParseConstraintsMultiWithStabilitySuffix", ">=1.1.0-alpha4,<1.2.x-dev", "[>= 1.1.0.0-alpha4 < 1.2.9999999.9999999-dev]"},
		{"testParseConstraintsMultiWithStabilitySuffix", ">=1.1.0-alpha4,<1.2-beta2", "[>= 1.1.0.0-alpha4 < 1.2.0.0-beta2]"},
		{"testParseConstraintsMultiWithStabilities", ">2.0@stable,<=3.0@dev", "[> 2.0.0.0 <= 3.0.0.0-dev]"},
		{"testParseConstraintsMultiWithStabilitiesWildcard", ">2.0@stable,@dev", "[> 2.0.0.0 *]"},
		{"testParseConstraintsMultiWithStabilitiesZero", ">2.0@stable || 0@dev", "[> 2.0.0.0 || == 0.0.0.0]"},
		{"testMatchAllConstraintWithinConjunctiveMultiConstraint", ">=2.5.0.0-dev <=3.0.0.0-dev *", "[>= 2.5.0.0-dev <= 3.0.0.0-dev *]"},
		{"testMatchAllConstraintWithinDisjunctiveMultiConstraint", ">=2.5.0.0-dev || *", "[>= 2.5.0.0-dev || *]"},
	}
	for _, tc := range tests {
		t.Run(tc.source+"/"+tc.in, func(t *testing.T) {
			c := mustParse(t, tc.in)
			if got := composerString(c); got != tc.want {
				t.Errorf("ParseConstraint(%q) is %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestComposerParseConstraintsFails ports failingConstraints
// (testParseConstraintsFails), testParseConstraintsFailsOnBadReference
// and testParseConstraintsNudgesRubyDevsTowardsThePathOfRighteousness.
func TestComposerParseConstraintsFails(t *testing.T) {
	tests := []struct{ source, in string }{
		{"failingConstraints/empty", ""},
		{"failingConstraints/invalid version", "1.0.0-meh"},
		{"failingConstraints/operator abuse", ">2.0,,<=3.0"},
		{"failingConstraints/operator abuse/2", ">2.0 ,, <=3.0"},
		{"failingConstraints/operator abuse/3", ">2.0 ||| <=3.0"},
		{"failingConstraints/leading operator", ",^1@dev || ^4@dev"},
		{"failingConstraints/leading operator/2", ",^1@dev"},
		{"failingConstraints/leading operator/3", "|| ^1@dev"},
		{"failingConstraints/trailing operator", "^1@dev ||"},
		{"failingConstraints/trailing operator/2", "^1@dev ,"},
		{"failingConstraints/caret+wildcard w/o -dev", "^2.0.*"},
		{"failingConstraints/caret+wildcard w/o -dev/2", "^2.0.x"},
		{"failingConstraints/caret+wildcard w/o -dev/3", "^2.0.x-beta"},
		{"failingConstraints/caret+wildcard w/o -dev/4", "^2.*"},
		{"failingConstraints/caret+wildcard w/o -dev/5", "^2.x"},
		{"failingConstraints/caret+wildcard w/o -dev/6", "^2.x-beta"},
		{"failingConstraints/caret+wildcard w/o -dev/7", "^2.1.2.*"},
		{"failingConstraints/caret+wildcard w/o -dev/8", "^2.1.2.x"},
		{"failingConstraints/caret+wildcard w/o -dev/9", "^2.1.2.x-beta"},
		{"failingConstraints/tilde+wildcard w/o -dev", "~2.0.*"},
		{"failingConstraints/tilde+wildcard w/o -dev/2", "~2.0.x"},
		{"failingConstraints/tilde+wildcard w/o -dev/3", "~2.0.x-beta"},
		{"failingConstraints/tilde+wildcard w/o -dev/4", "~2.*"},
		{"failingConstraints/tilde+wildcard w/o -dev/5", "~2.x"},
		{"failingConstraints/tilde+wildcard w/o -dev/6", "~2.x-beta"},
		{"failingConstraints/tilde+wildcard w/o -dev/7", "~2.1.2.*"},
		{"failingConstraints/tilde+wildcard w/o -dev/8", "~2.1.2.x"},
		{"failingConstraints/tilde+wildcard w/o -dev/9", "~2.1.2.x-beta"},
		{"failingConstraints/dash range with wildcard", "1.x - 2.*"},
		{"failingConstraints/dash range with wildcards", "2.x.x.x-dev - 3.x.x.x-dev"},
		{"failingConstraints/broken constraint with dev suffix", "^1.*-beta-dev"},
		{"failingConstraints/broken constraint with dev suffix/2", "^1. *-dev"},
		{"failingConstraints/broken constraint with dev suffix/3", "~1.*-beta-dev"},
		{"failingConstraints/dev suffix conversion only works on simple strings", "1.0.0-dev<1.0.5-dev"},
		{"failingConstraints/dev suffix conversion only works on simple strings/2", "*-dev"},
		{"failingConstraints/just an operator", "^"},
		{"failingConstraints/just an operator/2", "^8 || ^"},
		{"failingConstraints/just an operator/3", "~"},
		{"failingConstraints/just an operator/4", "~1 ~"},
		{"testParseConstraintsFailsOnBadReference", "1.0#abcd123"},
		{"testParseConstraintsFailsOnBadReference", "1.0#trunk/@123"},
		{"testParseConstraintsNudgesRubyDevsTowardsThePathOfRighteousness", "~>1.2"},
	}
	for _, tc := range tests {
		t.Run(tc.source+"/"+tc.in, func(t *testing.T) {
			c, err := ParseConstraint(tc.in)
			if err == nil {
				t.Fatalf("ParseConstraint(%q) = %s, want an error", tc.in, composerString(c))
			}
			if strings.HasPrefix(tc.in, "~>") && !strings.Contains(err.Error(), `invalid operator "~>", you probably meant "~"`) {
				t.Errorf("ParseConstraint(%q): %v, want the nudge towards \"~\"", tc.in, err)
			}
		})
	}
}

// TestComposerParseStability ports stabilityProvider (testParseStability).
func TestComposerParseStability(t *testing.T) {
	tests := []struct{ in, want string }{
		{"1", "stable"},
		{"1.0", "stable"},
		{"3.2.1", "stable"},
		{"v3.2.1", "stable"},
		{"v2.0.x-dev", "dev"},
		{"v2.0.x-dev#abc123", "dev"},
		{"v2.0.x-dev#trunk/@123", "dev"},
		{"3.0-RC2", "RC"},
		{"dev-master", "dev"},
		{"3.1.2-dev", "dev"},
		{"dev-feature+issue-1", "dev"},
		{"3.1.2-p1", "stable"},
		{"3.1.2-pl2", "stable"},
		{"3.1.2-patch", "stable"},
		{"3.1.2-alpha5", "alpha"},
		{"3.1.2-beta", "beta"},
		{"2.0B1", "beta"},
		{"1.2.0a1", "alpha"},
		{"1.2_a1", "alpha"},
		{"2.0.0rc1", "RC"},
		{"1.0.0-alpha11+cs-1.1.0", "alpha"},
		{"1-2_dev", "dev"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := parseStability(tc.in); got != tc.want {
				t.Errorf("parseStability(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}
