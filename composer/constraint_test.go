package composer

import (
	"fmt"
	"strings"
	"testing"

	"github.com/Masterminds/semver/v3"
)

// TestCheckDocumentedExamples checks the examples of Composer's
// documentation (getcomposer.org/doc/articles/versions.md) and the cases
// Bref apps meet in require.php.
func TestCheckDocumentedExamples(t *testing.T) {
	tests := []struct {
		constraint string
		match      []string
		noMatch    []string
	}{
		// Exact.
		{"1.0.2", []string{"1.0.2", "v1.0.2", "1.0.2.0"}, []string{"1.0.1", "1.0.3", "1.0.2-beta"}},
		// Range.
		{">=1.0", []string{"1.0", "1.0.0-beta", "1.0.0-dev", "5.0"}, []string{"0.9.9", "0.9.9-beta"}},
		{">=1.0 <2.0", []string{"1.0.0", "1.9.9"}, []string{"2.0.0", "2.0.0-beta", "0.9"}},
		{">=1.0,<2.0", []string{"1.5"}, []string{"2.0"}},
		{">=1.0 <1.1 || >=1.2", []string{"1.0.5", "1.2.0", "3.0"}, []string{"1.1.0", "1.1.9", "0.1"}},
		{">1.2", []string{"1.2.1", "2.0"}, []string{"1.2.0", "1.1"}},
		{"<1.3", []string{"1.2.9", "1.2.9-RC1"}, []string{"1.3.0", "1.3.0-beta", "1.3.0-dev"}},
		{"<=1.3", []string{"1.3.0", "1.3.0-RC1"}, []string{"1.3.1", "1.4"}},
		{"!=1.2.0", []string{"1.2.1", "1.1"}, []string{"1.2.0", "1.2"}},
		{"<>1.2.0", []string{"1.2.1"}, []string{"1.2.0"}},
		{">= 8.1", []string{"8.1.0", "8.4"}, []string{"8.0.30"}},
		// Range (hyphen): a partial upper bound is a wildcard.
		{"1.0 - 2.0", []string{"1.0.0", "2.0.0", "2.0.99"}, []string{"0.9", "2.1.0", "2.1.0-dev"}},
		{"1.0.0 - 2.1.0", []string{"1.0.0", "2.1.0"}, []string{"2.1.1", "0.9.9"}},
		{"1 - 2", []string{"1.0.0", "2.99.1"}, []string{"3.0.0", "0.9"}},
		{"8.0 - 8.2", []string{"8.0.0", "8.2.30"}, []string{"8.3.0", "7.4.33"}},
		// Wildcard.
		{"1.0.*", []string{"1.0.0", "1.0.9"}, []string{"1.1.0", "0.9"}},
		{"8.*", []string{"8.0", "8.5.1"}, []string{"9.0", "7.4"}},
		{"*", []string{"0.0.1", "8.3", "dev-main"}, nil},
		// Tilde: the last given part may go up.
		{"~1.2", []string{"1.2.0", "1.9.9"}, []string{"2.0.0", "1.1.9", "2.0-beta.1"}},
		{"~1.2.3", []string{"1.2.3", "1.2.99"}, []string{"1.3.0", "1.2.2"}},
		{"~1", []string{"1.0.0", "1.9"}, []string{"2.0", "0.9"}},
		{"~8.1", []string{"8.1.0", "8.4.3"}, []string{"9.0.0", "8.0.30"}},
		{"~8.1.2", []string{"8.1.2", "8.1.30"}, []string{"8.2.0", "8.1.1"}},
		// Caret.
		{"^1.2.3", []string{"1.2.3", "1.9.0"}, []string{"2.0.0", "1.2.2"}},
		{"^0.3", []string{"0.3.0", "0.3.9"}, []string{"0.4.0", "0.2.9"}},
		{"^0.0.3", []string{"0.0.3"}, []string{"0.0.4", "0.0.2"}},
		{"^0", []string{"0.0.1", "0.9.9"}, []string{"1.0.0"}},
		{"^8.2", []string{"8.2.0", "8.5"}, []string{"9.0", "8.1.30"}},
		{"^v8.2", []string{"8.3"}, []string{"8.1"}},
		// OR, with "||" or "|".
		{"^7.4 || ^8.0", []string{"7.4.33", "8.3.1"}, []string{"7.3", "9.0"}},
		{"^7.4|^8.0", []string{"7.4.0", "8.0.0"}, []string{"7.3.9"}},
		{"~8.1.0 | ~8.3.0", []string{"8.1.5", "8.3.0"}, []string{"8.2.0", "8.4.0"}},
		// Stability flags are stripped.
		{"^8.2@dev", []string{"8.2.0", "8.3"}, []string{"8.1"}},
		{"^8.2@stable", []string{"8.2.0"}, []string{"8.1"}},
		{">=2.0@beta", []string{"2.0.0-beta1", "2.0"}, []string{"2.0.0-alpha1"}},
		{"@dev", []string{"1.0", "dev-main"}, nil},
		// Stability suffixes.
		{">=1.2-stable", []string{"1.2.0"}, []string{"1.2.0-RC1"}},
		{">=1.0.0-beta2", []string{"1.0.0-beta2", "1.0.0-RC1", "1.0.0"}, []string{"1.0.0-beta1", "1.0.0-alpha9"}},
		// Aliases and branches.
		{"1.0 as 2.0", []string{"1.0.0"}, []string{"2.0.0"}},
		{"dev-main", []string{"dev-main"}, []string{"dev-master", "1.0.0"}},
		{"!=dev-main", []string{"dev-master", "1.0"}, []string{"dev-main"}},
		{"2.x-dev", []string{"2.x-dev"}, []string{"2.1.0"}},
		{"^2.0@dev || dev-main", []string{"2.5", "dev-main"}, []string{"dev-master", "1.0"}},
		{"dev-main#a1b2c3", []string{"dev-main"}, []string{"1.0"}},
		{"master", []string{"dev-master"}, []string{"dev-main", "1.0"}},
		{"feature-dev", []string{"dev-feature"}, []string{"feature"}},
		{"v*", []string{"0.0.1", "9.9"}, []string{"dev-main"}},
		{"1.*.*", []string{"1.0.0", "1.9.9"}, []string{"2.0.0"}},
		{"1.0 - 2.0-beta", []string{"1.5", "2.0.0-beta"}, []string{"2.0.0", "2.0.0-RC1"}},
		{"~2.0-beta", []string{"2.0.0-beta", "2.9"}, []string{"2.0.0-alpha", "3.0"}},
	}
	for _, tc := range tests {
		t.Run(tc.constraint, func(t *testing.T) {
			c, err := ParseConstraint(tc.constraint)
			if err != nil {
				t.Fatalf("ParseConstraint(%q): %v", tc.constraint, err)
			}
			if c.String() != tc.constraint {
				t.Errorf("String() = %q, want %q", c.String(), tc.constraint)
			}
			for _, v := range tc.match {
				if !c.Check(v) {
					t.Errorf("%q does not match %q, want a match", tc.constraint, v)
				}
			}
			for _, v := range tc.noMatch {
				if c.Check(v) {
					t.Errorf("%q matches %q, want no match", tc.constraint, v)
				}
			}
		})
	}
}

