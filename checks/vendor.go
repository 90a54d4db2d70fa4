package checks

import (
	"fmt"
	"path"
	"strings"

	"github.com/brefimg/brefimg/composer"
	"github.com/brefimg/brefimg/findings"
)

// Autoload is the file every Bref runtime loads: v1's bootstrap and v2/v3's
// bootstrap.php alike.
const Autoload = "vendor/autoload.php"

// The environment variables that change where Bref's bootstrap finds
// Composer's autoloader. BREF_AUTOLOAD_PATH is read by every line (Bref 1's
// runtime/layers/*/bootstrap in brefphp/bref 1.x; layers/bootstrap.php of
// brefphp/aws-lambda-layers 2.x and src/bootstrap.php on main);
// BREF_DOWNLOAD_VENDOR by Bref 1's only, which then downloads vendor/ from
// S3 into /tmp at the first cold start.
const (
	EnvAutoloadPath   = "BREF_AUTOLOAD_PATH"
	EnvDownloadVendor = "BREF_DOWNLOAD_VENDOR"
)

// Vendor checks that the app layer holds the Composer autoloader Bref's
// bootstrap loads: vendor/autoload.php, or the file the image's environment
// env names in BREF_AUTOLOAD_PATH (relative to /var/task, or absolute).
// An autoloader outside /var/task is not the app's to check, and on Bref 1
// (line) BREF_DOWNLOAD_VENDOR downloads vendor/ at run time, so neither is
// checked. Findings: findings.IDVendorIgnored when the app directory has
// the file but .dockerignore excludes it (at the pattern's line of
// .dockerignore), findings.IDVendorMissing otherwise.
func Vendor(app App, line int, env []string) []findings.Finding {
	if v, ok := lookupEnv(env, EnvDownloadVendor); ok && v != "" && line == 1 {
		return nil
	}
	rel, set := autoloadPath(env)
	if rel == "" || app.HasFile(rel) {
		return nil
	}
	if app.onDisk(rel) {
		pat, ln := app.ignoredBy(rel)
		what := "a .dockerignore pattern"
		if pat != "" {
			what = fmt.Sprintf("the .dockerignore pattern %q", pat)
		}
		dir, _, _ := strings.Cut(rel, "/")
		return []findings.Finding{{ID: findings.IDVendorIgnored, Severity: findings.Error, Path: ".dockerignore", Line: ln, Message: fmt.Sprintf(
			"%s excludes %s from the app, and every Bref runtime loads it: remove the pattern (or add !%s), and run composer install --no-dev before brefimg", what, rel, dir)}}
	}
	why := "every Bref runtime loads it"
	if set {
		why = fmt.Sprintf("Bref's bootstrap loads it (%s=%s)", EnvAutoloadPath, path.Join(AppDest, rel))
	}
	fix := "run composer install --no-dev --optimize-autoloader before brefimg"
	if v, ok := lookupEnv(env, EnvDownloadVendor); ok && v != "" {
		fix += fmt.Sprintf(" (%s is read by Bref 1 only, not by the Bref %d runtime)", EnvDownloadVendor, line)
	}
	return []findings.Finding{{ID: findings.IDVendorMissing, Severity: findings.Error, Path: rel, Message: fmt.Sprintf(
		"%s is missing, and %s: %s", rel, why, fix)}}
}

// autoloadPath returns the autoloader the bootstrap loads, relative to the
// app directory, and whether BREF_AUTOLOAD_PATH chose it; "" when it lies
// outside /var/task. A relative BREF_AUTOLOAD_PATH is relative to
// /var/task, the runtime's working directory.
func autoloadPath(env []string) (string, bool) {
	v, ok := lookupEnv(env, EnvAutoloadPath)
	if !ok || v == "" {
		return Autoload, false
	}
	p := v
	if !path.IsAbs(p) {
		p = path.Join(AppDest, p)
	}
	p = path.Clean(p)
	rel, ok := strings.CutPrefix(p, AppDest+"/")
	if !ok {
		return "", true
	}
	return rel, true
}

// DevPackages warns (findings.IDDevPackages) when the app layer's vendor/
// holds require-dev packages. What Composer recorded decides:
// installed.json's "dev" flag and "dev-package-names" (Composer 2), at the
// line of its "dev" key; the packages of composer.lock's packages-dev whose
// directory vendor/<name>/ is in the layer only when installed.json does
// not record them (Composer 1, or no installed.json). A package whose
// directory .dockerignore leaves out is not in the image, and not counted.
func DevPackages(p *composer.Project, app App) []findings.Finding {
	if p == nil {
		return nil
	}
	if recorded, ok := p.InstalledDevPackages(); ok {
		if !p.InstalledDev {
			return nil
		}
		present := inLayer(recorded, app)
		if len(present) == 0 {
			return nil
		}
		f := devFinding(present, fmt.Sprintf("as %s records (\"dev\": true)", composer.InstalledFile))
		f.Path, f.Line = composer.InstalledFile, p.InstalledDevLine
		return []findings.Finding{f}
	}
	present := inLayer(p.DevPackages, app)
	if len(present) == 0 {
		return nil
	}
	return []findings.Finding{devFinding(present, "")}
}

// inLayer returns the names of the packages whose directory is in the app
// layer.
func inLayer(pkgs []composer.Package, app App) []string {
	var present []string
	for _, pkg := range pkgs {
		if app.HasDir(pkg.Dir()) {
			present = append(present, pkg.Name)
		}
	}
	return present
}

// devFinding says vendor/ holds the require-dev packages present, and why
// brefimg knows (how, when not "").
func devFinding(present []string, how string) findings.Finding {
	list := present
	if len(list) > 3 {
		list = append(list[:3:3], fmt.Sprintf("%d more", len(present)-3))
	}
	noun, they := "packages", "they"
	if len(present) == 1 {
		noun, they = "package", "it"
	}
	if how != "" {
		how = ", " + how
	}
	return findings.Finding{ID: findings.IDDevPackages, Severity: findings.Warning, Path: "vendor", Message: fmt.Sprintf(
		"vendor/ holds %d require-dev %s (%s)%s: %s would be baked into the image; run composer install --no-dev --optimize-autoloader before brefimg",
		len(present), noun, strings.Join(list, ", "), how, they)}
}
