package checks

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/brefimg/brefimg/composer"
	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/layers"
)

func loadProject(t *testing.T, dir string) *composer.Project {
	t.Helper()
	p, err := composer.Load(dir)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// project builds a Project in code: the root require.php, the platform PHP
// and packages' php requirements.
func project(requirePHP, platformPHP string, pkgPHP ...string) *composer.Project {
	p := &composer.Project{HasJSON: true, HasLock: true}
	if requirePHP != "" {
		p.Require = []composer.Requirement{{Name: "php", Constraint: requirePHP, File: "composer.json", Line: 3}}
		p.PHP = &p.Require[0]
	}
	if platformPHP != "" {
		p.PlatformPHP = &composer.Setting{Value: platformPHP, File: "composer.json", Line: 9}
	}
	for i, c := range pkgPHP {
		name := "acme/pkg" + string(rune('a'+i))
		p.Packages = append(p.Packages, composer.Package{Name: name, Version: "1.0.0", File: "composer.lock",
			Require: []composer.Requirement{{Name: "php", Constraint: c, By: name, File: "composer.lock", Line: 10 + i}}})
	}
	return p
}

func TestChoosePHP(t *testing.T) {
	tests := []struct {
		name     string
		p        *composer.Project
		line     int
		want     string
		wantID   string
		wantLine int
		wantFix  string
	}{
		{name: "no project", p: nil, line: 3, want: "8.5"},
		{name: "no requirement", p: project("", ""), line: 2, want: "8.4"},
		{name: "newest allowed", p: project("^8.2", ""), line: 2, want: "8.4"},
		{name: "tilde is composer's", p: project("~8.1", ""), line: 2, want: "8.4"},
		{name: "tilde with patch", p: project("~8.1.2", ""), line: 2, want: "8.1"},
		{name: "hyphen range", p: project("8.0 - 8.2", ""), line: 2, want: "8.2"},
		{name: "platform series wins", p: project("^8.2", "8.3.0"), line: 3, want: "8.3"},
		{name: "platform not on the line: newest not older", p: project("^8.1", "8.1.0"), line: 3, want: "8.5"},
		{name: "platform newer than the line", p: project("^8.0", "8.5.0"), line: 2, want: "8.4"},
		{name: "package caps the version", p: project("^8.2", "", ">=8.1 <8.4"), line: 3, want: "8.3"},
		{name: "or", p: project("~8.2.0 || ~8.4.0", ""), line: 3, want: "8.4"},
		{name: "none on the line", p: project("^7.4", ""), line: 3, wantID: findings.IDPHPUnsatisfiable, wantLine: 3, wantFix: "Bref 1 with PHP 7.4"},
		{name: "a package leaves none", p: project("^8.4", "", "<8.4"), line: 3, wantID: findings.IDPHPUnsatisfiable, wantLine: 10, wantFix: "together with require.php"},
		{name: "a package alone leaves none", p: project("^8.1", "", "<8.2"), line: 3, wantID: findings.IDPHPUnsatisfiable, wantLine: 10, wantFix: "use Bref 2 with PHP 8.1"},
		// symfony/demo on Bref 1: the dependencies were resolved for 8.4.
		{name: "the platform's series suggested", p: project(">=8.4", "8.4.1", ">=8.4.1", "8.1 - 8.5"), line: 1, wantID: findings.IDPHPUnsatisfiable, wantLine: 3,
			wantFix: `no PHP version of Bref 1 (7.3, 7.4, 8.0, 8.1 and 8.2) satisfies require.php ">=8.4" of composer.json: use Bref 3 with PHP 8.4`},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, fs, err := ChoosePHP(tc.p, tc.line)
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("ChoosePHP = %q, want %q", got, tc.want)
			}
			if tc.wantID == "" {
				if len(fs) != 0 {
					t.Errorf("findings: %s", findings.Join(fs))
				}
				return
			}
			if len(fs) != 1 || fs[0].ID != tc.wantID || fs[0].Line != tc.wantLine || fs[0].Severity != findings.Error || !strings.Contains(fs[0].Message, tc.wantFix) {
				t.Errorf("findings = %s, want one %s on line %d naming %q", findings.Join(fs), tc.wantID, tc.wantLine, tc.wantFix)
			}
		})
	}
	if _, _, err := ChoosePHP(nil, 9); err == nil {
		t.Errorf("ChoosePHP on Bref 9: no error")
	}
}