// TestCheckComposerSemantics checks what the package got wrong before it
// was ported from composer/semver line by line (issue 18, item 5), and the
// versions it refused: flags at dev versions, four-part and numeric
// branches, patch releases and date versions. The answers are Composer's
// (composer/semver at the commit semver_helpers_test.go names, run on PHP
// 8.2).
func TestCheckComposerSemantics(t *testing.T) {
	tests := []struct {
		constraint string
		match      []string
		noMatch    []string
	}{
		// A flag moves the version of a comparison to its stability:
		// ">2.0@dev" is >2.0.0.0-dev, so it admits 2.0.0 itself.
		{">2.0@dev", []string{"2.0.0", "2.0.1-dev", "2.0.0-alpha1"}, []string{"2.0.0-dev", "1.9"}},
		{"!=2.0@dev", []string{"2.0.0", "2.0.1-dev", "dev-main"}, []string{"2.0.0-dev"}},
		{">=2.0@beta", []string{"2.0.0-beta", "2.0.0-beta1", "2.0.0-RC1"}, []string{"2.0.0-alpha9"}},
		// "<=3.0@dev" is <=3.0.0.0-dev: 3.0.0-beta1 is above it.
		{">2.0@stable,<=3.0@dev", []string{"2.5", "3.0.0-dev", "2.0.1"}, []string{"2.0.0", "3.0.0", "3.0.0-beta1"}},
		// "=" and a bare version drop the flag.
		{"1.0@dev", []string{"1.0.0"}, []string{"1.0.0-dev"}},
		// Numeric branches keep every part, zero padding compares as numbers.
		{"1.x-dev", []string{"1.x-dev", "1.9999999.9999999.9999999-dev", "v1.x-dev"}, []string{"1.0.0", "dev-1.x", "1.0.x-dev"}},
		{"041.x-dev", []string{"041.x-dev", "41.x-dev"}, []string{"41.0.0"}},
		{"2.0.3.x-dev", []string{"2.0.3.x-dev", "2.0.3.9999999-dev"}, []string{"2.0.x-dev", "2.0.3"}},
		{"~2.0.3.x-dev", []string{"2.0.3.x-dev", "2.0.3.9999999"}, []string{"2.0.3.5", "2.0.4", "2.0.4-dev"}},
		{"^2.0.3.x-dev", []string{"2.0.4", "2.9", "2.0.3.x-dev"}, []string{"2.0.3.5", "3.0", "3.0.0-dev"}},
		{"2.0.3.x-dev - 3.0.3.x-dev", []string{"2.5", "3.0.3.5", "3.0.3.x-dev"}, []string{"3.0.4", "2.0.3.1"}},
		{"^2.0.x-dev", []string{"2.1", "2.0.x-dev"}, []string{"2.0.5", "3.0"}},
		// Four-part versions.
		{"1.2.3.4", []string{"1.2.3.4", "v1.2.3.4"}, []string{"1.2.3", "1.2.3.5"}},
		{"~1.2.3.4", []string{"1.2.3.4", "1.2.3.9"}, []string{"1.2.4", "1.2.3.3"}},
		{"^1.2.3.4", []string{"1.2.3.4", "1.9"}, []string{"1.2.3", "2.0"}},
		{">1.2.3", []string{"1.2.3.1", "1.2.4"}, []string{"1.2.3.0", "1.2.3"}},
		{"<1.2.3.4", []string{"1.2.3.3", "1.2.3"}, []string{"1.2.3.4-dev", "1.2.3.4"}},
		{"2.1.3.*", []string{"2.1.3.0", "2.1.3.9"}, []string{"2.1.4", "2.1.2.9"}},
		// Patch releases are above the release they patch.
		{">1.0.0", []string{"1.0.0-p1", "1.0.0-pl2", "1.0.0-patch3"}, []string{"1.0.0", "1.0.0-RC1"}},
		{"<=1.0.0", []string{"1.0.0", "1.0.0-beta"}, []string{"1.0.0-p1"}},
		{"1.0.0-p1", []string{"1.0.0-patch1", "1.0.0.pl1"}, []string{"1.0.0", "1.0.0-p2"}},
		{"^1.0.0-p1", []string{"1.0.0-p2", "1.5"}, []string{"1.0.0", "1.0.0-p1-dev"}},
		// Date versions.
		{">=20240101", []string{"20240101", "20240102", "20240101.1"}, []string{"20231231"}},
		// "2010-01-02" is the date 2010.01.02, "2010.01.02" the classical
		// 2010.01.02.0, which is above it.
		{"2010-01-02", []string{"2010-01-02", "2010:01:02"}, []string{"2010.01.02", "2010-01-03"}},
		// Composer's quirks, kept: it looks for a stability suffix in the
		// lower-cased text with an expression that spells "RC" in capitals,
		// so "<1.0-RC1" gets "-dev" (<1.0.0.0-RC1-dev); and it appends the
		// "-dev" of a caret's lower bound after the "+build", which drops it.
		{"<1.0-RC1", []string{"1.0.0-beta"}, []string{"1.0.0-RC1-dev", "1.0.0-RC1"}},
		{"^1.2.3+build", []string{"1.2.3", "1.9"}, []string{"1.2.3-dev", "1.2.3-RC1"}},
		// Contiguous alternatives are merged before matching, as Composer's
		// MultiConstraint::create does; with an empty range that matters.
		{"^1.3 || 2 - 0", []string{}, []string{"1.5", "2.5", "0.5"}},
	}
	for _, tc := range tests {
		t.Run(tc.constraint, func(t *testing.T) {
			c := mustParse(t, tc.constraint)
			for _, v := range tc.match {
				if !c.Check(v) {
					t.Errorf("%q does not match %q, want a match", tc.constraint, v)
				}
			}
			for _, v := range tc.noMatch {
				if c.Check(v) {
					t.Errorf("%q matches %q, want no match", tc.constraint, v)
				}
			}
		})
	}
}

