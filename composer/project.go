package composer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
)

// The Composer files Load reads, relative to the app directory.
const (
	JSONFile      = "composer.json"
	LockFile      = "composer.lock"
	InstalledFile = "vendor/composer/installed.json"
)

// BrefPackage is the name of Bref's library, which every Bref runtime loads
// from vendor/.
const BrefPackage = "bref/bref"

// Project is what the Composer files of an app say about it.
type Project struct {
	// Dir is the app directory the files were read from.
	Dir string
	// HasJSON, HasLock and HasInstalled say which of JSONFile, LockFile and
	// InstalledFile exist.
	HasJSON, HasLock, HasInstalled bool
	// InstalledDev is installed.json's "dev" flag (Composer 2): vendor/ was
	// installed with the require-dev packages.
	InstalledDev bool
	// InstalledDevRecorded says that installed.json records how vendor/ was
	// installed (Composer 2's "dev" flag); Composer 1 did not.
	InstalledDevRecorded bool
	// InstalledDevLine is the 1-based line of installed.json's "dev" key;
	// 0 when absent.
	InstalledDevLine int
	// Installed lists every package installed.json holds, require-dev ones
	// included, whatever composer.lock says; nil without the file.
	Installed []Package
	// InstalledDevNames is installed.json's "dev-package-names": the
	// require-dev packages among Installed (Composer 2), lowercase.
	InstalledDevNames []string

	// Require lists the root requirements in file order: composer.json's
	// "require", or composer.lock's "platform" when there is no
	// composer.json.
	Require []Requirement
	// RequireDev lists composer.json's "require-dev" in file order.
	RequireDev []Requirement
	// PHP is the root "php" requirement (require.php), nil when absent.
	PHP *Requirement
	// PlatformPHP is composer.json's config.platform.php, the PHP version
	// dependencies are resolved for; nil when absent or false.
	PlatformPHP *Setting
	// Extra is composer.json's "extra" object as written (Symfony's runtime
	// reads its "runtime" options there); nil when absent.
	Extra json.RawMessage

	// Packages are the installed packages without the require-dev ones:
	// composer.lock's "packages", or else those of installed.json that are
	// not in its "dev-package-names".
	Packages []Package
	// DevPackages are the require-dev packages: composer.lock's
	// "packages-dev", or else installed.json's "dev-package-names".
	DevPackages []Package
}

// Requirement is one entry of a "require" object: a package, "php" or a
// platform package such as "ext-gmp", with where it is written.
type Requirement struct {
	// Name is the required name, lowercase: "php", "ext-gmp", "bref/bref".
	Name string
	// Constraint is the version constraint as written, e.g. "^8.2" or "*".
	Constraint string
	// By is the package whose "require" holds the entry, "" for the root
	// project.
	By string
	// File is the file holding the entry, relative to the app directory
	// (JSONFile, LockFile or InstalledFile).
	File string
	// Line is the 1-based line of the entry's key in File.
	Line int
}

// Extension returns the PHP extension a requirement names, lowercase and
// without the "ext-" prefix ("ext-pdo_pgsql" -> "pdo_pgsql"), or "" when it
// names no extension.
func (r Requirement) Extension() string {
	name, ok := strings.CutPrefix(r.Name, "ext-")
	if !ok || name == "" {
		return ""
	}
	return name
}

// Setting is a scalar setting of a Composer file, with where it is written.
type Setting struct {
	// Value is the setting's value, e.g. "8.1.0".
	Value string
	// File is the file holding it, relative to the app directory.
	File string
	// Line is the 1-based line of its key.
	Line int
}

// Package is a locked or installed package.
type Package struct {
	// Name is the package name, lowercase: "bref/bref".
	Name string
	// Version is the version as written: "2.1.5", "v2.1.5", "dev-main".
	Version string
	// Require lists the package's requirements in file order.
	Require []Requirement
	// BranchAliases is extra.branch-alias: branch -> alias
	// ("dev-main" -> "3.x-dev").
	BranchAliases map[string]string
	// File is the file the package was read from (LockFile or
	// InstalledFile).
	File string
	// Line is the 1-based line where the package's entry starts.
	Line int
	// VersionLine is the 1-based line of its "version" key; 0 when absent.
	VersionLine int
	// InstallPath is installed.json's "install-path", relative to
	// vendor/composer ("../bref/bref"); "" when absent or read from
	// composer.lock.
	InstallPath string
}

