package benchfix

import (
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
)

// ChangedFile is the file that [ChangeFile] rewrites, relative to the app
// directory: a small controller, as a one-line fix would touch.
const ChangedFile = "app/Http/Controllers/Controller.php"

// MaxScale is the largest app scale [NewApp] accepts.
const MaxScale = 100

// AppFile is one file of the generated app.
type AppFile struct {
	// Path is slash-separated and relative to the app directory.
	Path string
	// Mode is 0644, or 0755 for the artisan script.
	Mode fs.FileMode
	// Size is the size of the content in bytes.
	Size int

	ns    string // PHP namespace, for generated PHP files
	kind  kind
	fixed []byte // content of kindFixed files
}

type kind int

const (
	kindPHP kind = iota
	kindProse
	kindFixed
)

// App is the Laravel-like app at one scale: the plan of its files, which
// [App.Write] writes. At scale 1 it has about 8,300 files and 60 MB, mostly
// under vendor/; at scale n, vendor/ holds n copies of its packages (the
// copies under other vendor names) and app/ n-1 more modules, so size and
// file count grow about n times.
type App struct {
	// Scale is the scale factor given to [NewApp].
	Scale int
	// Files are the files, sorted by path.
	Files []AppFile
	// Bytes is the total size of the files.
	Bytes int64
}

// pkg is a Composer package of the generated vendor/ directory.
type pkg struct {
	name  string // vendor/package
	files int    // PHP files at scale 1
}

// packages are the Composer packages of a Laravel 8 app on Bref 1, with
// about as many PHP files as the real ones.
var packages = []pkg{
	{"aws/aws-sdk-php", 1650}, {"bref/bref", 90}, {"bref/laravel-bridge", 30},
	{"brick/math", 30}, {"dflydev/dot-access-data", 10}, {"doctrine/cache", 20},
	{"doctrine/dbal", 400}, {"doctrine/event-manager", 8}, {"doctrine/inflector", 40},
	{"doctrine/instantiator", 10}, {"doctrine/lexer", 8}, {"dragonmantank/cron-expression", 20},
	{"egulias/email-validator", 60}, {"fruitcake/laravel-cors", 10}, {"graham-campbell/result-type", 6},
	{"guzzlehttp/guzzle", 60}, {"guzzlehttp/promises", 30}, {"guzzlehttp/psr7", 50},
	{"hollodotme/fast-cgi-client", 40}, {"laravel/framework", 1450}, {"laravel/sanctum", 40},
	{"laravel/serializable-closure", 20}, {"laravel/tinker", 20}, {"league/commonmark", 420},
	{"league/config", 20}, {"league/flysystem", 80}, {"league/mime-type-detection", 12},
	{"monolog/monolog", 170}, {"mtdowling/jmespath.php", 40}, {"nesbot/carbon", 330},
	{"nette/schema", 20}, {"nette/utils", 70}, {"nikic/php-parser", 280},
	{"phpoption/phpoption", 10}, {"psr/container", 6}, {"psr/event-dispatcher", 6},
	{"psr/http-client", 6}, {"psr/http-factory", 10}, {"psr/http-message", 12},
	{"psr/log", 12}, {"psr/simple-cache", 6}, {"psy/psysh", 300},
	{"ralouphie/getallheaders", 4}, {"ramsey/collection", 40}, {"ramsey/uuid", 130},
	{"riverline/multipart-parser", 20}, {"symfony/console", 150}, {"symfony/css-selector", 30},
	{"symfony/deprecation-contracts", 3}, {"symfony/error-handler", 60}, {"symfony/event-dispatcher", 30},
	{"symfony/event-dispatcher-contracts", 8}, {"symfony/finder", 40}, {"symfony/http-foundation", 120},
	{"symfony/http-kernel", 330}, {"symfony/mailer", 110}, {"symfony/mime", 90},
	{"symfony/polyfill-ctype", 6}, {"symfony/polyfill-iconv", 8}, {"symfony/polyfill-intl-grapheme", 6},
	{"symfony/polyfill-intl-idn", 10}, {"symfony/polyfill-intl-normalizer", 10}, {"symfony/polyfill-mbstring", 10},
	{"symfony/polyfill-php72", 6}, {"symfony/polyfill-php73", 8}, {"symfony/polyfill-php80", 10},
	{"symfony/polyfill-php81", 10}, {"symfony/polyfill-uuid", 8}, {"symfony/process", 30},
	{"symfony/psr-http-message-bridge", 30}, {"symfony/routing", 130}, {"symfony/service-contracts", 15},
	{"symfony/string", 40}, {"symfony/translation", 170}, {"symfony/translation-contracts", 10},
	{"symfony/var-dumper", 120}, {"symfony/yaml", 40}, {"tijsverkoyen/css-to-inline-styles", 10},
	{"vlucas/phpdotenv", 60}, {"voku/portable-ascii", 60}, {"webmozart/assert", 10},
}

