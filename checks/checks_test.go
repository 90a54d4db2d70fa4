package checks

import (
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/brefimg/brefimg/findings"
)

// fixture returns the path of a fixture app of testdata/checks.
func fixture(name string) string {
	return filepath.Join("..", "testdata", "checks", name)
}

// copyFixture copies a fixture app into a temporary directory, for tests
// that add files which must not be checked in (a .git directory, a private
// key).
func copyFixture(t *testing.T, name string) string {
	t.Helper()
	src := fixture(name)
	dst := t.TempDir()
	err := filepath.WalkDir(src, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, p)
		if err != nil {
			return err
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// writeFile writes content to dir/rel, creating parent directories.
func writeFile(t *testing.T, dir, rel, content string) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(rel))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
}

// want is an expected finding: everything but the message exactly, and
// substrings the message must contain (the fix).
type want struct {
	id       string
	severity findings.Severity
	path     string
	line     int
	fix      []string
}

// checkFindings compares findings with expectations, in order.
func checkFindings(t *testing.T, got []findings.Finding, wants []want) {
	t.Helper()
	if len(got) != len(wants) {
		t.Errorf("got %d findings, want %d:\n%s", len(got), len(wants), findings.Join(got))
	}
	for i := 0; i < len(got) && i < len(wants); i++ {
		g, w := got[i], wants[i]
		if g.ID != w.id || g.Severity != w.severity || g.Path != w.path || g.Line != w.line {
			t.Errorf("finding %d = %s (%s, %s, %q, line %d), want %s, %s, %q, line %d",
				i, g, g.ID, g.Severity, g.Path, g.Line, w.id, w.severity, w.path, w.line)
		}
		for _, s := range w.fix {
			if !strings.Contains(g.Message, s) {
				t.Errorf("finding %d (%s): message %q does not name %q", i, g.ID, g.Message, s)
			}
		}
	}
	for _, g := range got {
		if flag := buildFlag.FindString(g.Message); flag != "" {
			t.Errorf("finding %s names the CLI flag %s: findings serve every front end, name the value instead", g, flag)
		}
	}
}

// buildFlag matches the build flags a finding must not name: a Dockerfile
// user has none of them (Dockerfile flags such as COPY --from are fine).
var buildFlag = regexp.MustCompile(`--(php|bref|ext|cmd|runtime|platform|split|base)\b`)

// gmpImage is what the extension image gmp adds on Bref 3, as the build
// would pass it.
var gmpImage = struct {
	paths []string
	ini   map[string]string
}{
	paths: []string{"/opt/bref/extensions/gmp.so", "/opt/bref/etc/php/conf.d/ext-gmp.ini"},
	ini:   map[string]string{"/opt/bref/etc/php/conf.d/ext-gmp.ini": "extension=gmp.so\n"},
}