// Dir returns the package's directory relative to the app directory,
// slash-separated: its install path when installed.json records one, else
// Composer's default vendor/<name>.
func (p Package) Dir() string {
	if p.InstallPath != "" && !path.IsAbs(p.InstallPath) {
		if d := path.Join("vendor/composer", p.InstallPath); d != "." && !strings.HasPrefix(d, "../") {
			return d
		}
	}
	return "vendor/" + p.Name
}

// Major returns the package's major version: that of Version, or, for a
// branch such as "dev-main", that of its branch alias ("3.x-dev"). It
// returns false when neither says.
func (p Package) Major() (int, bool) {
	if m, ok := Major(p.Version); ok {
		return m, true
	}
	if alias, ok := p.BranchAliases[p.Version]; ok {
		return Major(alias)
	}
	return 0, false
}

// Package returns the installed (non-dev) package called name.
func (p *Project) Package(name string) (Package, bool) {
	name = strings.ToLower(name)
	for _, pkg := range p.Packages {
		if pkg.Name == name {
			return pkg, true
		}
	}
	return Package{}, false
}

// DevPackage returns the require-dev package called name.
func (p *Project) DevPackage(name string) (Package, bool) {
	name = strings.ToLower(name)
	for _, pkg := range p.DevPackages {
		if pkg.Name == name {
			return pkg, true
		}
	}
	return Package{}, false
}

// Requirement returns the root requirement of name: composer.json's
// "require" entry, or else its "require-dev" one.
func (p *Project) Requirement(name string) (Requirement, bool) {
	name = strings.ToLower(name)
	for _, reqs := range [][]Requirement{p.Require, p.RequireDev} {
		for _, r := range reqs {
			if r.Name == name {
				return r, true
			}
		}
	}
	return Requirement{}, false
}

// Uses reports whether the app runs the package name in production: it is
// installed and not a require-dev package, or, when neither composer.lock
// nor installed.json says what is installed, composer.json requires it.
func (p *Project) Uses(name string) bool {
	if _, ok := p.Package(name); ok {
		return true
	}
	if p.HasLock || p.HasInstalled {
		return false
	}
	name = strings.ToLower(name)
	for _, r := range p.Require {
		if r.Name == name {
			return true
		}
	}
	return false
}

// InstalledDevPackages returns the require-dev packages vendor/ holds, as
// Composer recorded them in installed.json ("dev-package-names" among its
// "packages"), and whether it recorded them at all (Composer 2 does,
// Composer 1 does not).
func (p *Project) InstalledDevPackages() ([]Package, bool) {
	if !p.InstalledDevRecorded {
		return nil, false
	}
	var out []Package
	for _, pkg := range p.Installed {
		if slices.Contains(p.InstalledDevNames, pkg.Name) {
			out = append(out, pkg)
		}
	}
	return out, true
}

// Extensions lists every "ext-*" requirement of the root project and of the
// installed (non-dev) packages: the root's first, then each package's, in
// file order.
func (p *Project) Extensions() []Requirement {
	var out []Requirement
	for _, r := range p.Require {
		if r.Extension() != "" {
			out = append(out, r)
		}
	}
	for _, pkg := range p.Packages {
		for _, r := range pkg.Require {
			if r.Extension() != "" {
				out = append(out, r)
			}
		}
	}
	return out
}

// PackagePHP lists the "php" requirement of every installed (non-dev)
// package, in file order.
func (p *Project) PackagePHP() []Requirement {
	var out []Requirement
	for _, pkg := range p.Packages {
		for _, r := range pkg.Require {
			if r.Name == "php" {
				out = append(out, r)
			}
		}
	}
	return out
}

// Load reads the Composer files of the app in appDir: composer.json,
// composer.lock and vendor/composer/installed.json. A missing file is not an
// error (the Has* fields say which exist); a file that is not valid JSON, or
// whose shape is not Composer's, is a *SyntaxError naming the file and line.
func Load(appDir string) (*Project, error) {
	p := &Project{Dir: appDir}
	if err := p.loadJSON(); err != nil {
		return nil, err
	}
	if err := p.loadLock(); err != nil {
		return nil, err
	}
	if err := p.loadInstalled(); err != nil {
		return nil, err
	}
	return p, nil
}

// doc is a parsed Composer file: its top-level object and its line index.
type doc struct {
	file  string
	data  []byte
	lines *lineIndex
}

