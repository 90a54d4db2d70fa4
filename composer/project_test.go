package composer

import (
	"errors"
	"reflect"
	"strings"
	"testing"

	"github.com/brefimg/brefimg/internal/fixtures"
)

// writeApp writes files (slash-separated path -> content) under a new
// temporary directory and returns it.
func writeApp(t *testing.T, files map[string]string) string {
	t.Helper()
	return fixtures.WriteDir(t, files)
}

const appJSON = `{
    "name": "acme/app",
    "require": {
        "php": "^8.2",
        "bref/bref": "^2.1",
        "ext-GMP": "*",
        "ext-intl": "*"
    },
    "require-dev": {
        "phpunit/phpunit": "^10"
    },
    "config": {
        "platform": {
            "php": "8.2.0",
            "ext-redis": false
        }
    }
}
`

const appLock = `{
    "_readme": ["This file locks the dependencies"],
    "content-hash": "abc",
    "packages": [
        {
            "name": "brick/math",
            "version": "0.12.1",
            "require": {
                "php": "^8.1",
                "ext-bcmath": "*"
            }
        },
        {
            "name": "bref/bref",
            "version": "v2.1.5",
            "require": {
                "php": ">=8.0",
                "ext-json": "*"
            },
            "extra": {"branch-alias": {"dev-main": "2.x-dev"}}
        },
        {
            "name": "acme/fork",
            "version": "dev-main",
            "extra": {"branch-alias": {"dev-main": "3.x-dev"}},
            "require": []
        }
    ],
    "packages-dev": [
        {
            "name": "phpunit/phpunit",
            "version": "10.5.0",
            "require": {"ext-dom": "*"}
        }
    ],
    "platform": {"php": "^8.2"},
    "platform-overrides": {"php": "8.2.0"}
}
`

func TestLoad(t *testing.T) {
	dir := writeApp(t, map[string]string{"composer.json": appJSON, "composer.lock": appLock})
	p, err := Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	if !p.HasJSON || !p.HasLock || p.HasInstalled {
		t.Errorf("HasJSON, HasLock, HasInstalled = %v, %v, %v, want true, true, false", p.HasJSON, p.HasLock, p.HasInstalled)
	}
	wantRequire := []Requirement{
		{Name: "php", Constraint: "^8.2", File: "composer.json", Line: 4},
		{Name: "bref/bref", Constraint: "^2.1", File: "composer.json", Line: 5},
		{Name: "ext-gmp", Constraint: "*", File: "composer.json", Line: 6},
		{Name: "ext-intl", Constraint: "*", File: "composer.json", Line: 7},
	}
	if !reflect.DeepEqual(p.Require, wantRequire) {
		t.Errorf("Require = %+v\nwant %+v", p.Require, wantRequire)
	}
	if p.PHP == nil || p.PHP.Constraint != "^8.2" || p.PHP.Line != 4 {
		t.Errorf("PHP = %+v, want ^8.2 on line 4", p.PHP)
	}
	if want := (&Setting{Value: "8.2.0", File: "composer.json", Line: 14}); !reflect.DeepEqual(p.PlatformPHP, want) {
		t.Errorf("PlatformPHP = %+v, want %+v", p.PlatformPHP, want)
	}
	if len(p.RequireDev) != 1 || p.RequireDev[0].Name != "phpunit/phpunit" || p.RequireDev[0].Line != 10 {
		t.Errorf("RequireDev = %+v, want phpunit/phpunit on line 10", p.RequireDev)
	}

	wantExt := []Requirement{
		{Name: "ext-gmp", Constraint: "*", File: "composer.json", Line: 6},
		{Name: "ext-intl", Constraint: "*", File: "composer.json", Line: 7},
		{Name: "ext-bcmath", Constraint: "*", By: "brick/math", File: "composer.lock", Line: 10},
		{Name: "ext-json", Constraint: "*", By: "bref/bref", File: "composer.lock", Line: 18},
	}
	if got := p.Extensions(); !reflect.DeepEqual(got, wantExt) {
		t.Errorf("Extensions() = %+v\nwant %+v", got, wantExt)
	}
	if got := p.Extensions()[0].Extension(); got != "gmp" {
		t.Errorf("Extension() = %q, want gmp", got)
	}

	bref, ok := p.Package(BrefPackage)
	if !ok {
		t.Fatal("bref/bref not found")
	}
	if bref.Version != "v2.1.5" || bref.VersionLine != 15 || bref.Line != 13 || bref.File != "composer.lock" {
		t.Errorf("bref/bref = %+v, want v2.1.5, version on line 15, entry on line 13", bref)
	}
	if m, ok := bref.Major(); m != 2 || !ok {
		t.Errorf("bref Major() = %d, %v, want 2, true", m, ok)
	}
	fork, _ := p.Package("ACME/fork")
	if m, ok := fork.Major(); m != 3 || !ok {
		t.Errorf("a dev-main package with a branch alias: Major() = %d, %v, want 3, true", m, ok)
	}
	if got := p.PackagePHP(); len(got) != 2 || got[0].By != "brick/math" || got[0].Line != 9 || got[1].By != "bref/bref" {
		t.Errorf("PackagePHP() = %+v, want brick/math (line 9) then bref/bref", got)
	}
	if len(p.DevPackages) != 1 || p.DevPackages[0].Name != "phpunit/phpunit" {
		t.Errorf("DevPackages = %+v, want phpunit/phpunit", p.DevPackages)
	}
	if _, ok := p.DevPackage("phpunit/phpunit"); !ok {
		t.Errorf("DevPackage(phpunit/phpunit) not found")
	}
}