// TestFixtures runs every check on its fixture app in testdata/checks: each
// yields exactly its finding, with the file, line and fix.
func TestFixtures(t *testing.T) {
	const (
		E = findings.Error
		W = findings.Warning
	)
	tests := []struct {
		id      string
		in      Input
		prepare func(t *testing.T, dir string)
		want    []want
	}{
		{id: findings.IDComposerInvalid, in: Input{PHP: "8.4"}, want: []want{
			{findings.IDComposerInvalid, E, "composer.json", 6, []string{"invalid character", "fix it"}}}},
		{id: findings.IDExtMissing, in: Input{PHP: "8.4"}, want: []want{
			{findings.IDExtMissing, E, "composer.json", 6, []string{"ext-gmp", "composer.json and acme/bigint", "add the extension gmp", "bref/extra-gmp-php-84:3"}}}},
		{id: findings.IDExtDisabled, in: Input{Line: 2, PHP: "8.2"}, want: []want{
			{findings.IDExtDisabled, E, "composer.json", 6, []string{"ext-intl", "php/conf.d/intl.ini", `"extension=intl"`}}}},
		{id: findings.IDExtCLIOnly, in: Input{PHP: "8.4"}, want: []want{
			{findings.IDExtCLIOnly, W, "composer.lock", 17, []string{"ext-pcntl", "laravel/horizon", "console or function runtime"}}}},
		{id: findings.IDExtUnavailable, in: Input{PHP: "8.4"}, want: []want{
			{findings.IDExtUnavailable, E, "composer.json", 6, []string{"ext-bz2", "in no Bref 3 image", "drop the requirement"}}}},
		// The lock's bref/bref 2.1.5 would choose Bref 2: the image is Bref 3.
		{id: findings.IDBrefVersion, in: Input{Line: 3, PHP: "8.4"}, want: []want{
			{findings.IDBrefVersion, E, "composer.lock", 6, []string{"bref/bref 2.1.5", "Bref 3", "use Bref 2", "composer require bref/bref:^3"}}}},
		{id: findings.IDBrefMissing, in: Input{PHP: "8.4"}, want: []want{
			{findings.IDBrefMissing, E, "composer.json", 8, []string{"require-dev", "move it to require", "composer require bref/bref:^3"}}}},
		{id: findings.IDPHPRequire, in: Input{PHP: "8.2"}, want: []want{
			{findings.IDPHPRequire, E, "composer.json", 4, []string{"PHP 8.2", `"^8.4"`, "PHP 8.5"}}}},
		{id: findings.IDPHPPlatform, in: Input{PHP: "8.4"}, want: []want{
			{findings.IDPHPPlatform, W, "composer.json", 12, []string{`"8.2.0"`, "PHP 8.2", "composer update"}}}},
		{id: findings.IDPHPPackage, in: Input{PHP: "8.4"}, want: []want{
			{findings.IDPHPPackage, E, "composer.lock", 15, []string{"acme/legacy 1.4.2", `">=8.2 <8.4"`, "PHP 8.3"}}}},
		{id: findings.IDPHPUnsatisfiable, in: Input{}, want: []want{
			{findings.IDPHPUnsatisfiable, E, "composer.json", 4, []string{`"~8.1.0"`, "8.2, 8.3, 8.4 and 8.5", "Bref 2 with PHP 8.1"}}}},
		{id: findings.IDHandlerMissing, in: Input{PHP: "8.4"}, want: []want{
			{findings.IDHandlerMissing, E, "public/index.php", 0, []string{"not in the app", "check the handler"}}}},
		{id: findings.IDHandlerNotPHP, in: Input{PHP: "8.4", Handler: "public/index.html"}, want: []want{
			{findings.IDHandlerNotPHP, E, "public/index.html", 0, []string{".php", "e.g. public/index.php"}}}},
		{id: findings.IDHandlerNoReturn, in: Input{PHP: "8.4", Runtime: "function", Handler: "index.php"}, want: []want{
			{findings.IDHandlerNoReturn, E, "index.php", 0, []string{"no return statement", "return function ($event)"}}}},
		{id: findings.IDVendorMissing, in: Input{PHP: "8.4"}, want: []want{
			{findings.IDVendorMissing, E, "vendor/autoload.php", 0, []string{"composer install --no-dev"}}}},
		{id: findings.IDVendorIgnored, in: Input{PHP: "8.4"}, want: []want{
			{findings.IDVendorIgnored, E, ".dockerignore", 3, []string{`pattern "vendor"`, "remove the pattern"}}}},
		{id: findings.IDDevPackages, in: Input{PHP: "8.4"}, want: []want{
			{findings.IDDevPackages, W, "vendor/composer/installed.json", 13, []string{"phpunit/phpunit", `"dev": true`, "composer install --no-dev"}}}},
		{id: findings.IDLaravelStorage, in: Input{PHP: "8.4"}, want: []want{
			{findings.IDLaravelStorage, W, "composer.json", 6, []string{"read-only", "composer require bref/laravel-bridge"}}}},
		{id: findings.IDLaravelConfigCache, in: Input{PHP: "8.4"}, want: []want{
			{findings.IDLaravelConfigCache, W, "bootstrap/cache/config.php", 12, []string{"/home/runner/work/app/app", "php artisan config:clear"}}}},
		{id: findings.IDSymfonyCacheDir, in: Input{PHP: "8.4"}, want: []want{
			{findings.IDSymfonyCacheDir, W, "src/Kernel.php", 8, []string{"read-only", "BrefKernel", "composer require bref/symfony-bridge"}}}},
		{id: findings.IDSymfonyCacheWarmup, in: Input{PHP: "8.4"}, want: []want{
			{findings.IDSymfonyCacheWarmup, W, "var/cache/prod", 0, []string{"every cold start", "php bin/console cache:clear --env=prod"}}}},
		{id: findings.IDSymfonyDotenv, in: Input{PHP: "8.4"}, want: []want{
			{findings.IDSymfonyDotenv, E, ".env", 0, []string{".dockerignore leaves it out", "/var/task/.env", `echo "<?php return [];" > .env.local.php`, "composer dump-env prod"}}}},
		{id: findings.IDSecretDotenv, in: Input{PHP: "8.4"}, want: []want{
			{findings.IDSecretDotenv, W, ".env", 0, []string{".dockerignore", "environment variables"}}}},
		{id: findings.IDSecretAuthJSON, in: Input{PHP: "8.4"}, want: []want{
			{findings.IDSecretAuthJSON, W, "auth.json", 0, []string{"credentials", ".dockerignore"}}}},
		{id: findings.IDSecretKey, in: Input{PHP: "8.4"},
			prepare: func(t *testing.T, dir string) {
				// A PEM block with the right labels; the body is not a key.
				writeFile(t, dir, "config/jwt/private.pem", "-----BEGIN "+"PRIVATE KEY-----\nbm90IGEga2V5\n-----END "+"PRIVATE KEY-----\n")
				writeFile(t, dir, "deploy/id_ed25519", "not a key either\n")
			},
			want: []want{
				{findings.IDSecretKey, W, "config/jwt/private.pem", 0, []string{"private key", ".dockerignore"}},
				{findings.IDSecretKey, W, "deploy/id_ed25519", 0, []string{"private key", ".dockerignore"}},
			}},
		{id: findings.IDSecretGit, in: Input{PHP: "8.4"},
			prepare: func(t *testing.T, dir string) {
				writeFile(t, dir, ".git/HEAD", "ref: refs/heads/main\n")
				writeFile(t, dir, ".git/config", "[core]\n")
			},
			want: []want{{findings.IDSecretGit, W, ".git", 0, []string{"history", "add .git to .dockerignore"}}}},
		{id: findings.IDIniScanDir, in: Input{PHP: "8.4", Env: []string{"PATH=/opt/bin", "PHP_INI_SCAN_DIR=/var/task/ini"}}, want: []want{
			{findings.IDIniScanDir, E, "", 0, []string{"/opt/bref/etc/php/conf.d", "PHP_INI_SCAN_DIR=/opt/bref/etc/php/conf.d:/var/task/php/conf.d:/var/task/ini"}}}},
		{id: findings.IDExtNotLoaded, in: Input{Line: 1, PHP: "8.0",
			ImagePaths: []string{"/opt/bref-extra/gmp.so", "/opt/bref-extra/redis.so", "/opt/bref/etc/php/conf.d/ext-gmp.ini"},
			IniFiles:   map[string]string{"/opt/bref/etc/php/conf.d/ext-gmp.ini": "extension=/opt/bref-extra/gmp.so\n"}},
			want: []want{
				{findings.IDExtNotLoaded, E, "/opt/bref-extra/redis.so", 0, []string{"no ini file loads it", "COPY --from=<image> /opt /opt", `"extension=/opt/bref-extra/redis.so"`}},
				{findings.IDExtNotLoaded, W, "php/extensions/custom.so", 0, []string{"php/conf.d/custom.ini", `"extension=/var/task/php/extensions/custom.so"`}},
			}},
	}
	seen := map[string]bool{}
	for _, tc := range tests {
		seen[tc.id] = true
		t.Run(tc.id, func(t *testing.T) {
			in := tc.in
			in.AppDir = fixture(tc.id)
			if tc.prepare != nil {
				in.AppDir = copyFixture(t, tc.id)
				tc.prepare(t, in.AppDir)
			}
			got, err := Run(in)
			if err != nil {
				t.Fatal(err)
			}
			checkFindings(t, got, tc.want)
			for _, f := range got {
				if !slices.Contains(appIDs, f.ID) {
					t.Errorf("finding ID %q is not in appIDs", f.ID)
				}
			}
		})
	}
	for _, id := range appIDs {
		if !seen[id] {
			t.Errorf("no fixture test for %s", id)
		}
		if _, err := os.Stat(fixture(id)); err != nil {
			t.Errorf("no fixture app testdata/checks/%s: %v", id, err)
		}
	}
}

