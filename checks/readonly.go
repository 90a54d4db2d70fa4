package checks

import (
	"encoding/json"
	"fmt"
	"regexp"
	"strings"

	"github.com/brefimg/brefimg/composer"
	"github.com/brefimg/brefimg/findings"
)

// Lambda mounts the function's code, /var/task, read-only: only /tmp is
// writable (Bref's docs/environment/storage.mdx). Frameworks that write
// caches, compiled templates or logs next to the code fail at run time
// (brefphp/bref#597, brefphp/symfony-bridge#60), and a cache generated on
// the build machine holds that machine's paths. The checks below catch
// what Bref's Laravel and Symfony guides (docs/laravel/getting-started.mdx,
// docs/symfony/getting-started.mdx) and bridges set right.

// The packages the framework checks look for.
const (
	laravelFramework = "laravel/framework"
	laravelBridge    = "bref/laravel-bridge"
	symfonyFramework = "symfony/framework-bundle"
	symfonyDotenv    = "symfony/dotenv"
)

// The app files the framework checks read.
const (
	laravelConfigCache = "bootstrap/cache/config.php"
	laravelBootstrap   = "bootstrap/app.php"
	symfonyKernel      = "src/Kernel.php"
	symfonyBootstrap   = "config/bootstrap.php"
)

// ReadOnlyTask runs the framework checks of the read-only /var/task on the
// app: [Laravel] and [Symfony]. env is the image's environment (APP_ENV
// chooses Symfony's cache directory; prod when unset).
func ReadOnlyTask(p *composer.Project, app App, env []string) []findings.Finding {
	if p == nil {
		return nil
	}
	out := Laravel(p, app)
	return append(out, Symfony(p, app, env)...)
}

// Laravel checks a Laravel app (laravel/framework installed) for what it
// writes under /var/task:
//
//   - findings.IDLaravelStorage (warning) without bref/laravel-bridge,
//     whose service provider moves storage/ to /tmp/storage and which
//     caches the config at the first cold start (BrefServiceProvider,
//     BrefSubscriber); not when bootstrap/app.php moves the storage path
//     itself (useStoragePath, as Bref 1's early guides did);
//   - findings.IDLaravelConfigCache (warning) when the app holds
//     bootstrap/cache/config.php generated with the app elsewhere than
//     /var/task: Laravel would use the build machine's paths, and the
//     bridge does not cache the config again while that file exists. Bref's
//     guides say to run php artisan config:clear before deploying.
func Laravel(p *composer.Project, app App) []findings.Finding {
	if p == nil || !p.Uses(laravelFramework) {
		return nil
	}
	var out []findings.Finding
	if !p.Uses(laravelBridge) && !laravelMovesStorage(app) {
		f := findings.Finding{ID: findings.IDLaravelStorage, Severity: findings.Warning, Message: "Laravel writes compiled Blade views, its file cache and logs under storage/, and its config cache under bootstrap/cache/, but /var/task is read-only on Lambda: composer require bref/laravel-bridge (it moves storage to /tmp/storage and caches the config there at the first cold start)"}
		f.Path, f.Line = packageWhere(p, laravelFramework)
		out = append(out, f)
	}
	if f, ok := laravelStaleConfig(app); ok {
		out = append(out, f)
	}
	return out
}

// laravelMovesStorage reports whether bootstrap/app.php moves Laravel's
// storage path itself.
func laravelMovesStorage(app App) bool {
	data, err := app.read(laravelBootstrap)
	return err == nil && strings.Contains(string(data), "useStoragePath")
}

// laravelBasePath finds the app directory a config cache was generated in:
// what precedes storage/framework/views (view.compiled) or resources/views
// (view.paths) in one of var_export's single-quoted strings.
var laravelBasePath = regexp.MustCompile(`'([^'\n]*?)(?:[/\\]+storage[/\\]+framework[/\\]+views|[/\\]+resources[/\\]+views)'`)