func TestLoadInstalledJSON(t *testing.T) {
	v2 := `{
    "packages": [
        {
            "name": "bref/bref",
            "version": "1.7.3",
            "version_normalized": "1.7.3.0",
            "require": {"ext-curl": "*"}
        },
        {
            "name": "phpunit/phpunit",
            "version": "9.6.0"
        }
    ],
    "dev": true,
    "dev-package-names": ["phpunit/phpunit"]
}`
	v1 := `[
    {"name": "bref/bref", "version": "v1.2.0", "require": {"ext-redis": "*"}},
    {"name": "psr/log", "version": "1.1.4"}
]`
	tests := []struct {
		name      string
		installed string
		lock      string
		wantBref  string
		wantLine  int
		wantDev   []string
		wantExt   []string
		wantIsDev bool
	}{
		{name: "composer 2 shape", installed: v2, wantBref: "1.7.3", wantLine: 5, wantDev: []string{"phpunit/phpunit"}, wantExt: []string{"ext-curl"}, wantIsDev: true},
		{name: "composer 1 shape", installed: v1, wantBref: "v1.2.0", wantLine: 2, wantExt: []string{"ext-redis"}},
		{name: "the lock wins", installed: v2, lock: appLock, wantBref: "v2.1.5", wantLine: 15, wantDev: []string{"phpunit/phpunit"}, wantExt: []string{"ext-bcmath", "ext-json"}, wantIsDev: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			files := map[string]string{"vendor/composer/installed.json": tc.installed}
			if tc.lock != "" {
				files["composer.lock"] = tc.lock
			}
			p, err := Load(writeApp(t, files))
			if err != nil {
				t.Fatal(err)
			}
			if !p.HasInstalled {
				t.Errorf("HasInstalled = false")
			}
			bref, ok := p.Package(BrefPackage)
			if !ok || bref.Version != tc.wantBref || bref.VersionLine != tc.wantLine {
				t.Errorf("bref/bref = %+v, %v, want version %s on line %d", bref, ok, tc.wantBref, tc.wantLine)
			}
			var dev, ext []string
			for _, d := range p.DevPackages {
				dev = append(dev, d.Name)
			}
			for _, e := range p.Extensions() {
				ext = append(ext, e.Name)
			}
			if !reflect.DeepEqual(dev, tc.wantDev) || !reflect.DeepEqual(ext, tc.wantExt) {
				t.Errorf("dev packages %v, extensions %v; want %v, %v", dev, ext, tc.wantDev, tc.wantExt)
			}
			if p.InstalledDev != tc.wantIsDev {
				t.Errorf("InstalledDev = %v, want %v", p.InstalledDev, tc.wantIsDev)
			}
		})
	}
}

