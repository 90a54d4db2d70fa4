package checks

import (
	"strings"
	"testing"

	"github.com/brefimg/brefimg/composer"
	"github.com/brefimg/brefimg/findings"
)

func TestChooseLine(t *testing.T) {
	locked := func(version string, aliases map[string]string) *composer.Project {
		return &composer.Project{HasJSON: true, HasLock: true, Packages: []composer.Package{
			{Name: "bref/bref", Version: version, BranchAliases: aliases, File: composer.LockFile, Line: 20, VersionLine: 21}}}
	}
	required := func(constraint string) *composer.Project {
		return &composer.Project{HasJSON: true, Require: []composer.Requirement{
			{Name: "php", Constraint: "^8.1", File: composer.JSONFile, Line: 4},
			{Name: "bref/bref", Constraint: constraint, File: composer.JSONFile, Line: 5}}}
	}
	branchAndRequire := locked("dev-feature", nil)
	branchAndRequire.Require = required("^2.1").Require
	devOnly := &composer.Project{HasJSON: true, HasLock: true,
		RequireDev:  []composer.Requirement{{Name: "bref/bref", Constraint: "^2.0", File: composer.JSONFile, Line: 9}},
		DevPackages: []composer.Package{{Name: "bref/bref", Version: "2.4.1", File: composer.LockFile, Line: 40, VersionLine: 41}}}
	tests := []struct {
		name    string
		p       *composer.Project
		line    int
		source  string
		wantErr []string
	}{
		{name: "no project", p: nil, line: 3, source: "default"},
		{name: "no bref/bref", p: &composer.Project{HasJSON: true}, line: 3, source: "default"},
		// testdata/app: ^1.7 and no lock used to build on Bref 3.
		{name: "composer.json ^1.7", p: required("^1.7"), line: 1, source: "composer.json require bref/bref ^1.7"},
		{name: "the newest line allowed", p: required("^1.7 || ^2.0"), line: 2, source: "composer.json require bref/bref ^1.7 || ^2.0"},
		{name: "any", p: required("*"), line: 3, source: "composer.json require bref/bref *"},
		{name: "a range within a line", p: required(">=2.1.5 <2.1.7"), line: 2, source: "composer.json require bref/bref >=2.1.5 <2.1.7"},
		{name: "the lock wins", p: func() *composer.Project {
			p := locked("1.7.3", nil)
			p.Require = required("^1.5 || ^2").Require
			return p
		}(),
			line: 1, source: "composer.lock bref/bref 1.7.3"},
		{name: "v-prefixed version", p: locked("v2.1.5", nil), line: 2, source: "composer.lock bref/bref v2.1.5"},
		{name: "branch with alias", p: locked("dev-main", map[string]string{"dev-main": "3.x-dev"}), line: 3, source: "composer.lock bref/bref dev-main"},
		{name: "branch without alias: the constraint says", p: branchAndRequire, line: 2, source: "composer.json require bref/bref ^2.1"},
		{name: "installed.json without a lock", p: &composer.Project{HasInstalled: true, Packages: []composer.Package{
			{Name: "bref/bref", Version: "2.0.2", File: composer.InstalledFile, Line: 3}}}, line: 2, source: "vendor/composer/installed.json bref/bref 2.0.2"},
		{name: "require-dev", p: devOnly, line: 2, source: "composer.lock bref/bref 2.4.1"},
		{name: "require-dev constraint", p: &composer.Project{HasJSON: true, RequireDev: devOnly.RequireDev}, line: 2, source: "composer.json require-dev bref/bref ^2.0"},
		{name: "locked 0.x", p: locked("0.5.12", nil), wantErr: []string{"composer.lock:21:", "bref/bref 0.5.12", "Bref 0.x", "no container images", "Bref 1 or newer", "composer require bref/bref:^1"}},
		{name: "locked 4.x", p: locked("4.0.0", nil), wantErr: []string{"composer.lock:21:", "Bref 4", "1, 2 and 3 only"}},
		{name: "0.x constraint", p: required("^0.5"), wantErr: []string{"composer.json:5:", `require bref/bref "^0.5"`, "Bref 0.x only", "no container images"}},
		{name: "a line brefimg does not know", p: required("^4.0"), wantErr: []string{"composer.json:5:", `"^4.0"`, "allows no Bref line brefimg knows (1, 2 or 3)"}},
		{name: "a branch constraint", p: required("dev-main"), wantErr: []string{`"dev-main"`, "allows no Bref line"}},
		{name: "not a constraint", p: required("^1.x.y.z"), wantErr: []string{`"^1.x.y.z" is not a Composer constraint`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ChooseLine(tc.p)
			if tc.wantErr != nil {
				if err == nil {
					t.Fatalf("ChooseLine = %+v, want an error", got)
				}
				for _, s := range tc.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not name %q", err, s)
					}
				}
				if buildFlag.MatchString(err.Error()) {
					t.Errorf("error %q names a CLI flag", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got.Line != tc.line || got.Source != tc.source {
				t.Errorf("ChooseLine = %+v, want line %d from %q", got, tc.line, tc.source)
			}
		})
	}
}

// TestRunInfersLine: without a line, Run checks against the line the app's
// bref/bref says, and refuses a Bref 0.x app.
func TestRunInfersLine(t *testing.T) {
	t.Run("bref-version fixture", func(t *testing.T) {
		// The fixture locks bref/bref 2.1.5: Bref 2, so no mismatch, and
		// PHP 8.4 is Bref 2's newest.
		got, err := Run(Input{AppDir: fixture("bref-version")})
		if err != nil {
			t.Fatal(err)
		}
		checkFindings(t, got, nil)
	})
	t.Run("0.x", func(t *testing.T) {
		p := &composer.Project{HasLock: true, Packages: []composer.Package{{Name: "bref/bref", Version: "0.5.30", File: composer.LockFile, Line: 7, VersionLine: 8}}}
		_, err := Run(Input{AppDir: fixture("clean-laravel"), Project: p})
		if err == nil || !strings.Contains(err.Error(), "Bref 0.x") {
			t.Errorf("Run: %v, want the Bref 0.x error", err)
		}
		// Given a line, the library is a bref-version finding that says
		// what to upgrade to, not "use Bref 0".
		fs := BrefLibrary(p, 1)
		checkFindings(t, fs, []want{{findings.IDBrefVersion, findings.Error, composer.LockFile, 8, []string{"Bref 0.x had no container images", "composer require bref/bref:^1"}}})
		if strings.Contains(fs[0].Message, "use Bref 0") {
			t.Errorf("%s advises Bref 0", fs[0])
		}
	})
}