// cleanInput is the correct input for the clean Laravel-like app: Bref 3,
// --ext gmp, PHP chosen from composer.json (config.platform.php 8.4.0).
func cleanInput() Input {
	return Input{
		AppDir:     fixture("clean-laravel"),
		Line:       3,
		Exts:       []string{"gmp"},
		ImagePaths: gmpImage.paths,
		IniFiles:   gmpImage.ini,
		Env:        []string{"PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin", "PHP_INI_SCAN_DIR=/opt/bref/etc/php/conf.d:/var/task/php/conf.d", "BREF_RUNTIME=fpm"},
	}
}

func TestCleanLaravel(t *testing.T) {
	t.Run("listed from the app dir", func(t *testing.T) {
		got, err := Run(cleanInput())
		if err != nil {
			t.Fatal(err)
		}
		checkFindings(t, got, nil)
	})
	t.Run("explicit PHP and app paths", func(t *testing.T) {
		in := cleanInput()
		in.PHP = "84"
		app, err := LoadApp(in.AppDir, []string{".env", ".git", "node_modules", "tests/", "storage/logs/*"})
		if err != nil {
			t.Fatal(err)
		}
		in.AppPaths = app.Paths
		got, err := Run(in)
		if err != nil {
			t.Fatal(err)
		}
		checkFindings(t, got, nil)
	})
	// The same app is not clean when the input is wrong: the checks look.
	t.Run("without --ext gmp", func(t *testing.T) {
		in := cleanInput()
		in.Exts, in.ImagePaths, in.IniFiles = nil, nil, nil
		got, err := Run(in)
		if err != nil {
			t.Fatal(err)
		}
		checkFindings(t, got, []want{{findings.IDExtMissing, findings.Error, "composer.json", 9, []string{"add the extension gmp"}}})
	})
	t.Run("without .dockerignore", func(t *testing.T) {
		in := cleanInput()
		in.Ignore = []string{}
		got, err := Run(in)
		if err != nil {
			t.Fatal(err)
		}
		checkFindings(t, got, []want{{findings.IDSecretDotenv, findings.Warning, ".env", 0, nil}})
	})
	t.Run("on Bref 2", func(t *testing.T) {
		in := cleanInput()
		in.Line = 2
		in.ImagePaths, in.IniFiles = nil, nil
		got, err := Run(in)
		if err != nil {
			t.Fatal(err)
		}
		// On Bref 2 redis is an image, not in the base: the ini line alone
		// does not load it.
		checkFindings(t, got, []want{
			{findings.IDExtMissing, findings.Error, "composer.json", 11, []string{"add the extension redis"}},
			{findings.IDBrefVersion, findings.Error, "composer.lock", 6, []string{"use Bref 3"}},
		})
	})
}