// TestAllowsSeriesAgreesWithCheck compares AllowsSeries with checking every
// patch release of the series up to 30, for constraints whose patch
// numbers are all below that.
func TestAllowsSeriesAgreesWithCheck(t *testing.T) {
	constraints := []string{"^8.2", "~8.1.3", ">8.2.3.4 <8.2.4", ">=8.2.3.4 <8.2.5", "8.2.3.4", "8.2.3", "!=8.2.0 <8.2.1",
		">8.2.9-p1 <8.2.10", ">8.2.9 <8.2.9-p1", "8.2.*", ">=8.2.5@dev <8.2.6@dev", "2.0.3.x-dev - 8.2.3.x-dev", "dev-main || 8.1.2",
		"8.2.0-p1", ">=08.02.7 <8.2.8", "^1.3 || 2 - 0"}
	for _, s := range constraints {
		c := mustParse(t, s)
		for _, series := range []string{"8.1", "8.2", "8.3"} {
			t.Run(s+"/"+series, func(t *testing.T) {
				want := false
				for p := 0; p <= 30 && !want; p++ {
					want = c.Check(fmt.Sprintf("%s.%d", series, p))
				}
				if got := c.AllowsSeries(series); got != want {
					t.Errorf("%q.AllowsSeries(%s) = %v, want %v", s, series, got, want)
				}
			})
		}
	}
}