func TestPHPVersion(t *testing.T) {
	tests := []struct {
		name string
		p    *composer.Project
		line int
		php  string
		want []want
	}{
		{name: "satisfied", p: project("^8.2", "8.3.1", ">=7.4"), line: 3, php: "8.3"},
		{name: "series allowed by a patch lower bound", p: project("^8.2.10", ""), line: 3, php: "8.2"},
		{name: "caret refuses older", p: project("^8.3", ""), line: 2, php: "8.2", want: []want{
			{findings.IDPHPRequire, findings.Error, "composer.json", 3, []string{"PHP 8.4", "change require.php"}}}},
		{name: "no version of any line", p: project("^9.0", ""), line: 3, php: "8.4", want: []want{
			{findings.IDPHPRequire, findings.Error, "composer.json", 3, []string{"no Bref line"}}}},
		{name: "another line has it", p: project("~7.4", ""), line: 3, php: "8.4", want: []want{
			{findings.IDPHPRequire, findings.Error, "composer.json", 3, []string{"Bref 1 with PHP 7.4"}}}},
		{name: "platform newer than the image", p: project("^8.1", "8.3.0"), line: 2, php: "8.1", want: []want{
			{findings.IDPHPPlatform, findings.Error, "composer.json", 9, []string{"older PHP 8.1", "PHP 8.3"}}}},
		{name: "platform older than the image", p: project("^8.1", "8.1"), line: 2, php: "8.4", want: []want{
			{findings.IDPHPPlatform, findings.Warning, "composer.json", 9, []string{"PHP 8.1", `"8.4.0"`}}}},
		{name: "platform not a version", p: project("^8.1", "eight"), line: 2, php: "8.4", want: []want{
			{findings.IDComposerInvalid, findings.Error, "composer.json", 9, []string{"not a version"}}}},
		{name: "constraint does not parse", p: project("^8.x.y", ""), line: 2, php: "8.4", want: []want{
			{findings.IDComposerInvalid, findings.Error, "composer.json", 3, []string{"Composer constraint"}}}},
		{name: "package", p: project("^8.0", "", "^7.2 || ~8.0.0"), line: 2, php: "8.2", want: []want{
			{findings.IDPHPPackage, findings.Error, "composer.lock", 10, []string{"acme/pkga", "PHP 8.0"}}}},
		{name: "not a PHP version", p: project("^9.0", ""), line: 3, php: "eight"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFindings(t, PHPVersion(tc.p, tc.line, tc.php), tc.want)
		})
	}
}