func TestLoadMissingFiles(t *testing.T) {
	p, err := Load(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	if p.HasJSON || p.HasLock || p.HasInstalled || p.PHP != nil || len(p.Packages) != 0 {
		t.Errorf("an empty dir gives %+v, want an empty project", p)
	}
}

func TestLoadLockWithoutJSON(t *testing.T) {
	p, err := Load(writeApp(t, map[string]string{"composer.lock": appLock}))
	if err != nil {
		t.Fatal(err)
	}
	if p.PHP == nil || p.PHP.Constraint != "^8.2" || p.PHP.File != "composer.lock" || p.PHP.Line != 36 {
		t.Errorf("PHP = %+v, want the lock's platform ^8.2 on line 36", p.PHP)
	}
}

func TestLoadErrors(t *testing.T) {
	tests := []struct {
		name     string
		files    map[string]string
		file     string
		line     int
		contains string
	}{
		{name: "syntax", files: map[string]string{"composer.json": "{\n  \"require\": {\n    \"php\": \"^8.2\",\n  }\n}\n"}, file: "composer.json", line: 4, contains: "invalid character"},
		{name: "require is a string", files: map[string]string{"composer.json": "{\n  \"require\": \"php\"\n}\n"}, file: "composer.json", line: 2, contains: `"require" must be an object`},
		{name: "constraint is a number", files: map[string]string{"composer.json": "{\"require\": {\n\"php\": 8\n}}"}, file: "composer.json", line: 2, contains: `"require/php" must be a string`},
		{name: "top level is an array", files: map[string]string{"composer.json": "[]"}, file: "composer.json", line: 0, contains: "the top level must be an object"},
		{name: "package without a name", files: map[string]string{"composer.lock": "{\"packages\": [\n{\"version\": \"1.0\"}\n]}"}, file: "composer.lock", line: 0, contains: `"packages/0/name" must be a string`},
		{name: "truncated installed.json", files: map[string]string{"vendor/composer/installed.json": "{\"packages\": ["}, file: "vendor/composer/installed.json", line: 1, contains: "unexpected end"},
		{name: "platform php is a number", files: map[string]string{"composer.json": "{\"config\": {\"platform\": {\n\"php\": 8.1}}}"}, file: "composer.json", line: 2, contains: "a version string or false"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Load(writeApp(t, tc.files))
			var se *SyntaxError
			if !errors.As(err, &se) {
				t.Fatalf("Load: %v, want a *SyntaxError", err)
			}
			if se.File != tc.file || se.Line != tc.line || !strings.Contains(err.Error(), tc.contains) {
				t.Errorf("error %q in %s line %d, want %s line %d containing %q", err, se.File, se.Line, tc.file, tc.line, tc.contains)
			}
			if !strings.HasPrefix(err.Error(), "reading "+tc.file) {
				t.Errorf("error %q does not start with %q", err, "reading "+tc.file)
			}
		})
	}
}

func TestIndexLines(t *testing.T) {
	data := []byte(`{
  "a": [1,
    {"b/c": "x", "d~e": null},
    [true]],
  "f": {}
}`)
	ix, err := indexLines(data)
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]int{
		"/a": 2, "/a/0": 2, "/a/1": 3, "/a/1/b~1c": 3, "/a/1/d~0e": 3,
		"/a/2": 4, "/a/2/0": 4, "/f": 5,
	}
	if !reflect.DeepEqual(ix.lines, want) {
		t.Errorf("lines = %v\nwant %v", ix.lines, want)
	}
}

