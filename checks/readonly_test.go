package checks

import (
	"testing"

	"github.com/brefimg/brefimg/composer"
	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/layers"
)

// installed is a project whose composer.lock holds the packages named.
func installed(names ...string) *composer.Project {
	p := &composer.Project{HasJSON: true, HasLock: true}
	for i, n := range names {
		p.Packages = append(p.Packages, composer.Package{Name: n, Version: "1.0.0", File: composer.LockFile, Line: 3 + 5*i})
	}
	return p
}

func TestLaravel(t *testing.T) {
	const (
		W          = findings.Warning
		localCache = "<?php return array (\n  'view' => \n  array (\n    'paths' => \n    array (\n      0 => '/Users/me/Sites/shop/resources/views',\n    ),\n  ),\n);\n"
		taskCache  = "<?php return array (\n  'view' => \n  array (\n    'compiled' => '/var/task/storage/framework/views',\n  ),\n);\n"
		winCache   = "<?php return array (\n  'view' => \n  array (\n    'compiled' => 'C:\\\\Users\\\\me\\\\shop\\\\storage\\\\framework\\\\views',\n  ),\n);\n"
	)
	tests := []struct {
		name  string
		p     *composer.Project
		files map[string]string
		want  []want
	}{
		{name: "not Laravel", p: installed("bref/bref", "slim/slim")},
		{name: "with the bridge", p: installed("bref/bref", "bref/laravel-bridge", "laravel/framework")},
		{name: "without the bridge", p: installed("bref/bref", "laravel/framework"), want: []want{
			{findings.IDLaravelStorage, W, composer.LockFile, 8, []string{"read-only", "bref/laravel-bridge"}}}},
		{name: "storage moved by bootstrap/app.php", p: installed("bref/bref", "laravel/framework"),
			files: map[string]string{"bootstrap/app.php": "<?php\n$app->useStoragePath($_ENV['APP_STORAGE'] ?? $app->storagePath());\n"}},
		{name: "config cached on a Mac", p: installed("bref/laravel-bridge", "laravel/framework"),
			files: map[string]string{"bootstrap/cache/config.php": localCache}, want: []want{
				{findings.IDLaravelConfigCache, W, "bootstrap/cache/config.php", 6, []string{"in /Users/me/Sites/shop, not /var/task", "config:clear"}}}},
		{name: "config cached on Windows", p: installed("bref/laravel-bridge", "laravel/framework"),
			files: map[string]string{"bootstrap/cache/config.php": winCache}, want: []want{
				{findings.IDLaravelConfigCache, W, "bootstrap/cache/config.php", 4, []string{`in C:\Users\me\shop,`}}}},
		{name: "config cached at /var/task", p: installed("bref/laravel-bridge", "laravel/framework"),
			files: map[string]string{"bootstrap/cache/config.php": taskCache}},
		{name: "required, nothing installed yet", p: &composer.Project{HasJSON: true,
			Require: []composer.Requirement{{Name: "laravel/framework", Constraint: "^12.0", File: composer.JSONFile, Line: 7}}}, want: []want{
			{findings.IDLaravelStorage, W, composer.JSONFile, 7, nil}}},
		{name: "a require-dev package", p: &composer.Project{HasJSON: true, HasLock: true, DevPackages: installed("laravel/framework").Packages}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFindings(t, Laravel(tc.p, writeApp(t, tc.files)), tc.want)
		})
	}
}

// writeApp writes files into a temporary app directory and lists it.
func writeApp(t *testing.T, files map[string]string) App {
	t.Helper()
	dir := t.TempDir()
	for rel, content := range files {
		writeFile(t, dir, rel, content)
	}
	ignore, err := layers.ReadIgnoreFile(dir)
	if err != nil {
		t.Fatal(err)
	}
	app, err := LoadApp(dir, ignore)
	if err != nil {
		t.Fatal(err)
	}
	return app
}