// laravelStaleConfig reports a config cache generated outside /var/task.
func laravelStaleConfig(app App) (findings.Finding, bool) {
	if !app.HasFile(laravelConfigCache) {
		return findings.Finding{}, false
	}
	data, err := app.read(laravelConfigCache)
	if err != nil {
		return findings.Finding{}, false
	}
	m := laravelBasePath.FindSubmatchIndex(data)
	if m == nil {
		return findings.Finding{}, false
	}
	base := strings.ReplaceAll(string(data[m[2]:m[3]]), `\\`, `\`)
	if base == AppDest {
		return findings.Finding{}, false
	}
	line := 1 + strings.Count(string(data[:m[2]]), "\n")
	return findings.Finding{ID: findings.IDLaravelConfigCache, Severity: findings.Warning, Path: laravelConfigCache, Line: line, Message: fmt.Sprintf(
		"%s was generated with the app in %s, not %s: on Lambda Laravel would use that machine's paths (views, storage, …) and the environment values it had, and Bref's bridge does not cache the config again while the file exists; run php artisan config:clear before brefimg (the bridge caches the config in /tmp at the first cold start), or generate it with the app in %s and the production environment",
		laravelConfigCache, base, AppDest, AppDest)}, true
}

// Symfony checks a Symfony app (symfony/framework-bundle installed) for
// what it writes under /var/task and reads at every cold start:
//
//   - findings.IDSymfonyCacheDir (warning) when src/Kernel.php neither
//     extends bref/symfony-bridge's BrefKernel nor overrides getCacheDir:
//     the kernel then writes var/cache and var/log under /var/task
//     (brefphp/symfony-bridge#60);
//   - findings.IDSymfonyCacheWarmup (warning) when var/cache/<APP_ENV> is
//     not in the app: Symfony builds its cache at every cold start, which
//     takes seconds (Bref's Symfony guide: bin/console cache:clear
//     --env=prod before deploying);
//   - findings.IDSymfonyDotenv when symfony/dotenv is installed and the
//     app holds no .env.local.php: Symfony's runtime (Dotenv::bootEnv)
//     then parses .env at every cold start (warning), and throws at boot
//     when .env is not in the app either (error). Bref's guide writes
//     .env.local.php with echo "<?php return [];" > .env.local.php. The
//     config/bootstrap.php of Symfony 4.4 and 5.x apps throws at boot
//     without that file when symfony/dotenv is not installed (a
//     require-dev package): an error too.
func Symfony(p *composer.Project, app App, env []string) []findings.Finding {
	if p == nil || !p.Uses(symfonyFramework) {
		return nil
	}
	var out []findings.Finding
	if f, ok := symfonyKernelWrites(app); ok {
		out = append(out, f)
	}
	if f, ok := symfonyColdCache(app, env); ok {
		out = append(out, f)
	}
	if f, ok := symfonyDotenvFile(p, app); ok {
		out = append(out, f)
	}
	return out
}

// kernelClass finds the kernel's class declaration.
var kernelClass = regexp.MustCompile(`(?m)^[ \t]*(?:final[ \t]+|abstract[ \t]+)?class[ \t]+Kernel\b`)

// symfonyKernelWrites reports a kernel that keeps its cache and logs under
// the app directory.
func symfonyKernelWrites(app App) (findings.Finding, bool) {
	if !app.HasFile(symfonyKernel) {
		return findings.Finding{}, false
	}
	data, err := app.read(symfonyKernel)
	if err != nil {
		return findings.Finding{}, false
	}
	src := string(data)
	if strings.Contains(src, "BrefKernel") || strings.Contains(src, "function getCacheDir") {
		return findings.Finding{}, false
	}
	line := 0
	if loc := kernelClass.FindStringIndex(src); loc != nil {
		line = 1 + strings.Count(src[:loc[0]], "\n")
	}
	return findings.Finding{ID: findings.IDSymfonyCacheDir, Severity: findings.Warning, Path: symfonyKernel, Line: line, Message: "the Symfony kernel keeps its cache in var/cache and its logs in var/log, under /var/task, which is read-only on Lambda: extend Bref\\SymfonyBridge\\BrefKernel instead (composer require bref/symfony-bridge), which moves them to /tmp and reuses a pre-warmed var/cache"}, true
}

// symfonyColdCache reports a Symfony app deployed without its warmed
// cache for the environment it runs in.
func symfonyColdCache(app App, env []string) (findings.Finding, bool) {
	appEnv := "prod"
	if v, ok := lookupEnv(env, "APP_ENV"); ok && v != "" {
		appEnv = v
	}
	dir := "var/cache/" + appEnv
	if app.HasDir(dir) {
		return findings.Finding{}, false
	}
	f := findings.Finding{ID: findings.IDSymfonyCacheWarmup, Severity: findings.Warning, Path: dir}
	fix := fmt.Sprintf("run php bin/console cache:clear --env=%s (it warms the cache) before brefimg", appEnv)
	if app.onDisk(dir) {
		pat, ln := app.ignoredBy(dir)
		f.Path, f.Line = ".dockerignore", ln
		fix = fmt.Sprintf("keep it in the app: add !%s to .dockerignore", dir)
		if pat != "" {
			fix = fmt.Sprintf("the .dockerignore pattern %q leaves it out; add !%s after it", pat, dir)
		}
	}
	f.Message = fmt.Sprintf("%s is not in the app, so Symfony compiles its container and caches at every cold start, which takes seconds (in /tmp with bref/symfony-bridge; without it, writing under the read-only /var/task fails): %s", dir, fix)
	return f, true
}

// runtimeOptions are the Symfony runtime options of composer.json's
// extra.runtime that decide which .env file is read.
type runtimeOptions struct {
	DisableDotenv bool   `json:"disable_dotenv"`
	DotenvPath    string `json:"dotenv_path"`
}

// symfonyRuntime reads extra.runtime; zero options when absent or not
// this shape.
func symfonyRuntime(p *composer.Project) runtimeOptions {
	var extra struct {
		Runtime runtimeOptions `json:"runtime"`
	}
	if len(p.Extra) > 0 {
		_ = json.Unmarshal(p.Extra, &extra)
	}
	return extra.Runtime
}

// symfonyDotenvFile reports a .env that Symfony reads at every cold start,
// or one it fails to read.
func symfonyDotenvFile(p *composer.Project, app App) (findings.Finding, bool) {
	opts := symfonyRuntime(p)
	if !p.Uses(symfonyDotenv) {
		return bootstrapWithoutDotenv(app)
	}
	if opts.DisableDotenv {
		return findings.Finding{}, false
	}
	dotenv := ".env"
	if opts.DotenvPath != "" {
		dotenv = strings.TrimPrefix(opts.DotenvPath, "./")
	}
	if app.HasFile(dotenv + ".local.php") {
		return findings.Finding{}, false
	}
	const write = `echo "<?php return [];" > .env.local.php (as Bref's Symfony guide does) takes every value from Lambda's environment, composer dump-env prod compiles .env into it; or set "disable_dotenv": true in composer.json's extra.runtime`
	if app.HasFile(dotenv) || app.HasFile(dotenv+".dist") {
		return findings.Finding{ID: findings.IDSymfonyDotenv, Severity: findings.Warning, Path: dotenv, Message: fmt.Sprintf(
			"%s is parsed by Symfony's Dotenv at every cold start, as the app holds no %s.local.php, and its values apply wherever Lambda's environment does not set the variable: write %s.local.php before brefimg: %s",
			dotenv, dotenv, dotenv, write)}, true
	}
	why := ""
	if app.onDisk(dotenv) {
		why = " (.dockerignore leaves it out)"
	}
	return findings.Finding{ID: findings.IDSymfonyDotenv, Severity: findings.Error, Path: dotenv, Message: fmt.Sprintf(
		"neither %s%s nor %s.local.php is in the app, and Symfony's runtime loads %s/%s at boot (symfony/dotenv's bootEnv) and fails when it is missing: write %s.local.php before brefimg: %s",
		dotenv, why, dotenv, AppDest, dotenv, dotenv, write)}, true
}

// dotenvRequired finds the check of Symfony 4.4 and 5.x's
// config/bootstrap.php that throws when symfony/dotenv is missing.
var dotenvRequired = regexp.MustCompile(`class_exists\(\s*Dotenv::class`)

// bootstrapWithoutDotenv reports a config/bootstrap.php that needs
// symfony/dotenv, or .env.local.php, when the image has neither.
func bootstrapWithoutDotenv(app App) (findings.Finding, bool) {
	if !app.HasFile(symfonyBootstrap) || app.HasFile(".env.local.php") {
		return findings.Finding{}, false
	}
	data, err := app.read(symfonyBootstrap)
	if err != nil {
		return findings.Finding{}, false
	}
	loc := dotenvRequired.FindIndex(data)
	if loc == nil {
		return findings.Finding{}, false
	}
	return findings.Finding{ID: findings.IDSymfonyDotenv, Severity: findings.Error, Path: symfonyBootstrap, Line: 1 + strings.Count(string(data[:loc[0]]), "\n"), Message: fmt.Sprintf(
		"%s loads .env with symfony/dotenv, which is not installed for production (a require-dev package, or none), so it throws at boot unless .env.local.php exists: write .env.local.php before brefimg (echo \"<?php return [];\" > .env.local.php takes every value from Lambda's environment, composer dump-env prod compiles .env into it), or move symfony/dotenv to require",
		symfonyBootstrap)}, true
}

// packageWhere is where the app requires a package: composer.json's
// require entry, else the installed package's entry.
func packageWhere(p *composer.Project, name string) (string, int) {
	if r, ok := p.Requirement(name); ok {
		return r.File, r.Line
	}
	if pkg, ok := p.Package(name); ok {
		return pkg.File, pkg.Line
	}
	return composer.JSONFile, 0
}
