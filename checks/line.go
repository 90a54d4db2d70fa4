package checks

import (
	"errors"
	"fmt"
	"slices"
	"strconv"

	"github.com/brefimg/brefimg/composer"
	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/plan"
)

// LineDefault is the Source of a [LineChoice] that no Composer file made:
// extensions.DefaultLine.
const LineDefault = plan.SourceDefault

// LineChoice is the Bref line an app is built on, and where it came from.
type LineChoice struct {
	// Line is the Bref major line: 1, 2 or 3.
	Line int
	// Source says where Line came from, for --dry-run and the plan:
	// "composer.lock bref/bref 1.7.3", "vendor/composer/installed.json
	// bref/bref 2.0.2", "composer.json require bref/bref ^1.7", or
	// LineDefault.
	Source string
}

// bref0 says what to do about a Bref 0.x app. Bref's container images
// came with Bref 1: its documentation first describes deploying one in
// 1.2.9 (brefphp/bref docs/web-apps/docker.md, added 2021-06-25), and the
// 0.x images (bref/php-74-fpm-dev, …) were for local development only.
const bref0 = "which had no container images (they came with Bref 1): upgrade the app to Bref 1 or newer (composer require bref/bref:^1, then bref.sh/docs/upgrading for 2 and 3)"

// maxMinor bounds the minor versions tried when asking whether a
// constraint allows some release of a major line (Bref's lines have had
// fewer than ten minor versions each).
const maxMinor = 99

// ChooseLine picks the Bref line of an app when none is given: the major
// version of the bref/bref library that composer.lock locks (or, without a
// lock, that vendor/composer/installed.json records), else the newest line
// composer.json's bref/bref constraint allows, else extensions.DefaultLine.
// The library and the runtime must have the same major version (see
// [BrefLibrary]), so the app says which line it needs. A version or
// constraint of Bref 0.x, which had no container images, or one that
// allows no line brefimg knows, is an error naming the file and what to do;
// so is a constraint that does not parse. A branch without a branch alias
// ("dev-main") says no line, and the next source is asked.
func ChooseLine(p *composer.Project) (LineChoice, error) {
	if p == nil {
		return LineChoice{Line: extensions.DefaultLine, Source: LineDefault}, nil
	}
	if c, ok, err := lineFromPackage(p); ok || err != nil {
		return c, err
	}
	if c, ok, err := lineFromRequire(p); ok || err != nil {
		return c, err
	}
	return LineChoice{Line: extensions.DefaultLine, Source: LineDefault}, nil
}

// brefInstalled returns the bref/bref package composer.lock (or
// installed.json) holds, require-dev included: bref-missing reports a
// require-dev one, the line is the same.
func brefInstalled(p *composer.Project) (composer.Package, bool) {
	if pkg, ok := p.Package(composer.BrefPackage); ok {
		return pkg, true
	}
	return p.DevPackage(composer.BrefPackage)
}

// lineFromPackage is the line of the installed bref/bref library.
func lineFromPackage(p *composer.Project) (LineChoice, bool, error) {
	pkg, ok := brefInstalled(p)
	if !ok {
		return LineChoice{}, false, nil
	}
	major, ok := pkg.Major()
	if !ok {
		return LineChoice{}, false, nil
	}
	where := pkg.File
	if line := versionLine(pkg); line > 0 {
		where += ":" + strconv.Itoa(line)
	}
	switch {
	case major == 0:
		return LineChoice{}, false, fmt.Errorf("%s: bref/bref %s is Bref 0.x, %s; or choose the Bref line (1, 2 or 3)", where, pkg.Version, bref0)
	case extensions.CheckLine(major) != nil:
		return LineChoice{}, false, fmt.Errorf("%s: bref/bref %s is Bref %d, and brefimg knows the Bref lines 1, 2 and 3 only: choose one of them, or use a newer brefimg",
			where, pkg.Version, major)
	}
	return LineChoice{Line: major, Source: fmt.Sprintf("%s bref/bref %s", pkg.File, pkg.Version)}, true, nil
}

// versionLine is the line that names a package's version, or its entry.
func versionLine(pkg composer.Package) int {
	if pkg.VersionLine > 0 {
		return pkg.VersionLine
	}
	return pkg.Line
}

// lineFromRequire is the newest line composer.json's bref/bref constraint
// allows.
func lineFromRequire(p *composer.Project) (LineChoice, bool, error) {
	r, ok := p.Requirement(composer.BrefPackage)
	if !ok {
		return LineChoice{}, false, nil
	}
	section := "require"
	if !slices.Contains(p.Require, r) {
		section = "require-dev"
	}
	what := fmt.Sprintf("%s:%d: %s bref/bref %q", r.File, r.Line, section, r.Constraint)
	c, err := composer.ParseConstraint(r.Constraint)
	if err != nil {
		return LineChoice{}, false, fmt.Errorf("%s is not a Composer constraint (%v): fix it (e.g. \"^%d\"), or choose the Bref line (1, 2 or 3)", what, err, extensions.DefaultLine)
	}
	lines := allowedLines(c)
	if len(lines) > 0 {
		return LineChoice{Line: lines[len(lines)-1], Source: fmt.Sprintf("%s %s bref/bref %s", r.File, section, r.Constraint)}, true, nil
	}
	if allowsMajor(c, 0) {
		return LineChoice{}, false, fmt.Errorf("%s allows Bref 0.x only, %s; or choose the Bref line (1, 2 or 3)", what, bref0)
	}
	return LineChoice{}, false, errors.New(what + " allows no Bref line brefimg knows (1, 2 or 3): require one of them (e.g. \"^" + strconv.Itoa(extensions.DefaultLine) + "\"), or choose the Bref line")
}

// allowedLines lists the known Bref lines some release of which the
// constraint allows, oldest first.
func allowedLines(c composer.Constraint) []int {
	var out []int
	for _, l := range extensions.Lines() {
		if allowsMajor(c, l) {
			out = append(out, l)
		}
	}
	return out
}

// allowsMajor reports whether some stable release of a major version
// satisfies c.
func allowsMajor(c composer.Constraint, major int) bool {
	for minor := 0; minor <= maxMinor; minor++ {
		if c.AllowsSeries(fmt.Sprintf("%d.%d", major, minor)) {
			return true
		}
	}
	return false
}