// knownVersions are the locked versions of the packages composer.json
// names, consistent with it and with Bref 1 (brefimg checks that bref/bref
// has the image's major version); the other packages get random ones.
var knownVersions = map[string]string{
	"aws/aws-sdk-php":     "3.258.2",
	"bref/bref":           "1.7.14",
	"bref/laravel-bridge": "1.2.1",
	"guzzlehttp/guzzle":   "7.5.0",
	"laravel/framework":   "v8.83.27",
	"laravel/sanctum":     "v2.15.1",
	"laravel/tinker":      "v2.7.3",
}

// sizeBuckets give the size distribution of vendor PHP files: weight (per
// 1000) and the byte range, uniform within a bucket (integers only, so that
// sizes never depend on floating point).
var sizeBuckets = []struct{ weight, lo, hi int }{
	{127, 250, 1023}, {180, 1024, 2047}, {250, 2048, 4095}, {220, 4096, 8191},
	{140, 8192, 16383}, {60, 16384, 32767}, {18, 32768, 65535}, {5, 65536, 163839},
}

// fileSize draws a vendor file size.
func fileSize(r *rng) int {
	n := r.intn(1000)
	for _, b := range sizeBuckets {
		if n < b.weight {
			return r.between(b.lo, b.hi)
		}
		n -= b.weight
	}
	return 4096
}

// pascal turns "http-kernel" or "php-parser" into "HttpKernel", "PhpParser".
func pascal(s string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(s, func(r rune) bool { return r == '-' || r == '.' || r == '_' }) {
		b.WriteString(strings.ToUpper(part[:1]) + part[1:])
	}
	return b.String()
}

// identString returns a PascalCase identifier drawn from r.
func identString(r *rng) string {
	g := &textGen{r: r}
	g.ident(true)
	return string(g.buf)
}

// planner collects the files of an app.
type planner struct {
	files map[string]AppFile
}

// add plans f, renumbering its path when taken and filling in the default
// mode and a fixed file's size.
func (p *planner) add(f AppFile) {
	if _, dup := p.files[f.Path]; dup {
		// Generated names can collide: number the later one.
		ext := path.Ext(f.Path)
		base := strings.TrimSuffix(f.Path, ext)
		for i := 2; ; i++ {
			cand := base + strconv.Itoa(i) + ext
			if _, dup := p.files[cand]; !dup {
				f.Path = cand
				break
			}
		}
	}
	if f.Mode == 0 {
		f.Mode = 0o644
	}
	if f.kind == kindFixed {
		f.Size = len(f.fixed)
	}
	p.files[f.Path] = f
}

// fixed plans a file with the given content.
func (p *planner) fixed(name string, mode fs.FileMode, content string) {
	p.add(AppFile{Path: name, Mode: mode, kind: kindFixed, fixed: []byte(content)})
}

// php plans a generated PHP file of namespace ns.
func (p *planner) php(name, ns string, size int) {
	p.add(AppFile{Path: name, ns: ns, Size: size, kind: kindPHP})
}

// lockPackage is one package of composer.lock and vendor/composer/installed.json.
type lockPackage struct {
	Name        string            `json:"name"`
	Version     string            `json:"version"`
	Source      lockSource        `json:"source"`
	Dist        lockSource        `json:"dist"`
	Require     map[string]string `json:"require"`
	Type        string            `json:"type"`
	Autoload    map[string]any    `json:"autoload"`
	License     []string          `json:"license"`
	Description string            `json:"description"`
}