func TestMissingExtensions(t *testing.T) {
	req := func(ext string) *composer.Project {
		return &composer.Project{Require: []composer.Requirement{{Name: "ext-" + ext, Constraint: "*", File: "composer.json", Line: 5}}}
	}
	tests := []struct {
		name string
		p    *composer.Project
		pl   Platform
		want []want
	}{
		{name: "added image", p: req("gmp"), pl: Platform{Line: 3, PHP: "8.4", Exts: []string{"gmp@3"}}},
		{name: "redis-igbinary provides redis", p: req("redis"), pl: Platform{Line: 2, PHP: "8.2", Exts: []string{"redis-igbinary"}}},
		{name: "copied by hand with its ini", p: req("redis"), pl: Platform{Line: 1, PHP: "8.0",
			Files: []string{"/opt/bref-extra/redis.so"},
			Ini:   map[string]string{"/opt/bref/etc/php/conf.d/ext-redis.ini": "extension=/opt/bref-extra/redis.so"}}},
		{name: "copied by hand without its ini", p: req("redis"), pl: Platform{Line: 1, PHP: "8.0", Files: []string{"/opt/bref-extra/redis.so"}}, want: []want{
			{findings.IDExtMissing, findings.Error, "composer.json", 5, []string{"add the extension redis", "bref/extra-redis-php-80:0.12"}}}},
		{name: "enabled by the app's ini", p: req("pdo_pgsql"), pl: Platform{Line: 2, PHP: "8.2",
			Ini: map[string]string{"/var/task/php/conf.d/pg.ini": "extension = \"pdo_pgsql.so\" ; for Postgres\n"}}},
		{name: "ini in a directory PHP does not scan", p: req("intl"), pl: Platform{Line: 2, PHP: "8.2",
			Ini: map[string]string{"/var/task/ini/intl.ini": "extension=intl\n"}}, want: []want{
			{findings.IDExtDisabled, findings.Error, "composer.json", 5, []string{"php/conf.d/intl.ini"}}}},
		{name: "commented out", p: req("intl"), pl: Platform{Line: 2, PHP: "8.2",
			Ini: map[string]string{"/var/task/php/conf.d/intl.ini": ";extension=intl\n"}}, want: []want{
			{findings.IDExtDisabled, findings.Error, "composer.json", 5, nil}}},
		{name: "arm64", p: req("gmp"), pl: Platform{Line: 3, PHP: "8.4", Arch: "arm64"}, want: []want{
			{findings.IDExtMissing, findings.Error, "composer.json", 5, []string{"no arm64 extension images", "build for linux/amd64"}}}},
		{name: "image not built for the PHP version", p: req("imap"), pl: Platform{Line: 2, PHP: "8.4"}, want: []want{
			{findings.IDExtUnavailable, findings.Error, "composer.json", 5, []string{"use PHP 8.0, 8.1, 8.2 or 8.3"}}}},
		{name: "PHP 7.4 from an older tag", p: req("gmp"), pl: Platform{Line: 1, PHP: "7.4"}, want: []want{
			{findings.IDExtMissing, findings.Error, "composer.json", 5, []string{"bref/extra-gmp-php-74:0.11"}}}},
		{name: "disabled on the line", p: req("tidy"), pl: Platform{Line: 3, PHP: "8.4"}, want: []want{
			{findings.IDExtUnavailable, findings.Error, "composer.json", 5, []string{"disabled", "Bref 2 has it"}}}},
		{name: "zend opcache by its composer name", p: req("zend-opcache"), pl: Platform{Line: 1, PHP: "8.0"}},
		{name: "pcntl in the console runtime", p: req("pcntl"), pl: Platform{Line: 3, PHP: "8.4", Runtime: extensions.Console}},
		{name: "ffi on Bref 1", p: req("ffi"), pl: Platform{Line: 1, PHP: "8.1"}, want: []want{
			{findings.IDExtUnavailable, findings.Error, "composer.json", 5, []string{"in no Bref 1 image"}}}},
		{name: "bad platform", p: req("gmp"), pl: Platform{Line: 3, PHP: "7.4"}},
		{name: "no project", p: nil, pl: Platform{Line: 3, PHP: "8.4"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFindings(t, MissingExtensions(tc.p, tc.pl), tc.want)
		})
	}
}

