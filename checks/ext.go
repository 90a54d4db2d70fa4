package checks

import (
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/brefimg/brefimg/composer"
	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/findings"
)

// Platform is what the image holds on top of its base, for the extension
// and ini checks.
type Platform struct {
	// Line is the Bref line (1, 2 or 3).
	Line int
	// PHP is the PHP version, "8.2".
	PHP string
	// Runtime is the Bref runtime; "" means fpm.
	Runtime extensions.Runtime
	// Arch is "amd64" or "arm64"; "" means amd64.
	Arch string
	// Exts names the extension images added ("gmp"; a "@tag" is ignored).
	Exts []string
	// Files are the absolute image paths of the files the added layers hold:
	// the extension images' and the app's under /var/task.
	Files []string
	// Ini holds the content of the ini files the added layers hold, by
	// absolute image path ("/opt/bref/etc/php/conf.d/ext-gmp.ini",
	// "/var/task/php/conf.d/app.ini").
	Ini map[string]string
	// Env is the image environment ("KEY=VALUE"); only PHP_INI_SCAN_DIR is
	// read. Without it Bref's ini directories are scanned.
	Env []string
	// Sources says, by absolute path, which Dockerfile step wrote a file of
	// Files; findings about it then name that step.
	Sources map[string]Source
}

// Source is the Dockerfile step that wrote a file.
type Source struct {
	// File and Line are the Dockerfile and the step's line.
	File string
	Line int
	// Image is the image the step copied the file from, "" if none;
	// ImageIni the ini file of that image that loads it, "" if none.
	Image    string
	ImageIni string
}

func (pl Platform) runtime() extensions.Runtime {
	if pl.Runtime == "" {
		return extensions.FPM
	}
	return pl.Runtime
}

func (pl Platform) arch() string {
	if pl.Arch == "" {
		return "amd64"
	}
	return pl.Arch
}

// images returns the extension image names of pl.Exts, without tags.
func (pl Platform) images() []string {
	var out []string
	for _, e := range pl.Exts {
		name, _, _ := strings.Cut(strings.TrimSpace(e), "@")
		if name != "" {
			out = append(out, strings.ToLower(name))
		}
	}
	return out
}

// hasSO reports whether the added layers hold an extension file ext.so.
func (pl Platform) hasSO(ext string) bool {
	return slices.ContainsFunc(pl.Files, func(f string) bool { return path.Base(f) == ext+".so" })
}

// extNeed is one required extension with every requirement naming it.
type extNeed struct {
	ext  string
	reqs []composer.Requirement
}

// needs groups the project's ext-* requirements by extension, in the order
// they first appear.
func needs(p *composer.Project) []extNeed {
	if p == nil {
		return nil
	}
	var out []extNeed
	for _, r := range p.Extensions() {
		ext := extensions.ExtName(r.Name)
		i := slices.IndexFunc(out, func(n extNeed) bool { return n.ext == ext })
		if i < 0 {
			out = append(out, extNeed{ext: ext})
			i = len(out) - 1
		}
		out[i].reqs = append(out[i].reqs, r)
	}
	return out
}

// requiredBy says who requires an extension: "composer.json", "brick/math",
// "composer.json, brick/math and 2 more packages".
func requiredBy(reqs []composer.Requirement) string {
	var who []string
	for _, r := range reqs {
		w := r.By
		if w == "" {
			w = r.File
		}
		if !slices.Contains(who, w) {
			who = append(who, w)
		}
	}
	if len(who) > 3 {
		return fmt.Sprintf("%s, %s and %d more packages", who[0], who[1], len(who)-2)
	}
	return joinWords(who)
}

// joinWords joins items as "a, b and c".
func joinWords(items []string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " and " + items[len(items)-1]
}