// grid is every version a.b.c for small a, b, c, with some pre-releases and
// a branch: enough to tell two constraints apart.
func grid() []string {
	var vs []string
	for a := 0; a <= 3; a++ {
		for b := 0; b <= 4; b++ {
			for c := 0; c <= 4; c++ {
				vs = append(vs, fmt.Sprintf("%d.%d.%d", a, b, c))
			}
			vs = append(vs, fmt.Sprintf("%d.%d.0-dev", a, b), fmt.Sprintf("%d.%d.0-beta1", a, b), fmt.Sprintf("%d.%d.0-RC2", a, b))
		}
	}
	return append(vs, "dev-main", "1.x-dev")
}

// TestEquivalences checks that each constraint of Composer's documentation
// matches exactly what its documented equivalent matches, including the
// internal forms of the "Stability Constraints" table.
func TestEquivalences(t *testing.T) {
	tests := []struct{ a, b string }{
		{"1.0 - 2.0", ">=1.0.0 <2.1"},
		{"1.0.0 - 2.1.0", ">=1.0.0 <=2.1.0"},
		{"1.0.*", ">=1.0 <1.1"},
		{"~1.2", ">=1.2 <2.0.0"},
		{"~1.2.3", ">=1.2.3 <1.3.0"},
		{"~1", "~1.0"},
		{"^1.2.3", ">=1.2.3 <2.0.0"},
		{"^0.3", ">=0.3.0 <0.4.0"},
		{"1.2.3", "=1.2.3.0-stable"},
		{">1.2", ">1.2.0.0-stable"},
		{">=1.2", ">=1.2.0.0-dev"},
		{">=1.2-stable", ">=1.2.0.0-stable"},
		{"<1.3", "<1.3.0.0-dev"},
		{"<=1.3", "<=1.3.0.0-stable"},
		{"1 - 2", ">=1.0.0.0-dev <3.0.0.0-dev"},
		{"~1.3", ">=1.3.0.0-dev <2.0.0.0-dev"},
		{"1.4.*", ">=1.4.0.0-dev <1.5.0.0-dev"},
		{">1.0 <=1.5", ">1.0,<=1.5"},
		{"^1.0 || ^3.0", "^1.0 | ^3.0"},
		{">=1.0 <1.1 || >=1.2", ">=1.0,<1.1||>=1.2"},
	}
	vs := grid()
	for _, tc := range tests {
		t.Run(tc.a+" = "+tc.b, func(t *testing.T) {
			a, err := ParseConstraint(tc.a)
			if err != nil {
				t.Fatal(err)
			}
			b, err := ParseConstraint(tc.b)
			if err != nil {
				t.Fatal(err)
			}
			matched := 0
			for _, v := range vs {
				ga, gb := a.Check(v), b.Check(v)
				if ga != gb {
					t.Errorf("%s: %q gives %v, %q gives %v", v, tc.a, ga, tc.b, gb)
				}
				if ga {
					matched++
				}
			}
			if matched == 0 || matched == len(vs) {
				t.Errorf("%q matches %d of %d versions: the grid does not test it", tc.a, matched, len(vs))
			}
		})
	}
}