func TestRequiredBy(t *testing.T) {
	r := func(by string) composer.Requirement { return composer.Requirement{By: by, File: "composer.lock"} }
	tests := []struct {
		reqs []composer.Requirement
		want string
	}{
		{[]composer.Requirement{{File: "composer.json"}}, "composer.json"},
		{[]composer.Requirement{{File: "composer.json"}, r("a/b"), r("a/b")}, "composer.json and a/b"},
		{[]composer.Requirement{r("a/a"), r("a/b"), r("a/c")}, "a/a, a/b and a/c"},
		{[]composer.Requirement{r("a/a"), r("a/b"), r("a/c"), r("a/d")}, "a/a, a/b and 2 more packages"},
	}
	for _, tc := range tests {
		t.Run(tc.want, func(t *testing.T) {
			if got := requiredBy(tc.reqs); got != tc.want {
				t.Errorf("requiredBy = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestBrefLibrary(t *testing.T) {
	lock := func(pkgs ...composer.Package) *composer.Project {
		return &composer.Project{HasLock: true, Packages: pkgs}
	}
	bref := func(version string, aliases map[string]string) composer.Package {
		return composer.Package{Name: "bref/bref", Version: version, BranchAliases: aliases, File: "composer.lock", Line: 4, VersionLine: 5}
	}
	tests := []struct {
		name string
		p    *composer.Project
		line int
		want []want
	}{
		{name: "same major", p: lock(bref("v2.3.4", nil)), line: 2},
		{name: "v1 library on a v3 image", p: lock(bref("1.7.3", nil)), line: 3, want: []want{
			{findings.IDBrefVersion, findings.Error, "composer.lock", 5, []string{"use Bref 1", "bref/bref:^3"}}}},
		{name: "branch with alias", p: lock(bref("dev-main", map[string]string{"dev-main": "3.x-dev"})), line: 2, want: []want{
			{findings.IDBrefVersion, findings.Error, "composer.lock", 5, []string{"use Bref 3"}}}},
		{name: "branch without alias", p: lock(bref("dev-feature", nil)), line: 2},
		{name: "not installed", p: lock(), line: 1, want: []want{
			{findings.IDBrefMissing, findings.Error, "", 0, []string{"composer require bref/bref:^1"}}}},
		{name: "no lock nor installed.json", p: &composer.Project{HasJSON: true}, line: 3},
		{name: "from installed.json", p: &composer.Project{HasInstalled: true, Packages: []composer.Package{{Name: "bref/bref", Version: "2.0.0", File: composer.InstalledFile, Line: 3, VersionLine: 0}}}, line: 3, want: []want{
			{findings.IDBrefVersion, findings.Error, composer.InstalledFile, 3, []string{"use Bref 2"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFindings(t, BrefLibrary(tc.p, tc.line), tc.want)
		})
	}
}

func TestHandler(t *testing.T) {
	app := NewApp("", []string{"/var/task/public/index.php", "public/", "bin/console", "artisan", "index.php", "lambda/"}, nil)
	tests := []struct {
		name    string
		rt      extensions.Runtime
		handler string
		want    []want
	}{
		{name: "fpm default", rt: "", handler: ""},
		{name: "console script without .php", rt: extensions.Console, handler: "artisan"},
		{name: "console default", rt: extensions.Console, handler: ""},
		{name: "function default", rt: extensions.Function, handler: ""},
		{name: "function class name", rt: extensions.Function, handler: `App\Handler\SqsHandler`},
		{name: "console missing", rt: extensions.Console, handler: "bin/artisan", want: []want{
			{findings.IDHandlerMissing, findings.Error, "bin/artisan", 0, []string{"not in the app"}}}},
		{name: "absolute", rt: extensions.FPM, handler: "/var/task/public/index.php", want: []want{
			{findings.IDHandlerMissing, findings.Error, "", 0, []string{"relative to /var/task", "make the handler public/index.php"}}}},
		{name: "escapes", rt: extensions.FPM, handler: "../index.php", want: []want{
			{findings.IDHandlerMissing, findings.Error, "", 0, []string{"relative to /var/task"}}}},
		{name: "directory", rt: extensions.Function, handler: "lambda", want: []want{
			{findings.IDHandlerMissing, findings.Error, "lambda", 0, []string{"is a directory"}}}},
		{name: "function not php", rt: extensions.Function, handler: "bin/console", want: []want{
			{findings.IDHandlerNotPHP, findings.Error, "bin/console", 0, []string{"e.g. index.php"}}}},
		{name: "cleaned", rt: extensions.FPM, handler: "./public//index.php"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFindings(t, Handler(app, tc.rt, tc.handler), tc.want)
		})
	}
}

func TestHandlerIgnored(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "public/index.php", "<?php return 1;\n")
	writeFile(t, dir, ".dockerignore", "# build context\n\npublic\n")
	ignore, err := layers.ReadIgnoreFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	app, err := LoadApp(dir, ignore)
	if err != nil {
		t.Fatal(err)
	}
	checkFindings(t, Handler(app, extensions.FPM, ""), []want{
		{findings.IDHandlerMissing, findings.Error, "public/index.php", 0, []string{`pattern "public" (line 3)`}}})
}

func TestVendorIgnorePatterns(t *testing.T) {
	tests := []struct {
		name       string
		dockerfile string
		want       []want
	}{
		{name: "none", dockerfile: ""},
		{name: "exception keeps it", dockerfile: "vendor\n!vendor/autoload.php\n"},
		{name: "whole vendor", dockerfile: "vendor/\n", want: []want{{findings.IDVendorIgnored, findings.Error, ".dockerignore", 1, []string{`"vendor"`}}}},
		{name: "glob", dockerfile: "# keep it small\n**/autoload.php\n", want: []want{{findings.IDVendorIgnored, findings.Error, ".dockerignore", 2, []string{`"**/autoload.php"`}}}},
		{name: "re-excluded", dockerfile: "vendor\n!vendor/autoload.php\nvendor/*.php\n", want: []want{{findings.IDVendorIgnored, findings.Error, ".dockerignore", 3, []string{`"vendor/*.php"`}}}},
		{name: "leading slash", dockerfile: "/vendor\n", want: []want{{findings.IDVendorIgnored, findings.Error, ".dockerignore", 1, []string{`"vendor"`}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "vendor/autoload.php", "<?php\n")
			writeFile(t, dir, "vendor/bref/bref/src/Bref.php", "<?php\n")
			if tc.dockerfile != "" {
				writeFile(t, dir, ".dockerignore", tc.dockerfile)
			}
			ignore, err := layers.ReadIgnoreFile(dir)
			if err != nil {
				t.Fatal(err)
			}
			app, err := LoadApp(dir, ignore)
			if err != nil {
				t.Fatal(err)
			}
			checkFindings(t, Vendor(app, 3, nil), tc.want)
		})
	}
}

// TestLoadAppMatchesLayers checks that LoadApp lists exactly what
// layers.FromDir packs, for the same directory and ignore patterns.
func TestLoadAppMatchesLayers(t *testing.T) {
	dir := t.TempDir()
	for _, f := range []string{
		"public/index.php", "public/assets/app.js", "vendor/autoload.php", "vendor/a/b/src/X.php",
		"vendor/a/b/tests/XTest.php", "tests/Unit/T.php", "storage/logs/laravel.log", "storage/logs/.gitignore",
		".env", ".env.example", "README.md", "docs/guide.md", "node_modules/x/index.js", "php/conf.d/app.ini",
	} {
		writeFile(t, dir, f, "x\n")
	}
	if err := os.Symlink("public/index.php", filepath.Join(dir, "index.php")); err != nil {
		t.Fatal(err)
	}
	patterns := [][]string{
		nil,
		{".env", "tests/", "node_modules", "*.md"},
		{"vendor/*/*/tests", "storage/logs/*", "!storage/logs/.gitignore", "**/*.md"},
		{"*", "!public", "!vendor/autoload.php"},
		{"**/*.js", "!public/assets/app.js"},
	}
	for _, ps := range patterns {
		t.Run(strings.Join(ps, ","), func(t *testing.T) {
			app, err := LoadApp(dir, ps)
			if err != nil {
				t.Fatal(err)
			}
			l, err := layers.FromDir(context.Background(), dir, AppDest, layers.WithIgnorePatterns(ps), layers.WithTempDir(t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			defer l.Close()
			entries, err := layers.List(l)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, e := range entries {
				rel, ok := strings.CutPrefix(e.Path, AppDest+"/")
				if !ok {
					continue
				}
				if e.Type == '5' {
					rel += "/"
				}
				want = append(want, rel)
			}
			slices.Sort(want)
			if !slices.Equal(app.Paths, want) {
				t.Errorf("LoadApp:\n%v\nlayers.FromDir:\n%v", app.Paths, want)
			}
		})
	}
}

func TestNewApp(t *testing.T) {
	app := NewApp("", []string{"/var/task/vendor/autoload.php", "./public/index.php", "storage/", "/var/task/"}, nil)
	want := []string{"public/", "public/index.php", "storage/", "vendor/", "vendor/autoload.php"}
	if !slices.Equal(app.Paths, want) {
		t.Errorf("Paths = %v, want %v", app.Paths, want)
	}
	if !app.HasFile("vendor/autoload.php") || app.HasFile("vendor") || !app.HasDir("vendor") || !app.HasDir("storage/") || app.HasDir("public/index.php") {
		t.Errorf("HasFile/HasDir disagree with %v", app.Paths)
	}
}

func TestDevPackages(t *testing.T) {
	p := &composer.Project{DevPackages: []composer.Package{{Name: "phpunit/phpunit"}, {Name: "mockery/mockery"}, {Name: "fakerphp/faker"}, {Name: "nunomaduro/collision"}, {Name: "laravel/pint"}}}
	tests := []struct {
		name  string
		paths []string
		want  []want
	}{
		{name: "none installed", paths: []string{"vendor/autoload.php", "vendor/laravel/framework/"}},
		{name: "one, from a file path", paths: []string{"vendor/mockery/mockery/library/Mockery.php"}, want: []want{
			{findings.IDDevPackages, findings.Warning, "vendor", 0, []string{"1 require-dev package (mockery/mockery)", "--no-dev"}}}},
		{name: "many", paths: []string{"vendor/phpunit/phpunit/", "vendor/mockery/mockery/", "vendor/fakerphp/faker/", "vendor/nunomaduro/collision/", "vendor/laravel/pint/"}, want: []want{
			{findings.IDDevPackages, findings.Warning, "vendor", 0, []string{"5 require-dev packages (phpunit/phpunit, mockery/mockery, fakerphp/faker, 2 more)"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFindings(t, DevPackages(p, NewApp("", tc.paths, nil)), tc.want)
		})
	}
	if fs := DevPackages(nil, NewApp("", []string{"vendor/x/y/"}, nil)); fs != nil {
		t.Errorf("DevPackages(nil) = %v", fs)
	}
}

func TestSecrets(t *testing.T) {
	paths := []string{
		".env.local", ".env.example", ".env.dist", "config/.env.production", "auth.json", "config/auth.json",
		"keys/server.key", "keys/cert.pem", "home/.ssh/id_rsa", "home/.ssh/id_rsa.pub",
		"vendor/composer/ca-bundle/res/cacert.pem", "vendor/x/y/.git/", "vendor/x/y/.env",
		"packages/lib/.git/", "packages/lib/.git/HEAD", "packages/lib/.gitignore",
	}
	got := Secrets(NewApp("", paths, nil))
	W := findings.Warning
	checkFindings(t, got, []want{
		{findings.IDSecretDotenv, W, ".env.local", 0, nil},
		{findings.IDSecretAuthJSON, W, "auth.json", 0, nil},
		{findings.IDSecretDotenv, W, "config/.env.production", 0, nil},
		{findings.IDSecretKey, W, "home/.ssh/id_rsa", 0, nil},
		{findings.IDSecretKey, W, "keys/cert.pem", 0, nil},
		{findings.IDSecretKey, W, "keys/server.key", 0, nil},
		{findings.IDSecretGit, W, "packages/lib/.git", 0, []string{"add packages/lib/.git to .dockerignore"}},
	})
}

func TestIniScanDir(t *testing.T) {
	tests := []struct {
		name string
		env  []string
		want []want
	}{
		{name: "not set", env: []string{"PATH=/bin"}},
		{name: "bref's", env: []string{"PHP_INI_SCAN_DIR=/opt/bref/etc/php/conf.d:/var/task/php/conf.d"}},
		{name: "bref's and more, trailing slashes", env: []string{"PHP_INI_SCAN_DIR=/opt/bref/etc/php/conf.d/:/var/task/php/conf.d/:/var/task/ini"}},
		{name: "empty element keeps the compiled-in dirs", env: []string{"PHP_INI_SCAN_DIR=:/var/task/ini"}},
		{name: "one custom dir", env: []string{"PHP_INI_SCAN_DIR=/var/task/ini"}, want: []want{
			{findings.IDIniScanDir, findings.Error, "", 0, []string{"PHP_INI_SCAN_DIR=/opt/bref/etc/php/conf.d:/var/task/php/conf.d:/var/task/ini"}}}},
		{name: "last one wins", env: []string{"PHP_INI_SCAN_DIR=/var/task/ini", "PHP_INI_SCAN_DIR=/opt/bref/etc/php/conf.d:/var/task/php/conf.d"}},
		{name: "app dir left out", env: []string{"PHP_INI_SCAN_DIR=/opt/bref/etc/php/conf.d"}, want: []want{
			{findings.IDIniScanDir, findings.Warning, "", 0, []string{"/var/task/php/conf.d", "PHP_INI_SCAN_DIR=/opt/bref/etc/php/conf.d:/var/task/php/conf.d"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFindings(t, IniScanDir(tc.env), tc.want)
		})
	}
}

func TestUnloadedExtensions(t *testing.T) {
	const confd = "/opt/bref/etc/php/conf.d/"
	tests := []struct {
		name string
		pl   Platform
		want []want
	}{
		{name: "v1 image copied whole", pl: Platform{Line: 1,
			Files: []string{"/opt/bref-extra/redis.so", confd + "ext-redis.ini"},
			Ini:   map[string]string{confd + "ext-redis.ini": "extension=/opt/bref-extra/redis.so\n"}}},
		{name: "v1 /opt/bref-extra copied alone", pl: Platform{Line: 1, Files: []string{"/opt/bref-extra/redis.so"}}, want: []want{
			{findings.IDExtNotLoaded, findings.Error, "/opt/bref-extra/redis.so", 0, []string{`"extension=/opt/bref-extra/redis.so"`}}}},
		{name: "v2 by name", pl: Platform{Line: 2,
			Files: []string{"/opt/bref/extensions/sqlsrv.so", "/opt/bref/extensions/pdo_sqlsrv.so"},
			Ini:   map[string]string{confd + "ext-sqlsrv.ini": "extension=sqlsrv.so\n  extension=pdo_sqlsrv.so\n"}}},
		{name: "v2 without ini", pl: Platform{Line: 2, Files: []string{"/opt/bref/extensions/gmp.so", "/opt/lib/libgmp.so"}}, want: []want{
			{findings.IDExtNotLoaded, findings.Error, "/opt/bref/extensions/gmp.so", 0, []string{`"extension=gmp"`}}}},
		{name: "a relative name does not reach /opt/bref-extra", pl: Platform{Line: 1,
			Files: []string{"/opt/bref-extra/odbc.so"},
			Ini:   map[string]string{"/var/task/php/conf.d/odbc.ini": "extension=odbc\n"}}, want: []want{
			{findings.IDExtNotLoaded, findings.Error, "/opt/bref-extra/odbc.so", 0, nil}}},
		{name: "off on purpose", pl: Platform{Line: 1,
			Files: []string{"/opt/bref-extra/ddtrace.so", "/opt/bref-extra/datadog-profiling.so"},
			Ini:   map[string]string{confd + "98-ddtrace.ini": "extension = /opt/bref-extra/ddtrace.so\n;extension = /opt/bref-extra/datadog-profiling.so\n"}}},
		{name: "zend extension", pl: Platform{Line: 2,
			Files: []string{"/opt/bref/extensions/xdebug.so"},
			Ini:   map[string]string{confd + "ext-xdebug.ini": "zend_extension=xdebug.so\n"}}},
		{name: "ini outside the scanned dirs", pl: Platform{Line: 2, Env: []string{"PHP_INI_SCAN_DIR=/var/task/ini"},
			Files: []string{"/opt/bref/extensions/gmp.so"},
			Ini:   map[string]string{confd + "ext-gmp.ini": "extension=gmp\n"}}, want: []want{
			{findings.IDExtNotLoaded, findings.Error, "/opt/bref/extensions/gmp.so", 0, nil}}},
		{name: "app libraries are not extensions", pl: Platform{Line: 3,
			Files: []string{"/var/task/lib/libfoo.so", "/var/task/vendor/x/ffi/libbar.so", "/var/task/php/ext/baz.so"},
			Ini:   map[string]string{"/var/task/php/conf.d/baz.ini": "extension='/var/task/php/ext/baz.so'\n"}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFindings(t, UnloadedExtensions(tc.pl), tc.want)
		})
	}
}

func TestRunErrors(t *testing.T) {
	tests := []struct {
		name string
		in   Input
		want string
	}{
		{name: "line", in: Input{AppDir: fixture("clean-laravel"), Line: 5}, want: "Bref line 5 does not exist"},
		{name: "runtime", in: Input{AppDir: fixture("clean-laravel"), Runtime: "web"}, want: "use fpm, function or console"},
		{name: "php", in: Input{AppDir: fixture("clean-laravel"), PHP: "eight"}, want: "e.g. 8.3"},
		{name: "php not on the line", in: Input{AppDir: fixture("clean-laravel"), PHP: "8.0"}, want: "PHP 8.0 does not exist on Bref 3"},
		{name: "app dir", in: Input{AppDir: filepath.Join(t.TempDir(), "nope"), PHP: "8.4"}, want: "reading app directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Run(tc.in)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Run: %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

// TestIDsDocumented checks that every ID is unique and documented, with an
// example message, in the package documentation.
func TestIDsDocumented(t *testing.T) {
	doc, err := os.ReadFile("doc.go")
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, id := range appIDs {
		if seen[id] {
			t.Errorf("ID %q is listed twice", id)
		}
		seen[id] = true
		if !strings.Contains(string(doc), "//   - "+id+" ") {
			t.Errorf("doc.go does not document %q as \"//   - %s (severity): example\"", id, id)
		}
	}
}

// appIDs are the IDs of the app checks (Run), each with a fixture app.
var appIDs = []string{
	findings.IDComposerInvalid,
	findings.IDExtMissing, findings.IDExtDisabled, findings.IDExtCLIOnly, findings.IDExtUnavailable,
	findings.IDBrefVersion, findings.IDBrefMissing,
	findings.IDPHPRequire, findings.IDPHPPlatform, findings.IDPHPPackage, findings.IDPHPUnsatisfiable,
	findings.IDHandlerMissing, findings.IDHandlerNotPHP, findings.IDHandlerNoReturn,
	findings.IDVendorMissing, findings.IDVendorIgnored,
	findings.IDDevPackages, findings.IDSecretDotenv, findings.IDSecretAuthJSON, findings.IDSecretKey, findings.IDSecretGit,
	findings.IDIniScanDir, findings.IDExtNotLoaded,
	findings.IDLaravelStorage, findings.IDLaravelConfigCache,
	findings.IDSymfonyCacheDir, findings.IDSymfonyCacheWarmup, findings.IDSymfonyDotenv,
}