func TestSymfony(t *testing.T) {
	const (
		E          = findings.Error
		W          = findings.Warning
		brefKernel = "<?php\nnamespace App;\n\nuse Bref\\SymfonyBridge\\BrefKernel;\n\nclass Kernel extends BrefKernel\n{\n}\n"
		baseKernel = "<?php\nnamespace App;\n\nuse Symfony\\Component\\HttpKernel\\Kernel as BaseKernel;\n\nfinal class Kernel extends BaseKernel\n{\n}\n"
		ownDirs    = "<?php\nclass Kernel extends BaseKernel\n{\n    public function getCacheDir(): string { return '/tmp/cache/'.$this->environment; }\n}\n"
		warm       = "<?php return [];\n"
		// The recipe's config/bootstrap.php of Symfony 4.4.
		bootstrap44 = `<?php

use Symfony\Component\Dotenv\Dotenv;

require dirname(__DIR__).'/vendor/autoload.php';

if (is_array($env = @include dirname(__DIR__).'/.env.local.php') && ($_SERVER['APP_ENV'] ?? $_ENV['APP_ENV'] ?? $env['APP_ENV']) === $env['APP_ENV']) {
    foreach ($env as $k => $v) { $_ENV[$k] = $_ENV[$k] ?? $v; }
} elseif (!class_exists(Dotenv::class)) {
    throw new RuntimeException('Please run "composer require symfony/dotenv" to load the ".env" files configuring the application.');
} else {
    (new Dotenv(false))->loadEnv(dirname(__DIR__).'/.env');
}
`
	)
	sf := installed("bref/bref", "bref/symfony-bridge", "symfony/dotenv", "symfony/framework-bundle")
	noDotenv := installed("bref/bref", "symfony/framework-bundle")
	otherDotenv := installed("symfony/dotenv", "symfony/framework-bundle")
	otherDotenv.Extra = []byte(`{"runtime": {"dotenv_path": "config/.env"}}`)
	disabled := installed("symfony/dotenv", "symfony/framework-bundle")
	disabled.Extra = []byte(`{"symfony": {"require": "7.3.*"}, "runtime": {"disable_dotenv": true}}`)
	tests := []struct {
		name  string
		p     *composer.Project
		env   []string
		files map[string]string
		want  []want
	}{
		{name: "as Bref's guide says", p: sf, files: map[string]string{"src/Kernel.php": brefKernel, "var/cache/prod/App_KernelProdContainer.php": warm, ".env.local.php": warm}},
		{name: "not Symfony", p: installed("bref/bref", "symfony/console", "symfony/dotenv")},
		{name: "the demo's kernel", p: noDotenv, files: map[string]string{"src/Kernel.php": baseKernel, "var/cache/prod/x.php": warm}, want: []want{
			{findings.IDSymfonyCacheDir, W, "src/Kernel.php", 6, []string{"BrefKernel"}}}},
		{name: "its own cache dir", p: noDotenv, files: map[string]string{"src/Kernel.php": ownDirs, "var/cache/prod/x.php": warm}},
		{name: "cold", p: noDotenv, files: map[string]string{"src/Kernel.php": brefKernel}, want: []want{
			{findings.IDSymfonyCacheWarmup, W, "var/cache/prod", 0, []string{"cache:clear --env=prod"}}}},
		{name: "warmed for another env", p: noDotenv, env: []string{"APP_ENV=staging"}, files: map[string]string{"var/cache/prod/x.php": warm}, want: []want{
			{findings.IDSymfonyCacheWarmup, W, "var/cache/staging", 0, []string{"cache:clear --env=staging"}}}},
		{name: "warmed but ignored", p: noDotenv, files: map[string]string{".dockerignore": "var\n", "var/cache/prod/x.php": warm}, want: []want{
			{findings.IDSymfonyCacheWarmup, W, ".dockerignore", 1, []string{`pattern "var"`, "!var/cache/prod"}}}},
		{name: "warmed and kept", p: noDotenv, files: map[string]string{".dockerignore": "var\n!var/cache/prod\n", "var/cache/prod/x.php": warm, "var/log/dev.log": ""}},
		{name: ".env read at every cold start", p: sf, files: map[string]string{"var/cache/prod/x.php": warm, ".env": "APP_ENV=prod\n"}, want: []want{
			{findings.IDSymfonyDotenv, W, ".env", 0, []string{"every cold start", "composer dump-env prod"}}}},
		{name: "no .env at all", p: sf, files: map[string]string{"var/cache/prod/x.php": warm}, want: []want{
			{findings.IDSymfonyDotenv, E, ".env", 0, []string{"/var/task/.env at boot"}}}},
		{name: "dotenv_path", p: otherDotenv, files: map[string]string{"var/cache/prod/x.php": warm, ".env": "A=1\n"}, want: []want{
			{findings.IDSymfonyDotenv, E, "config/.env", 0, []string{"/var/task/config/.env"}}}},
		{name: "dotenv disabled", p: disabled, files: map[string]string{"var/cache/prod/x.php": warm}},
		// Symfony 4.4's config/bootstrap.php with symfony/dotenv in
		// require-dev (brefphp/examples Symfony/sqs).
		{name: "bootstrap.php without dotenv", p: noDotenv, files: map[string]string{"var/cache/prod/x.php": warm, "config/bootstrap.php": bootstrap44}, want: []want{
			{findings.IDSymfonyDotenv, E, "config/bootstrap.php", 9, []string{"require-dev", "move symfony/dotenv to require"}}}},
		{name: "bootstrap.php with .env.local.php", p: noDotenv, files: map[string]string{"var/cache/prod/x.php": warm, "config/bootstrap.php": bootstrap44, ".env.local.php": warm}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			checkFindings(t, Symfony(tc.p, writeApp(t, tc.files), tc.env), tc.want)
		})
	}
	if fs := ReadOnlyTask(nil, App{}, nil); fs != nil {
		t.Errorf("ReadOnlyTask(nil) = %v", fs)
	}
}
