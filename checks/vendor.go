package checks

import (
	"fmt"
	"strings"

	"github.com/brefimg/brefimg/composer"
	"github.com/brefimg/brefimg/findings"
)

// Autoload is the file every Bref runtime loads: v1's bootstrap and v2/v3's
// bootstrap.php alike.
const Autoload = "vendor/autoload.php"

// Vendor checks that the app layer holds vendor/autoload.php. Findings:
// findings.IDVendorIgnored when the app directory has it but .dockerignore excludes
// it (at the pattern's line of .dockerignore), findings.IDVendorMissing otherwise.
func Vendor(app App) []findings.Finding {
	if app.HasFile(Autoload) {
		return nil
	}
	if app.onDisk(Autoload) {
		pat, line := app.ignoredBy(Autoload)
		what := "a .dockerignore pattern"
		if pat != "" {
			what = fmt.Sprintf("the .dockerignore pattern %q", pat)
		}
		return []findings.Finding{{ID: findings.IDVendorIgnored, Severity: findings.Error, Path: ".dockerignore", Line: line, Message: fmt.Sprintf(
			"%s excludes %s from the app, and every Bref runtime loads it: remove the pattern (or add !vendor), and run composer install --no-dev before brefimg", what, Autoload)}}
	}
	return []findings.Finding{{ID: findings.IDVendorMissing, Severity: findings.Error, Path: Autoload, Message: fmt.Sprintf(
		"%s is missing, and every Bref runtime loads it: run composer install --no-dev --optimize-autoloader before brefimg", Autoload)}}
}

// DevPackages warns (findings.IDDevPackages) when the app layer's vendor/ holds
// require-dev packages: those of composer.lock's packages-dev (or, without
// a lock, installed.json's dev-package-names) whose directory
// vendor/<name>/ is in the layer. They would be baked into the image.
func DevPackages(p *composer.Project, app App) []findings.Finding {
	if p == nil {
		return nil
	}
	var present []string
	for _, pkg := range p.DevPackages {
		if app.HasDir("vendor/" + pkg.Name) {
			present = append(present, pkg.Name)
		}
	}
	if len(present) == 0 {
		return nil
	}
	list := present
	if len(list) > 3 {
		list = append(list[:3:3], fmt.Sprintf("%d more", len(present)-3))
	}
	noun, they := "packages", "they"
	if len(present) == 1 {
		noun, they = "package", "it"
	}
	return []findings.Finding{{ID: findings.IDDevPackages, Severity: findings.Warning, Path: "vendor", Message: fmt.Sprintf(
		"vendor/ holds %d require-dev %s (%s): %s would be baked into the image; run composer install --no-dev --optimize-autoloader before brefimg",
		len(present), noun, strings.Join(list, ", "), they)}}
}