// TestInstalledRecord: what Composer recorded in installed.json is kept
// whole, whatever composer.lock says: every package with its install path,
// the "dev" flag and its line, and dev-package-names.
func TestInstalledRecord(t *testing.T) {
	installed := `{
    "packages": [
        {
            "name": "bref/bref",
            "version": "2.0.2",
            "install-path": "../bref/bref"
        },
        {
            "name": "Acme/Plugin",
            "version": "1.0.0",
            "install-path": "../../web/plugins/acme"
        },
        {
            "name": "acme/meta",
            "version": "1.0.0",
            "type": "metapackage",
            "install-path": null
        },
        {
            "name": "phpunit/phpunit",
            "version": "10.5.0",
            "install-path": "../phpunit/phpunit"
        }
    ],
    "dev": true,
    "dev-package-names": ["PHPUnit/PHPUnit"]
}`
	tests := []struct {
		name     string
		files    map[string]string
		recorded bool
		dev      bool
		devLine  int
		devPkgs  []string
		dirs     []string
	}{
		{name: "composer 2 with a lock", files: map[string]string{"composer.lock": appLock, "vendor/composer/installed.json": installed},
			recorded: true, dev: true, devLine: 25, devPkgs: []string{"phpunit/phpunit"},
			dirs: []string{"vendor/bref/bref", "web/plugins/acme", "vendor/acme/meta", "vendor/phpunit/phpunit"}},
		{name: "composer 2 without a lock", files: map[string]string{"vendor/composer/installed.json": installed},
			recorded: true, dev: true, devLine: 25, devPkgs: []string{"phpunit/phpunit"},
			dirs: []string{"vendor/bref/bref", "web/plugins/acme", "vendor/acme/meta", "vendor/phpunit/phpunit"}},
		{name: "--no-dev", files: map[string]string{"vendor/composer/installed.json": `{"packages": [], "dev": false, "dev-package-names": []}`},
			recorded: true, devLine: 1},
		{name: "composer 1", files: map[string]string{"vendor/composer/installed.json": `[{"name": "bref/bref", "version": "1.7.3"}]`},
			dirs: []string{"vendor/bref/bref"}},
		{name: "no installed.json", files: map[string]string{"composer.lock": appLock}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Load(writeApp(t, tc.files))
			if err != nil {
				t.Fatal(err)
			}
			pkgs, ok := p.InstalledDevPackages()
			var names, dirs []string
			for _, pkg := range pkgs {
				names = append(names, pkg.Name)
			}
			for _, pkg := range p.Installed {
				dirs = append(dirs, pkg.Dir())
			}
			if ok != tc.recorded || p.InstalledDev != tc.dev || p.InstalledDevLine != tc.devLine || !reflect.DeepEqual(names, tc.devPkgs) || !reflect.DeepEqual(dirs, tc.dirs) {
				t.Errorf("recorded %v, dev %v on line %d, dev packages %v, dirs %v; want %v, %v, %d, %v, %v",
					ok, p.InstalledDev, p.InstalledDevLine, names, dirs, tc.recorded, tc.dev, tc.devLine, tc.devPkgs, tc.dirs)
			}
		})
	}
}

func TestRequirementAndUses(t *testing.T) {
	extra := `{"require": {"laravel/framework": "^12.0"}, "require-dev": {"Bref/Bref": "^2"}, "extra": {"runtime": {"disable_dotenv": true}}}`
	tests := []struct {
		name      string
		files     map[string]string
		req       string
		wantReq   string
		uses      map[string]bool
		wantExtra bool
	}{
		{name: "lock decides what is used", files: map[string]string{"composer.json": appJSON, "composer.lock": appLock},
			req: "BREF/bref", wantReq: "^2.1", uses: map[string]bool{"bref/bref": true, "phpunit/phpunit": false, "acme/nothing": false}},
		{name: "without lock nor installed.json, composer.json", files: map[string]string{"composer.json": extra},
			req: "bref/bref", wantReq: "^2", uses: map[string]bool{"laravel/framework": true, "bref/bref": false}, wantExtra: true},
		{name: "require-dev is not required", files: map[string]string{"composer.json": extra, "composer.lock": `{"packages": []}`},
			req: "phpunit/phpunit", uses: map[string]bool{"laravel/framework": false}, wantExtra: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p, err := Load(writeApp(t, tc.files))
			if err != nil {
				t.Fatal(err)
			}
			r, ok := p.Requirement(tc.req)
			if ok != (tc.wantReq != "") || r.Constraint != tc.wantReq {
				t.Errorf("Requirement(%s) = %+v, %v; want %q", tc.req, r, ok, tc.wantReq)
			}
			for name, want := range tc.uses {
				if got := p.Uses(name); got != want {
					t.Errorf("Uses(%s) = %v, want %v", name, got, want)
				}
			}
			if (len(p.Extra) > 0) != tc.wantExtra || tc.wantExtra && !strings.Contains(string(p.Extra), "disable_dotenv") {
				t.Errorf("Extra = %s", p.Extra)
			}
		})
	}
}