// TestAgainstMasterminds compares Check with Masterminds semver on stable
// versions: equal where the two libraries' semantics agree, and different
// where Composer's must be translated.
func TestAgainstMasterminds(t *testing.T) {
	var stable []string
	for _, v := range grid() {
		if !strings.Contains(v, "-") {
			stable = append(stable, v)
		}
	}
	tests := []struct {
		constraint string
		agree      bool
	}{
		{"^1.2.3", true},
		{"^0.3", true},
		{"^0.0.3", true},
		{">=1.0 <2.0", true},
		{">=1.0, <1.1 || >=1.2", true},
		{"1.0.*", true},
		{"~1", true},
		{"!=1.2.0", true},
		{"1.2.3", true},
		{"1.0.0 - 2.1.0", true},
		{"1.0 - 2.0", true},
		{"^1.2 || ^3.0", true},
		// Masterminds' tilde is npm's: ~1.2 is <1.3 there.
		{"~1.2", false},
		// Masterminds treats a partial version after > and <= as a wildcard.
		{">1.2", false},
		{"<=1.3", false},
	}
	for _, tc := range tests {
		t.Run(tc.constraint, func(t *testing.T) {
			ours, err := ParseConstraint(tc.constraint)
			if err != nil {
				t.Fatal(err)
			}
			theirs, err := semver.NewConstraint(tc.constraint)
			if err != nil {
				t.Fatal(err)
			}
			differ := 0
			for _, v := range stable {
				if ours.Check(v) != theirs.Check(semver.MustParse(v)) {
					differ++
					if tc.agree {
						t.Errorf("%s: composer %v, masterminds %v", v, ours.Check(v), !ours.Check(v))
					}
				}
			}
			if !tc.agree && differ == 0 {
				t.Errorf("%q: the libraries agree on every version, want a difference", tc.constraint)
			}
		})
	}
}

func TestParseConstraintErrors(t *testing.T) {
	tests := []struct {
		in   string
		want string
	}{
		{"", "is empty"},
		{"main", `invalid version string "main"`},
		{"   ", "is empty"},
		{"^8.1 ||", "empty alternative"},
		{"~>1.2", `invalid operator "~>"`},
		{"foo", `invalid version string "foo"`},
		{">=foo", `invalid version string "foo"`},
		{">2.0,,<=3.0", `invalid version string "2.0,,<=3.0"`},
		{",^1@dev", `invalid version string ",^1@dev"`},
		{"^1@dev ,", `invalid version string "^1@dev ,"`},
		{">=1.0\t<2.0", `invalid version string "1.0\t<2.0"`},
		{"1.0.0.0.0", `invalid version string "1.0.0.0.0"`},
		{"^2.0.*", `invalid version string "^2.0.*"`},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			_, err := ParseConstraint(tc.in)
			if err == nil {
				t.Fatalf("ParseConstraint(%q): no error, want one containing %q", tc.in, tc.want)
			}
			msg := err.Error()
			if !strings.Contains(msg, tc.want) || !strings.HasPrefix(msg, "parsing version constraint") {
				t.Errorf("error %q, want it to start with %q and contain %q", msg, "parsing version constraint", tc.want)
			}
		})
	}
}

func TestCheckInvalidVersion(t *testing.T) {
	c := MustParseConstraint("*")
	for _, v := range []string{"", "not a version", "1.2.3.4.5", "1.0.0-meh"} {
		t.Run(v, func(t *testing.T) {
			if c.Check(v) {
				t.Errorf("Check(%q) = true, want false for a version that does not parse", v)
			}
		})
	}
	if (Constraint{}).Check("1.0") {
		t.Errorf("the zero Constraint matches 1.0")
	}
}

func TestAllowsSeries(t *testing.T) {
	tests := []struct {
		constraint string
		yes, no    []string
	}{
		{"^8.2", []string{"8.2", "8.3", "8.5"}, []string{"8.1", "9.0"}},
		{"^8.2.5", []string{"8.2", "8.4"}, []string{"8.1"}},
		{"~8.1.0", []string{"8.1"}, []string{"8.2", "8.0"}},
		{"~8.1", []string{"8.1", "8.4"}, []string{"8.0", "9.0"}},
		{">=8.0 <8.3", []string{"8.0", "8.2"}, []string{"8.3", "7.4"}},
		{"8.0 - 8.2", []string{"8.0", "8.2"}, []string{"8.3"}},
		{">=8.2.0 <8.2.5", []string{"8.2"}, []string{"8.3"}},
		{"8.2.3", []string{"8.2"}, []string{"8.3"}},
		{"!=8.2.0", []string{"8.2", "8.3"}, nil},
		{">8.2.9 <8.2.11", []string{"8.2"}, []string{"8.3"}},
		{"^7.4 || ^8.0", []string{"7.4", "8.5"}, []string{"7.3"}},
		{"8.1.*", []string{"8.1"}, []string{"8.2"}},
		{"dev-main", nil, []string{"8.2"}},
	}
	for _, tc := range tests {
		t.Run(tc.constraint, func(t *testing.T) {
			c := MustParseConstraint(tc.constraint)
			for _, s := range tc.yes {
				if !c.AllowsSeries(s) {
					t.Errorf("%q does not allow the series %s, want it allowed", tc.constraint, s)
				}
			}
			for _, s := range tc.no {
				if c.AllowsSeries(s) {
					t.Errorf("%q allows the series %s, want it refused", tc.constraint, s)
				}
			}
		})
	}
	if MustParseConstraint("*").AllowsSeries("82") {
		t.Errorf("AllowsSeries(\"82\") = true, want false: not MAJOR.MINOR")
	}
}

