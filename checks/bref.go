package checks

import (
	"fmt"

	"github.com/brefimg/brefimg/composer"
	"github.com/brefimg/brefimg/findings"
)

// BrefLibrary checks the bref/bref library against the Bref line of the base
// image: every Bref runtime loads it from vendor/, and the v2 and v3
// runtimes need the same major version ("Bref is not installed…",
// bref#1302). The version comes from composer.lock, or else from
// vendor/composer/installed.json; when neither file exists the check is
// left to Vendor. Findings: findings.IDBrefMissing when it is not installed or only
// in require-dev, findings.IDBrefVersion when its major differs from line. A branch
// version without a branch alias ("dev-main") is not checked.
func BrefLibrary(p *composer.Project, line int) []findings.Finding {
	if p == nil || !p.HasLock && !p.HasInstalled {
		return nil
	}
	from := composer.LockFile
	if !p.HasLock {
		from = composer.InstalledFile
	}
	pkg, ok := p.Package(composer.BrefPackage)
	if !ok {
		f := findings.Finding{ID: findings.IDBrefMissing, Severity: findings.Error}
		if p.HasJSON {
			f.Path = composer.JSONFile
		}
		if dev, inDev := p.DevPackage(composer.BrefPackage); inDev {
			f.Path, f.Line = dev.File, dev.Line
			for _, r := range p.RequireDev {
				if r.Name == composer.BrefPackage {
					f.Path, f.Line = r.File, r.Line
				}
			}
			f.Message = fmt.Sprintf("bref/bref is a require-dev package, so composer install --no-dev leaves it out, but the Bref %d runtime loads it from vendor/: move it to require (composer require bref/bref:^%d)", line, line)
			return []findings.Finding{f}
		}
		f.Message = fmt.Sprintf("bref/bref is not installed (%s does not list it), but the Bref %d runtime loads it from vendor/ and fails without it: run composer require bref/bref:^%d", from, line, line)
		return []findings.Finding{f}
	}
	major, ok := pkg.Major()
	if !ok || major == line {
		return nil
	}
	f := findings.Finding{ID: findings.IDBrefVersion, Severity: findings.Error, Path: pkg.File, Line: versionLine(pkg)}
	if major == 0 {
		// No Bref 0 image exists to suggest (see bref0).
		f.Message = fmt.Sprintf("%s has bref/bref %s but the image is built on Bref %d: Bref 0.x had no container images (they came with Bref 1), and the runtime and the library must have the same major version; upgrade the app to Bref %d with composer require bref/bref:^%d (bref.sh/docs/upgrading)",
			pkg.File, pkg.Version, line, line, line)
		return []findings.Finding{f}
	}
	f.Message = fmt.Sprintf("%s has bref/bref %s but the image is built on Bref %d: the runtime and the library must have the same major version; use Bref %d, or upgrade the library with composer require bref/bref:^%d",
		pkg.File, pkg.Version, line, major, line)
	return []findings.Finding{f}
}
