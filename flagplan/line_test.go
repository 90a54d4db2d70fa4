package flagplan

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brefimg/brefimg/checks"
	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/plan"
)

const lockWith = `{
    "packages": [
        {
            "name": "bref/bref",
            "version": "%s",
            "require": {"php": ">=7.3"}
        }
    ],
    "packages-dev": []
}
`

// TestPlanLine: without a line, the plan takes the one the app's
// bref/bref says, and records where the line and the PHP version came
// from.
func TestPlanLine(t *testing.T) {
	app := func(files map[string]string) string {
		files["public/index.php"] = "<?php"
		return fixtures.WriteDir(t, files)
	}
	json := func(require string) string { return `{"require": {"php": "^8.0", "bref/bref": "` + require + `"}}` }
	tests := []struct {
		name       string
		flags      Flags
		line       int
		lineSource string
		php        string
		phpSource  string
		base       string
		wantErr    []string
	}{
		// testdata/app requires bref/bref ^1.7 and has no lock: it used to
		// build on Bref 3.
		{name: "testdata/app", flags: Flags{AppDir: filepath.Join("..", "testdata", "app")}, line: 1,
			lineSource: "composer.json require bref/bref ^1.7", php: "8.2", phpSource: "the newest the Composer files allow", base: "bref/php-82-fpm:1"},
		{name: "the flag wins", flags: Flags{Line: 3, AppDir: filepath.Join("..", "testdata", "app")}, line: 3,
			lineSource: "flag", php: "8.5", base: "bref/php-85:3", phpSource: "the newest the Composer files allow"},
		{name: "locked", flags: Flags{AppDir: app(map[string]string{"composer.json": json("^2.0"), "composer.lock": strings.Replace(lockWith, "%s", "2.1.5", 1)})},
			line: 2, lineSource: "composer.lock bref/bref 2.1.5", php: "8.4", base: "bref/php-84-fpm:2", phpSource: "the newest the Composer files allow"},
		{name: "no Composer files", flags: Flags{AppDir: app(map[string]string{})}, line: 3, lineSource: "default", php: "8.5", phpSource: "default", base: "bref/php-85:3"},
		{name: "PHP given", flags: Flags{PHP: "81", AppDir: app(map[string]string{"composer.json": json("^2")})}, line: 2,
			lineSource: "composer.json require bref/bref ^2", php: "8.1", phpSource: "flag", base: "bref/php-81-fpm:2"},
		{name: "platform PHP", flags: Flags{AppDir: app(map[string]string{"composer.json": `{"require": {"bref/bref": "^3"}, "config": {"platform": {"php": "8.3.12"}}}`})},
			line: 3, lineSource: "composer.json require bref/bref ^3", php: "8.3", phpSource: "composer.json config.platform.php 8.3.12", base: "bref/php-83:3"},
		{name: "locked 0.x", flags: Flags{AppDir: app(map[string]string{"composer.lock": strings.Replace(lockWith, "%s", "0.5.12", 1)})},
			wantErr: []string{"composer.lock:5:", "Bref 0.x", "no container images", "Bref 1 or newer"}},
		{name: "a constraint of no known line", flags: Flags{AppDir: app(map[string]string{"composer.json": json("^5.0")})},
			wantErr: []string{"composer.json:1:", `"^5.0"`, "allows no Bref line"}},
		{name: "line 7", flags: Flags{Line: 7, AppDir: app(map[string]string{})}, wantErr: []string{"Bref line 7 does not exist"}},
		{name: "line -1", flags: Flags{Line: -1, AppDir: app(map[string]string{})}, wantErr: []string{"Bref line -1 does not exist"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl, err := Plan(tc.flags)
			if tc.wantErr != nil {
				if plan.FieldOf(err) != plan.FieldLine {
					t.Fatalf("Plan: %v, want an input error about the line", err)
				}
				for _, s := range tc.wantErr {
					if !strings.Contains(err.Error(), s) {
						t.Errorf("error %q does not name %q", err, s)
					}
				}
				if strings.Contains(err.Error(), "--") {
					t.Errorf("error %q names a CLI flag", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if pl.Line != tc.line || pl.LineSource != tc.lineSource || pl.PHP != tc.php || pl.PHPSource != tc.phpSource || pl.Base != tc.base {
				t.Errorf("plan: Bref %d (%s), PHP %s (%s), %s; want Bref %d (%s), PHP %s (%s), %s",
					pl.Line, pl.LineSource, pl.PHP, pl.PHPSource, pl.Base, tc.line, tc.lineSource, tc.php, tc.phpSource, tc.base)
			}
		})
	}
}

// TestPlanUnsatisfiable: without --php, an app no PHP version of the line
// satisfies gives one php-unsatisfiable finding naming the constraint and
// the line's versions, not one finding per package.
func TestPlanUnsatisfiable(t *testing.T) {
	lock := `{"packages": [
        {"name": "bref/bref", "version": "1.7.15", "require": {"php": ">=7.3"}},
        {"name": "symfony/console", "version": "v8.0.1", "require": {"php": ">=8.4.1"}},
        {"name": "symfony/string", "version": "v8.0.1", "require": {"php": ">=8.4.1"}},
        {"name": "doctrine/orm", "version": "3.5.2", "require": {"php": "^8.1"}}
    ]}`
	dir := fixtures.WriteDir(t, map[string]string{
		"composer.json":       `{"require": {"php": ">=8.4", "bref/bref": "^1.7"}, "config": {"platform": {"php": "8.4.1"}}}`,
		"composer.lock":       lock,
		"public/index.php":    "<?php",
		"vendor/autoload.php": "<?php",
	})
	for _, flags := range []Flags{{AppDir: dir}, {Line: 1, AppDir: dir}} {
		pl, err := Plan(flags)
		if err != nil {
			t.Fatal(err)
		}
		if pl.Line != 1 || pl.PHP != "8.2" || !strings.HasPrefix(pl.PHPSource, "default: no PHP version of Bref 1") {
			t.Errorf("plan: Bref %d, PHP %s (%s)", pl.Line, pl.PHP, pl.PHPSource)
		}
		fs, err := checks.RunPlan(pl, nil)
		if err != nil {
			t.Fatal(err)
		}
		if len(fs) != 1 || fs[0].ID != findings.IDPHPUnsatisfiable || fs[0].Path != "composer.json" ||
			!strings.Contains(fs[0].Message, `">=8.4"`) || !strings.Contains(fs[0].Message, "7.3, 7.4, 8.0, 8.1 and 8.2") {
			t.Errorf("findings:\n%s\nwant one php-unsatisfiable naming >=8.4 and Bref 1's versions", findings.Join(fs))
		}
	}
	// Given --php, the user chose: each requirement it breaks is reported.
	pl, err := Plan(Flags{Line: 1, PHP: "8.2", AppDir: dir})
	if err != nil {
		t.Fatal(err)
	}
	fs, err := checks.RunPlan(pl, nil)
	if err != nil {
		t.Fatal(err)
	}
	if ids := idsOf(fs); ids != "php-require php-package php-package php-platform" {
		t.Errorf("with PHP 8.2 given: %s", ids)
	}
}

func idsOf(fs []findings.Finding) string {
	var ids []string
	for _, f := range fs {
		ids = append(ids, f.ID)
	}
	return strings.Join(ids, " ")
}

func TestLineValue(t *testing.T) {
	tests := []struct {
		in      string
		want    int
		wantErr string
	}{
		{in: "1", want: 1},
		{in: " 3 ", want: 3},
		{in: "0", wantErr: "Bref 0.x had no container images"},
		// Plan refuses lines that do not exist, naming the line field.
		{in: "4", want: 4},
		{in: "-2", want: -2},
		{in: "three", wantErr: `Bref line "three" is not a number`},
		{in: "", wantErr: "not a number"},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			var line int
			v := NewLineValue(&line)
			if v.String() != "" || v.Type() != "int" {
				t.Errorf("unset: String %q, Type %q", v.String(), v.Type())
			}
			err := v.Set(tc.in)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || line != 0 {
					t.Errorf("Set(%q): %v, line %d; want an error containing %q", tc.in, err, line, tc.wantErr)
				}
				return
			}
			if err != nil || line != tc.want || v.String() != strings.TrimSpace(tc.in) {
				t.Errorf("Set(%q): %v, line %d, String %q", tc.in, err, line, v.String())
			}
		})
	}
	if !errors.Is(NewLineValue(new(int)).Set("0"), errLine0) {
		t.Errorf("Set(0) is not errLine0")
	}
}