func TestNewestSatisfying(t *testing.T) {
	php := []string{"8.2", "8.3", "8.4", "8.5"}
	tests := []struct {
		constraint string
		candidates []string
		want       string
		ok         bool
	}{
		{"^8.2", php, "8.5", true},
		{"~8.2.0", php, "8.2", true},
		{">=8.2 <8.4", php, "8.3", true},
		{"^7.4", php, "", false},
		{"^2.0", []string{"v2.1.0", "2.10.1", "2.9.9", "3.0.0", "dev-main", "junk"}, "2.10.1", true},
		{"*", nil, "", false},
	}
	for _, tc := range tests {
		t.Run(tc.constraint, func(t *testing.T) {
			got, ok := NewestSatisfying(MustParseConstraint(tc.constraint), tc.candidates)
			if got != tc.want || ok != tc.ok {
				t.Errorf("NewestSatisfying(%q, %v) = %q, %v, want %q, %v", tc.constraint, tc.candidates, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestMajor(t *testing.T) {
	tests := []struct {
		in   string
		want int
		ok   bool
	}{
		{"2.1.5", 2, true},
		{"v1.7.3", 1, true},
		{"3.0.0-beta1", 3, true},
		{"2.x-dev", 2, true},
		{"1.2.3.4", 1, true},
		{"2.0.0-p1", 2, true},
		{"041.x-dev", 41, true},
		{"20240101", 0, false},
		{"dev-main", 0, false},
		{"junk", 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, ok := Major(tc.in)
			if got != tc.want || ok != tc.ok {
				t.Errorf("Major(%q) = %d, %v, want %d, %v", tc.in, got, ok, tc.want, tc.ok)
			}
		})
	}
}

func TestVersionOrder(t *testing.T) {
	// Composer's order: dev < alpha < beta < RC < stable < patch, numbers
	// within.
	ordered := []string{"1.0.0-dev", "1.0.0-alpha", "1.0.0-alpha1", "1.0.0-alpha2", "1.0.0-beta1-dev", "1.0.0-beta1", "1.0.0-b2", "1.0.0-RC1", "1.0.0",
		"1.0.0-p1", "1.0.0-patch2", "1.0.0.1-dev", "1.0.0.1", "1.0.1-dev", "1.0.1", "2.0.0", "20240101"}
	for i := 0; i+1 < len(ordered); i++ {
		a, err := parseVersion(ordered[i])
		if err != nil {
			t.Fatal(err)
		}
		b, err := parseVersion(ordered[i+1])
		if err != nil {
			t.Fatal(err)
		}
		if compareVersions(a, b) >= 0 {
			t.Errorf("%s (%s) is not before %s (%s)", ordered[i], a, ordered[i+1], b)
		}
	}
}

func TestMajorMinor(t *testing.T) {
	tests := []struct {
		in           string
		major, minor int
		ok           bool
	}{
		{"8.1.0", 8, 1, true},
		{"v8.2", 8, 2, true},
		{"8", 8, 0, true},
		{"8.x-dev", 0, 0, false},
		{"8.2.1.4", 8, 2, true},
		{"8.2.1-pl1", 8, 2, true},
		{"20240101", 0, 0, false},
		{"dev-main", 0, 0, false},
		{"eight", 0, 0, false},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			ma, mi, ok := MajorMinor(tc.in)
			if ma != tc.major || mi != tc.minor || ok != tc.ok {
				t.Errorf("MajorMinor(%q) = %d, %d, %v, want %d, %d, %v", tc.in, ma, mi, ok, tc.major, tc.minor, tc.ok)
			}
		})
	}
}