// AutoExtensions returns what --ext auto adds: the extension images, sorted
// and once each, that provide an ext-* the Composer files require (composer.json's
// require and composer.lock's packages) which the base image of (line, php)
// lacks, for every extension the catalog publishes for that line and PHP
// version. Extensions the base ships disabled, and those no image provides,
// are not included: MissingExtensions reports them. The runtime does not
// matter (no image provides pcntl); arm64 does, but ImageRef reports that.
// It returns an error for a line or PHP version that does not exist.
func AutoExtensions(p *composer.Project, line int, php string) ([]string, error) {
	if _, err := extensions.Provide(line, php, extensions.FPM, "core"); err != nil {
		return nil, err
	}
	var out []string
	for _, n := range needs(p) {
		prov, err := extensions.Provide(line, php, extensions.FPM, n.ext)
		if err != nil {
			return nil, err
		}
		if prov.Availability == extensions.Image && !slices.Contains(out, prov.Image) {
			out = append(out, prov.Image)
		}
	}
	slices.Sort(out)
	return out, nil
}

// MissingExtensions checks that every ext-* required by composer.json or by
// a package of composer.lock is provided: by the base image (loaded, or
// shipped disabled and enabled by an ini file), by an extension image of
// pl.Exts, or by an extension .so of the added layers that an ini file
// loads. Findings: findings.IDExtMissing, findings.IDExtDisabled, findings.IDExtCLIOnly,
// findings.IDExtUnavailable, one per extension, at the first requirement naming it.
// It returns nil when pl's line, PHP version or runtime does not exist.
func MissingExtensions(p *composer.Project, pl Platform) []findings.Finding {
	rt := pl.runtime()
	if _, err := extensions.Provide(pl.Line, pl.PHP, rt, "core"); err != nil {
		return nil
	}
	php, _ := extensions.NormalizePHP(pl.PHP)
	loaded := loadedNames(pl)
	var added []string
	for _, img := range pl.images() {
		added = append(added, extensions.ImageExtensions(img)...)
	}
	var out []findings.Finding
	for _, n := range needs(p) {
		if slices.Contains(added, n.ext) {
			continue
		}
		prov, err := extensions.Provide(pl.Line, php, rt, n.ext)
		if err != nil {
			return nil
		}
		first := n.reqs[0]
		f := findings.Finding{Path: first.File, Line: first.Line}
		who := requiredBy(n.reqs)
		name := "ext-" + n.ext
		switch prov.Availability {
		case extensions.BuiltIn:
			continue
		case extensions.CLIOnly:
			f.ID, f.Severity = findings.IDExtCLIOnly, findings.Warning
			f.Message = fmt.Sprintf("%s, required by %s, is loaded by the PHP CLI only, not by php-fpm: code that calls it fails in the fpm runtime; run that code in the console or function runtime", name, who)
		case extensions.Disabled:
			if loaded[n.ext] {
				continue
			}
			f.ID, f.Severity = findings.IDExtDisabled, findings.Error
			f.Message = fmt.Sprintf("%s, required by %s, is shipped disabled in the Bref %d base image: add a file php/conf.d/%s.ini to the app containing \"extension=%s\" (it lands in /var/task/php/conf.d)",
				name, who, pl.Line, n.ext, n.ext)
		case extensions.Image:
			if loaded[n.ext] && pl.hasSO(n.ext) {
				continue
			}
			f.ID, f.Severity = findings.IDExtMissing, findings.Error
			ref, err := extensions.ImageRef(extensions.Spec{Name: prov.Image}, pl.Line, php, pl.arch())
			if err != nil {
				f.Message = fmt.Sprintf("%s, required by %s, is not in the Bref %d base image, and %v", name, who, pl.Line, err)
			} else {
				f.Message = fmt.Sprintf("%s, required by %s, is not in the Bref %d base image: add the extension %s (image %s)",
					name, who, pl.Line, prov.Image, ref)
			}
		default:
			if loaded[n.ext] && pl.hasSO(n.ext) {
				continue
			}
			f.ID, f.Severity = findings.IDExtUnavailable, findings.Error
			if prov.Image != "" {
				_, err := extensions.ImageRef(extensions.Spec{Name: prov.Image}, pl.Line, php, "amd64")
				f.Message = fmt.Sprintf("%s, required by %s, is not in the Bref %d base image for PHP %s, and %v", name, who, pl.Line, php, err)
			} else {
				f.Message = fmt.Sprintf("%s, required by %s, is in no Bref %d image: drop the requirement, or build the extension into a layer of your own and load it with an ini file in php/conf.d",
					name, who, pl.Line)
			}
		}
		out = append(out, f)
	}
	return out
}