// readDoc reads and indexes a JSON file; it returns nil, nil when the file
// does not exist.
func readDoc(dir, file string) (*doc, error) {
	data, err := os.ReadFile(filepath.Join(dir, filepath.FromSlash(file)))
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", file, err)
	}
	var probe any
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, jsonError(file, data, err)
	}
	ix, err := indexLines(data)
	if err != nil {
		return nil, jsonError(file, data, err)
	}
	return &doc{file: file, data: data, lines: ix}, nil
}

// shapeError says a member does not have the type Composer gives it.
func (d *doc) shapeError(ptr, want string) error {
	what := fmt.Sprintf("%q", strings.TrimPrefix(ptr, "/"))
	if ptr == "" {
		what = "the top level"
	}
	return &SyntaxError{File: d.file, Line: d.lines.line(ptr), Err: fmt.Errorf("%s must be %s", what, want)}
}

// top decodes the document as an object.
func (d *doc) top() (map[string]json.RawMessage, error) {
	t := bytes.TrimSpace(d.data)
	if len(t) == 0 || t[0] != '{' {
		return nil, d.shapeError("", "an object")
	}
	return d.object(t, "")
}

// object decodes raw as an object; null and an empty array (PHP's empty
// array, which some tools write for an empty object) are empty objects.
func (d *doc) object(raw json.RawMessage, ptr string) (map[string]json.RawMessage, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	if t[0] == '[' {
		var arr []json.RawMessage
		if err := json.Unmarshal(t, &arr); err == nil && len(arr) == 0 {
			return nil, nil
		}
		return nil, d.shapeError(ptr, "an object")
	}
	var m map[string]json.RawMessage
	if err := json.Unmarshal(t, &m); err != nil {
		return nil, d.shapeError(ptr, "an object")
	}
	return m, nil
}

// str decodes raw as a string.
func (d *doc) str(raw json.RawMessage, ptr string) (string, error) {
	var s string
	if err := json.Unmarshal(raw, &s); err != nil {
		return "", d.shapeError(ptr, "a string")
	}
	return s, nil
}

// requirements decodes a "require"-like object at ptr into requirements
// sorted by line.
func (d *doc) requirements(raw json.RawMessage, ptr, by string) ([]Requirement, error) {
	m, err := d.object(raw, ptr)
	if err != nil {
		return nil, err
	}
	var out []Requirement
	for name, v := range m {
		c, err := d.str(v, ptr+pointer(name))
		if err != nil {
			return nil, err
		}
		out = append(out, Requirement{
			Name: strings.ToLower(name), Constraint: c, By: by,
			File: d.file, Line: d.lines.line(ptr + pointer(name)),
		})
	}
	slices.SortFunc(out, func(a, b Requirement) int {
		if a.Line != b.Line {
			return a.Line - b.Line
		}
		return strings.Compare(a.Name, b.Name)
	})
	return out, nil
}

func (p *Project) loadJSON() error {
	d, err := readDoc(p.Dir, JSONFile)
	if err != nil || d == nil {
		return err
	}
	p.HasJSON = true
	top, err := d.top()
	if err != nil {
		return err
	}
	if p.Require, err = d.requirements(top["require"], "/require", ""); err != nil {
		return err
	}
	if p.RequireDev, err = d.requirements(top["require-dev"], "/require-dev", ""); err != nil {
		return err
	}
	p.setPHP()
	config, err := d.object(top["config"], "/config")
	if err != nil {
		return err
	}
	platform, err := d.object(config["platform"], "/config/platform")
	if err != nil {
		return err
	}
	if raw, ok := top["extra"]; ok && string(bytes.TrimSpace(raw)) != "null" {
		p.Extra = raw
	}
	if raw, ok := platform["php"]; ok {
		// false disables a platform package; only a string sets a version.
		var v string
		if json.Unmarshal(raw, &v) == nil {
			p.PlatformPHP = &Setting{Value: v, File: d.file, Line: d.lines.line("/config/platform/php")}
		} else if string(bytes.TrimSpace(raw)) != "false" {
			return d.shapeError("/config/platform/php", "a version string or false")
		}
	}
	return nil
}

// setPHP points p.PHP at the root "php" requirement.
func (p *Project) setPHP() {
	p.PHP = nil
	for i := range p.Require {
		if p.Require[i].Name == "php" {
			p.PHP = &p.Require[i]
		}
	}
}