// lockSource is the source or dist of a lockPackage.
type lockSource struct {
	Type      string `json:"type"`
	URL       string `json:"url"`
	Reference string `json:"reference"`
}

// vendorPackage plans one copy of a package and returns its lock entry.
func (p *planner) vendorPackage(pk pkg, copyN int) lockPackage {
	vendor, name, _ := strings.Cut(pk.name, "/")
	if copyN > 1 {
		vendor = fmt.Sprintf("%s-%d", vendor, copyN)
	}
	full := vendor + "/" + name
	r := newRNG("package", full)
	ns := pascal(vendor) + `\` + pascal(name)
	root := "vendor/" + full
	// Directories: src, then nested ones.
	dirs := []string{"src"}
	for range max(1, pk.files/10) {
		parent := dirs[r.intn(len(dirs))]
		if strings.Count(parent, "/") >= 3 {
			parent = "src"
		}
		dirs = append(dirs, parent+"/"+identString(r))
	}
	for range pk.files {
		d := dirs[r.intn(len(dirs))]
		sub := strings.ReplaceAll(strings.TrimPrefix(strings.TrimPrefix(d, "src"), "/"), "/", `\`)
		fns := ns
		if sub != "" {
			fns += `\` + sub
		}
		p.php(root+"/"+d+"/"+identString(r)+".php", fns, fileSize(r))
	}
	ref := make([]byte, 20)
	r.fill(ref)
	version := fmt.Sprintf("v%d.%d.%d", r.between(1, 9), r.between(0, 20), r.between(0, 40))
	if v, ok := knownVersions[pk.name]; ok && copyN == 1 {
		version = v
	}
	cj, _ := json.MarshalIndent(map[string]any{
		"name":        full,
		"description": "The " + name + " package (brefimg benchmark fixture)",
		"type":        "library",
		"license":     []string{"MIT"},
		"require":     map[string]string{"php": ">=7.2.5"},
		"autoload":    map[string]any{"psr-4": map[string]string{ns + `\`: "src/"}},
	}, "", "    ")
	p.fixed(root+"/composer.json", 0o644, string(cj)+"\n")
	p.add(AppFile{Path: root + "/LICENSE", Size: 1075, kind: kindProse})
	p.add(AppFile{Path: root + "/README.md", Size: r.between(800, 9000), kind: kindProse})
	if r.intn(2) == 0 {
		p.add(AppFile{Path: root + "/CHANGELOG.md", Size: r.between(2000, 40000), kind: kindProse})
	}
	url := "https://github.com/" + full + ".git"
	return lockPackage{
		Name:        full,
		Version:     version,
		Source:      lockSource{Type: "git", URL: url, Reference: hex.EncodeToString(ref)},
		Dist:        lockSource{Type: "zip", URL: "https://api.github.com/repos/" + full + "/zipball/" + hex.EncodeToString(ref), Reference: hex.EncodeToString(ref)},
		Require:     map[string]string{"php": ">=7.2.5"},
		Type:        "library",
		Autoload:    map[string]any{"psr-4": map[string]string{ns + `\`: "src/"}},
		License:     []string{"MIT"},
		Description: "The " + name + " package (brefimg benchmark fixture)",
	}
}

// appModule plans the app's own code: app/ at module 1, app/Modules/M<n>
// for the others.
func (p *planner) appModule(n int) {
	root, ns := "app", `App`
	if n > 1 {
		root, ns = fmt.Sprintf("app/Modules/M%d", n), fmt.Sprintf(`App\Modules\M%d`, n)
	}
	r := newRNG("module", strconv.Itoa(n))
	groups := []struct {
		dir   string
		count int
	}{
		{"Http/Controllers", 25}, {"Http/Middleware", 9}, {"Http/Requests", 10}, {"Models", 15},
		{"Jobs", 8}, {"Services", 10}, {"Events", 5}, {"Listeners", 5}, {"Policies", 4},
	}
	if n == 1 {
		p.php(ChangedFile, `App\Http\Controllers`, changedSize)
		for _, f := range []string{"Console/Kernel", "Exceptions/Handler", "Http/Kernel",
			"Providers/AppServiceProvider", "Providers/AuthServiceProvider", "Providers/BroadcastServiceProvider",
			"Providers/EventServiceProvider", "Providers/RouteServiceProvider"} {
			p.php("app/"+f+".php", ns+`\`+strings.ReplaceAll(path.Dir(f), "/", `\`), r.between(800, 4000))
		}
	}
	for _, g := range groups {
		for range g.count {
			p.php(root+"/"+g.dir+"/"+identString(r)+".php", ns+`\`+strings.ReplaceAll(g.dir, "/", `\`), r.between(600, 9000))
		}
	}
}

// changedSize is the size of [ChangedFile], in every variant.
const changedSize = 1400

// NewApp plans the app at scale (1 to [MaxScale]).
func NewApp(scale int) (*App, error) {
	if scale < 1 || scale > MaxScale {
		return nil, fmt.Errorf("app scale %d: want 1 to %d", scale, MaxScale)
	}
	p := &planner{files: map[string]AppFile{}}
	var locked []lockPackage
	for c := 1; c <= scale; c++ {
		for _, pk := range packages {
			locked = append(locked, p.vendorPackage(pk, c))
		}
		p.appModule(c)
	}
	p.skeleton()
	if err := p.composerFiles(locked); err != nil {
		return nil, err
	}
	paths := p.sortedPaths()
	p.autoload(paths)

	a := &App{Scale: scale}
	for _, name := range append(paths, "vendor/composer/autoload_classmap.php", "vendor/composer/autoload_real.php", "vendor/autoload.php") {
		f := p.files[name]
		a.Files = append(a.Files, f)
		a.Bytes += int64(f.Size)
	}
	slices.SortFunc(a.Files, func(x, y AppFile) int { return strings.Compare(x.Path, y.Path) })
	return a, nil
}

// skeleton plans the files of the Laravel skeleton outside app/ and
// vendor/: config, routes, database, resources, bootstrap, public, the
// artisan script and composer.json.
func (p *planner) skeleton() {
	r := newRNG("skeleton")
	for _, c := range []string{"app", "auth", "broadcasting", "bref", "cache", "cors", "database", "filesystems",
		"hashing", "logging", "mail", "queue", "sanctum", "services", "session", "view"} {
		p.php("config/"+c+".php", `Config`, r.between(1000, 7000))
	}
	for _, f := range []string{"api", "channels", "console", "web"} {
		p.php("routes/"+f+".php", `Routes`, r.between(400, 3000))
	}
	for i := range 12 {
		p.php(fmt.Sprintf("database/migrations/2021_%02d_01_000000_create_%s_table.php", i+1, strings.ToLower(identString(r))), `Database\Migrations`, r.between(600, 3000))
	}
	p.php("database/seeders/DatabaseSeeder.php", `Database\Seeders`, 900)
	p.php("database/factories/UserFactory.php", `Database\Factories`, 1100)
	for _, f := range []string{"auth", "pagination", "passwords", "validation"} {
		p.php("resources/lang/en/"+f+".php", `Lang`, r.between(500, 9000))
	}
	for range 10 {
		p.add(AppFile{Path: "resources/views/" + strings.ToLower(identString(r)) + ".blade.php", Size: r.between(500, 12000), kind: kindProse})
	}
	p.add(AppFile{Path: "resources/views/welcome.blade.php", Size: 17000, kind: kindProse})
	p.php("bootstrap/app.php", `Bootstrap`, 1600)
	p.fixed("bootstrap/cache/.gitignore", 0o644, "*\n!.gitignore\n")
	p.fixed("public/index.php", 0o644, indexPHP)
	p.fixed("public/robots.txt", 0o644, "User-agent: *\nDisallow:\n")
	p.fixed("public/.htaccess", 0o644, "<IfModule mod_rewrite.c>\n    RewriteEngine On\n    RewriteRule ^ index.php [L]\n</IfModule>\n")
	p.fixed("artisan", 0o755, artisan)
	p.fixed("composer.json", 0o644, composerJSON)
}

// composerFiles plans composer.lock and vendor/composer/installed.json,
// which list the locked packages sorted by name.
func (p *planner) composerFiles(locked []lockPackage) error {
	slices.SortFunc(locked, func(a, b lockPackage) int { return strings.Compare(a.Name, b.Name) })
	lock, err := json.MarshalIndent(map[string]any{
		"_readme":            []string{"This file locks the dependencies of your project to a known state"},
		"content-hash":       "b3f1c6f1e0c9e5d6a7b8c9d0e1f2a3b4",
		"packages":           locked,
		"packages-dev":       []any{},
		"aliases":            []any{},
		"minimum-stability":  "stable",
		"stability-flags":    map[string]any{},
		"prefer-stable":      true,
		"prefer-lowest":      false,
		"platform":           map[string]string{"php": "^8.0", "ext-gmp": "*", "ext-redis": "*"},
		"platform-dev":       []any{},
		"plugin-api-version": "2.3.0",
	}, "", "    ")
	if err != nil {
		return err
	}
	p.fixed("composer.lock", 0o644, string(lock)+"\n")
	installed, err := json.MarshalIndent(map[string]any{"packages": locked, "dev": false}, "", "    ")
	if err != nil {
		return err
	}
	p.fixed("vendor/composer/installed.json", 0o644, string(installed)+"\n")
	return nil
}

// sortedPaths returns the paths of the files planned so far, sorted.
func (p *planner) sortedPaths() []string {
	paths := make([]string, 0, len(p.files))
	for name := range p.files {
		paths = append(paths, name)
	}
	slices.Sort(paths)
	return paths
}

// autoload plans Composer's autoloader: the class map lists every vendor
// PHP file of paths (sorted), as composer dump-autoload -o writes it.
func (p *planner) autoload(paths []string) {
	var cm strings.Builder
	cm.WriteString("<?php\n\n// autoload_classmap.php @generated by Composer\n\n$vendorDir = dirname(__DIR__);\n$baseDir = dirname($vendorDir);\n\nreturn array(\n")
	for _, name := range paths {
		f := p.files[name]
		if f.kind == kindPHP && strings.HasPrefix(name, "vendor/") {
			class := f.ns + `\` + strings.TrimSuffix(path.Base(name), ".php")
			fmt.Fprintf(&cm, "    '%s' => $vendorDir . '/%s',\n", strings.ReplaceAll(class, `\`, `\\`), strings.TrimPrefix(name, "vendor/"))
		}
	}
	cm.WriteString(");\n")
	p.fixed("vendor/composer/autoload_classmap.php", 0o644, cm.String())
	p.fixed("vendor/composer/autoload_real.php", 0o644, "<?php\n\n// autoload_real.php @generated by Composer\n\nclass ComposerAutoloaderInitBench\n{\n    public static function getLoader()\n    {\n        return require __DIR__ . '/autoload_classmap.php';\n    }\n}\n")
	p.fixed("vendor/autoload.php", 0o644, "<?php\n\n// autoload.php @generated by Composer\n\nrequire_once __DIR__ . '/composer/autoload_real.php';\n\nreturn ComposerAutoloaderInitBench::getLoader();\n")
}

// Content returns the content of f, the same on every call.
func (f AppFile) Content() []byte {
	return f.variant(0)
}

// variant returns variant n of f's content (0 is the original).
func (f AppFile) variant(n int) []byte {
	switch f.kind {
	case kindFixed:
		return slices.Clone(f.fixed)
	case kindProse:
		return prose(newRNG("file", f.Path, strconv.Itoa(n)), f.Size)
	}
	return php(newRNG("file", f.Path, strconv.Itoa(n)), f.ns, f.Size)
}

// Write writes the app into dir, which must not exist or be empty. Files
// are written in parallel; their content does not depend on the order.
func (a *App) Write(dir string) error {
	entries, err := os.ReadDir(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
	case err != nil:
		return fmt.Errorf("writing the app: %w", err)
	case len(entries) > 0:
		return fmt.Errorf("writing the app into %q: the directory is not empty", dir)
	}
	dirs := map[string]bool{}
	for _, f := range a.Files {
		dirs[path.Dir(f.Path)] = true
	}
	for d := range dirs {
		if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(d)), 0o755); err != nil {
			return fmt.Errorf("writing the app: %w", err)
		}
	}
	work := make(chan AppFile)
	errs := make(chan error, 1)
	var wg sync.WaitGroup
	for range runtime.GOMAXPROCS(0) {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for f := range work {
				if err := writeFile(filepath.Join(dir, filepath.FromSlash(f.Path)), f.Content(), f.Mode); err != nil {
					select {
					case errs <- err:
					default:
					}
				}
			}
		}()
	}
	for _, f := range a.Files {
		work <- f
	}
	close(work)
	wg.Wait()
	select {
	case err := <-errs:
		return fmt.Errorf("writing the app: %w", err)
	default:
		return nil
	}
}

// writeFile writes content with exactly mode, whatever the umask.
func writeFile(name string, content []byte, mode fs.FileMode) error {
	if err := os.WriteFile(name, content, mode); err != nil {
		return err
	}
	return os.Chmod(name, mode)
}

// WriteApp plans the app at scale and writes it into dir (see [App.Write]).
func WriteApp(dir string, scale int) (*App, error) {
	a, err := NewApp(scale)
	if err != nil {
		return nil, err
	}
	return a, a.Write(dir)
}

// ChangeFile rewrites [ChangedFile] in the app written into dir with
// variant n of its content (0 restores the original): same size, other
// bytes, a new modification time. It returns the file's path.
func ChangeFile(dir string, n int) (string, error) {
	if n < 0 {
		return "", fmt.Errorf("change variant %d: want 0 or more", n)
	}
	f := AppFile{Path: ChangedFile, Mode: 0o644, Size: changedSize, ns: `App\Http\Controllers`, kind: kindPHP}
	name := filepath.Join(dir, filepath.FromSlash(ChangedFile))
	if _, err := os.Stat(name); err != nil {
		return "", fmt.Errorf("changing a file of the app in %q: %w", dir, err)
	}
	if err := writeFile(name, f.variant(n), f.Mode); err != nil {
		return "", fmt.Errorf("changing a file of the app: %w", err)
	}
	return name, nil
}

const indexPHP = `<?php

use Illuminate\Contracts\Http\Kernel;
use Illuminate\Http\Request;

define('LARAVEL_START', microtime(true));

require __DIR__.'/../vendor/autoload.php';

$app = require_once __DIR__.'/../bootstrap/app.php';

$kernel = $app->make(Kernel::class);

$response = $kernel->handle(
    $request = Request::capture()
)->send();

$kernel->terminate($request, $response);
`

const artisan = `#!/usr/bin/env php
<?php

define('LARAVEL_START', microtime(true));

require __DIR__.'/vendor/autoload.php';

$app = require_once __DIR__.'/bootstrap/app.php';

$kernel = $app->make(Illuminate\Contracts\Console\Kernel::class);

$status = $kernel->handle(
    $input = new Symfony\Component\Console\Input\ArgvInput,
    new Symfony\Component\Console\Output\ConsoleOutput
);

$kernel->terminate($input, $status);

exit($status);
`

const composerJSON = `{
    "name": "brefimg/bench-laravel",
    "type": "project",
    "description": "A Laravel-like app generated for brefimg's benchmark.",
    "license": "MIT",
    "require": {
        "php": "^8.0",
        "ext-gmp": "*",
        "ext-redis": "*",
        "aws/aws-sdk-php": "^3.200",
        "bref/bref": "^1.7",
        "bref/laravel-bridge": "^1.2",
        "guzzlehttp/guzzle": "^7.0.1",
        "laravel/framework": "^8.75",
        "laravel/sanctum": "^2.11",
        "laravel/tinker": "^2.5"
    },
    "autoload": {
        "psr-4": {
            "App\\": "app/",
            "Database\\Factories\\": "database/factories/",
            "Database\\Seeders\\": "database/seeders/"
        }
    },
    "config": {
        "optimize-autoloader": true,
        "sort-packages": true
    },
    "minimum-stability": "dev",
    "prefer-stable": true
}
`
