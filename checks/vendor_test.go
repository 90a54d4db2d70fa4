package checks

import (
	"testing"

	"github.com/brefimg/brefimg/composer"
	"github.com/brefimg/brefimg/findings"
)

// TestVendorEnv: the autoloader checked is the one Bref's bootstrap loads
// with the image's environment.
func TestVendorEnv(t *testing.T) {
	const E = findings.Error
	withVendor := NewApp("", []string{"vendor/autoload.php", "lib/vendor/autoload.php"}, nil)
	without := NewApp("", []string{"public/index.php"}, nil)
	tests := []struct {
		name string
		app  App
		line int
		env  []string
		want []want
	}{
		{name: "default", app: withVendor, line: 3},
		{name: "missing", app: without, line: 3, want: []want{
			{findings.IDVendorMissing, E, "vendor/autoload.php", 0, []string{"every Bref runtime loads it"}}}},
		{name: "BREF_AUTOLOAD_PATH in the app", app: withVendor, line: 2, env: []string{"BREF_AUTOLOAD_PATH=/var/task/lib/vendor/autoload.php"}},
		{name: "BREF_AUTOLOAD_PATH relative", app: withVendor, line: 1, env: []string{"BREF_AUTOLOAD_PATH=lib/vendor/autoload.php"}},
		{name: "BREF_AUTOLOAD_PATH missing", app: without, line: 3, env: []string{"BREF_AUTOLOAD_PATH=/var/task/lib/vendor/autoload.php"}, want: []want{
			{findings.IDVendorMissing, E, "lib/vendor/autoload.php", 0, []string{"BREF_AUTOLOAD_PATH=/var/task/lib/vendor/autoload.php"}}}},
		{name: "BREF_AUTOLOAD_PATH outside the app", app: without, line: 3, env: []string{"BREF_AUTOLOAD_PATH=/opt/app/vendor/autoload.php"}},
		{name: "BREF_DOWNLOAD_VENDOR on Bref 1", app: without, line: 1, env: []string{"BREF_DOWNLOAD_VENDOR=s3://bucket/vendor.zip"}},
		{name: "BREF_DOWNLOAD_VENDOR on Bref 3", app: without, line: 3, env: []string{"BREF_DOWNLOAD_VENDOR=s3://bucket/vendor.zip"}, want: []want{
			{findings.IDVendorMissing, E, "vendor/autoload.php", 0, []string{"BREF_DOWNLOAD_VENDOR is read by Bref 1 only"}}}},
		{name: "empty is unset", app: without, line: 1, env: []string{"BREF_AUTOLOAD_PATH=", "BREF_DOWNLOAD_VENDOR="}, want: []want{
			{findings.IDVendorMissing, E, "vendor/autoload.php", 0, nil}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFindings(t, Vendor(tc.app, tc.line, tc.env), tc.want)
		})
	}
}

// TestDevPackagesRecorded: installed.json's "dev" flag and
// "dev-package-names" decide, not the folders of vendor/.
func TestDevPackagesRecorded(t *testing.T) {
	const W = findings.Warning
	recorded := func(dev bool, names ...string) *composer.Project {
		p := &composer.Project{HasLock: true, HasInstalled: true, InstalledDevRecorded: true, InstalledDev: dev, InstalledDevLine: 40,
			DevPackages: []composer.Package{{Name: "phpunit/phpunit"}, {Name: "mockery/mockery"}}}
		p.Installed = []composer.Package{{Name: "bref/bref", InstallPath: "../bref/bref"}, {Name: "phpunit/phpunit", InstallPath: "../phpunit/phpunit"},
			{Name: "acme/plugin", InstallPath: "../../plugins/acme"}}
		p.InstalledDevNames = names
		return p
	}
	folders := NewApp("", []string{"vendor/bref/bref/", "vendor/phpunit/phpunit/", "vendor/mockery/mockery/", "plugins/acme/"}, nil)
	tests := []struct {
		name string
		p    *composer.Project
		app  App
		want []want
	}{
		// The lock's packages-dev have folders, but Composer installed
		// without them: the folders are not its.
		{name: "installed with --no-dev", p: recorded(false), app: folders},
		{name: "installed with dev", p: recorded(true, "phpunit/phpunit"), app: folders, want: []want{
			{findings.IDDevPackages, W, composer.InstalledFile, 40, []string{"1 require-dev package (phpunit/phpunit)", `"dev": true`}}}},
		{name: "a custom install path", p: recorded(true, "acme/plugin"), app: folders, want: []want{
			{findings.IDDevPackages, W, composer.InstalledFile, 40, []string{"(acme/plugin)"}}}},
		{name: "left out by .dockerignore", p: recorded(true, "phpunit/phpunit"), app: NewApp("", []string{"vendor/bref/bref/"}, nil)},
		{name: "dev, without require-dev packages", p: recorded(true), app: folders},
		{name: "composer 1: the lock and the folders", p: &composer.Project{HasLock: true, HasInstalled: true,
			DevPackages: []composer.Package{{Name: "phpunit/phpunit"}}}, app: folders, want: []want{
			{findings.IDDevPackages, W, "vendor", 0, []string{"(phpunit/phpunit)"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFindings(t, DevPackages(tc.p, tc.app), tc.want)
		})
	}
}