func (p *Project) loadLock() error {
	d, err := readDoc(p.Dir, LockFile)
	if err != nil || d == nil {
		return err
	}
	p.HasLock = true
	top, err := d.top()
	if err != nil {
		return err
	}
	if p.Packages, err = d.packages(top["packages"], "/packages"); err != nil {
		return err
	}
	if p.DevPackages, err = d.packages(top["packages-dev"], "/packages-dev"); err != nil {
		return err
	}
	if !p.HasJSON {
		if p.Require, err = d.requirements(top["platform"], "/platform", ""); err != nil {
			return err
		}
		p.setPHP()
	}
	return nil
}

func (p *Project) loadInstalled() error {
	d, err := readDoc(p.Dir, InstalledFile)
	if err != nil || d == nil {
		return err
	}
	p.HasInstalled = true
	t := bytes.TrimSpace(d.data)
	var all []Package
	var devNames []string
	if len(t) > 0 && t[0] == '[' {
		// Composer 1: an array of every installed package.
		if all, err = d.packages(d.data, ""); err != nil {
			return err
		}
	} else {
		top, err := d.top()
		if err != nil {
			return err
		}
		if all, err = d.packages(top["packages"], "/packages"); err != nil {
			return err
		}
		if raw, ok := top["dev"]; ok {
			if err := json.Unmarshal(raw, &p.InstalledDev); err != nil {
				return d.shapeError("/dev", "true or false")
			}
			p.InstalledDevRecorded, p.InstalledDevLine = true, d.lines.line("/dev")
		}
		if raw, ok := top["dev-package-names"]; ok {
			if err := json.Unmarshal(raw, &devNames); err != nil {
				return d.shapeError("/dev-package-names", "an array of package names")
			}
		}
	}
	p.Installed = all
	for _, n := range devNames {
		p.InstalledDevNames = append(p.InstalledDevNames, strings.ToLower(n))
	}
	if p.HasLock {
		return nil
	}
	// Without composer.lock, installed.json says what is installed.
	for _, pkg := range all {
		if slices.Contains(p.InstalledDevNames, pkg.Name) {
			p.DevPackages = append(p.DevPackages, pkg)
		} else {
			p.Packages = append(p.Packages, pkg)
		}
	}
	return nil
}

// packages decodes an array of package objects at ptr.
func (d *doc) packages(raw json.RawMessage, ptr string) ([]Package, error) {
	t := bytes.TrimSpace(raw)
	if len(t) == 0 || string(t) == "null" {
		return nil, nil
	}
	var arr []json.RawMessage
	if err := json.Unmarshal(t, &arr); err != nil {
		return nil, d.shapeError(ptr, "an array of packages")
	}
	out := make([]Package, 0, len(arr))
	for i, elem := range arr {
		ep := fmt.Sprintf("%s/%d", ptr, i)
		obj, err := d.object(elem, ep)
		if err != nil {
			return nil, err
		}
		pkg := Package{File: d.file, Line: d.lines.line(ep), VersionLine: d.lines.line(ep + "/version")}
		name, err := d.str(obj["name"], ep+"/name")
		if err != nil {
			return nil, err
		}
		pkg.Name = strings.ToLower(name)
		if raw, ok := obj["version"]; ok {
			if pkg.Version, err = d.str(raw, ep+"/version"); err != nil {
				return nil, err
			}
		}
		if raw, ok := obj["install-path"]; ok && d.file == InstalledFile && string(bytes.TrimSpace(raw)) != "null" {
			// A metapackage has none (null): it installs no files.
			if pkg.InstallPath, err = d.str(raw, ep+"/install-path"); err != nil {
				return nil, err
			}
		}
		if pkg.Require, err = d.requirements(obj["require"], ep+"/require", pkg.Name); err != nil {
			return nil, err
		}
		extra, err := d.object(obj["extra"], ep+"/extra")
		if err != nil {
			return nil, err
		}
		aliases, err := d.object(extra["branch-alias"], ep+"/extra/branch-alias")
		if err != nil {
			return nil, err
		}
		for branch, raw := range aliases {
			var alias string
			if json.Unmarshal(raw, &alias) == nil {
				if pkg.BranchAliases == nil {
					pkg.BranchAliases = map[string]string{}
				}
				pkg.BranchAliases[branch] = alias
			}
		}
		out = append(out, pkg)
	}
	return out, nil
}