func TestAutoExtensions(t *testing.T) {
	tests := []struct {
		fixture string
		line    int
		php     string
		want    []string
	}{
		// Base-disabled intl and redis, built-in mbstring and bcmath,
		// CLI-only pcntl, imageless bz2 and the require-dev xdebug are left
		// out.
		{fixture: "ext-auto", line: 3, php: "8.4", want: []string{"gd", "gmp", "imagick"}},
		// gmp is not built for PHP 8.5 on Bref 3; gd and imagick are.
		{fixture: "ext-auto", line: 3, php: "8.5", want: []string{"gd", "imagick"}},
		// Bref 2 has a redis image and no redis in the base.
		{fixture: "ext-auto", line: 2, php: "8.2", want: []string{"gd", "gmp", "imagick", "redis"}},
		{fixture: "clean-laravel", line: 3, php: "8.4", want: []string{"gmp"}},
		{fixture: "ext-missing", line: 3, php: "84", want: []string{"gmp"}},
		{fixture: "vendor-missing", line: 3, php: "8.4", want: nil},
	}
	for _, tc := range tests {
		t.Run(tc.fixture+" "+tc.php, func(t *testing.T) {
			p := loadProject(t, fixture(tc.fixture))
			got, err := AutoExtensions(p, tc.line, tc.php)
			if err != nil {
				t.Fatal(err)
			}
			if !slices.Equal(got, tc.want) {
				t.Errorf("AutoExtensions = %v, want %v", got, tc.want)
			}
			// What auto picks leaves no ext-missing finding.
			fs := MissingExtensions(p, Platform{Line: tc.line, PHP: tc.php, Exts: got})
			for _, f := range fs {
				if f.ID == findings.IDExtMissing {
					t.Errorf("with --ext %v: %s", got, f)
				}
			}
		})
	}
	if _, err := AutoExtensions(nil, 3, "7.4"); err == nil {
		t.Errorf("AutoExtensions on Bref 3 with PHP 7.4: no error")
	}
}
