package build

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/brefimg/brefimg/layers"
)

// TmpFilesMessage is what a finding says about a Dockerfile step that
// writes under /tmp; the paths follow it.
const TmpFilesMessage = "/tmp is empty at every cold start on Lambda: these files will not be there"

// Where Bref's PHP looks for ini files when PHP_INI_SCAN_DIR is not set
// (FACTS §1), and its main php.ini.
var (
	defaultScanDirs = []string{"/opt/bref/etc/php/conf.d", "/var/task/php/conf.d"}
	mainIni         = "/opt/bref/etc/php/php.ini"
)

// Where Bref extension images put their .so files (FACTS §2).
var extensionDirs = []string{"/opt/bref-extra", "/opt/bref/extensions"}

// copiedExt is a PHP extension a Dockerfile step copied.
type copiedExt struct {
	path string
	step Step
	img  *srcImage // the image it came from; nil otherwise
}

func (d *dockerBuild) finding(s Step, id string, msg string) {
	d.res.Findings = append(d.res.Findings, Finding{ID: id, Severity: Warning, Path: d.plan.File, Line: s.Line, Message: msg})
}

// stepFindings warns about what a step wrote under /tmp (but for
// WORKDIR, which the Dockerfile front end reports itself), and about what
// it wrote that Lambda's non-root user cannot read.
func (d *dockerBuild) stepFindings(dst *layers.Tree, s Step, ch *layers.Change) {
	var tmp, bad []string
	for _, p := range ch.Paths() {
		if strings.HasPrefix(p, "/tmp/") && s.Kind != StepMkdir {
			tmp = append(tmp, p)
		}
		if e, ok := dst.Lookup(p); ok {
			if why := unreadable(e); why != "" {
				bad = append(bad, p+" ("+why+")")
			}
		}
	}
	if len(tmp) > 0 {
		d.finding(s, FindingTmp, TmpFilesMessage+": "+summarize(tmp, 10))
	}
	if len(bad) > 0 {
		fix := "add --chmod to this instruction (e.g. --chmod=a+rX, or an octal mode such as 0755), or fix the modes in the checkout (chmod -R a+rX)"
		if s.Unpack {
			fix = "fix the modes in the archive (ADD applies no --chmod to what it extracts) or in the checkout (chmod -R a+rX)"
		}
		d.finding(s, FindingUnreadable, "Lambda runs the function as a non-root user, who cannot use "+summarize(bad, 10)+": "+fix)
	}
}

// unreadable says why Lambda's non-root user (neither the owner nor in the
// group of a root-owned file) cannot use e, or "" when it can.
func unreadable(e layers.Entry) string {
	switch e.Type {
	case tar.TypeDir:
		if e.Mode&0o005 != 0o005 {
			return fmt.Sprintf("directory %04o, others cannot list or enter it", e.Mode)
		}
	case tar.TypeReg:
		if e.Mode&0o004 == 0 {
			return fmt.Sprintf("%04o, others cannot read it", e.Mode)
		}
		if e.Mode&0o110 != 0 && e.Mode&0o001 == 0 {
			return fmt.Sprintf("%04o, others cannot execute it", e.Mode)
		}
	}
	return ""
}

// recordExtensions notes the PHP extensions a step wrote.
func (d *dockerBuild) recordExtensions(dst *layers.Tree, s Step, img *srcImage, ch *layers.Change) {
	for _, p := range ch.Paths() {
		if isExtension(p) {
			if e, ok := dst.Lookup(p); ok && e.Type == tar.TypeReg {
				d.copied = append(d.copied, copiedExt{path: p, step: s, img: img})
			}
		}
	}
}

func isExtension(p string) bool {
	if !strings.HasSuffix(p, ".so") {
		return false
	}
	dir := path.Dir(p)
	for _, x := range extensionDirs {
		if dir == x {
			return true
		}
	}
	return false
}

// extensionFindings warns about every copied extension that no ini file
// of the final image loads. env is the image's final environment.
func (d *dockerBuild) extensionFindings(ctx context.Context, env []string) {
	if len(d.copied) == 0 || d.target == nil {
		return
	}
	dirs := scanDirs(env)
	loads := iniLoads(ctx, d.target, dirs)
	seen := map[string]bool{}
	for _, c := range d.copied {
		if seen[c.path] {
			continue
		}
		seen[c.path] = true
		if e, ok := d.target.Lookup(c.path); !ok || e.Type != tar.TypeReg {
			continue
		}
		if loadsExtension(loads, c.path) {
			continue
		}
		name := strings.TrimSuffix(path.Base(c.path), ".so")
		msg := fmt.Sprintf("%s is copied but no ini file in %s loads it, so PHP never loads the %s extension", c.path, strings.Join(dirs, " or "), name)
		if c.img != nil {
			if ini := iniLoading(ctx, c.img.tree, c.path); ini != "" {
				msg += fmt.Sprintf(": %s holds the ini that loads it, %s, which this instruction does not copy; copy /opt whole instead: COPY --from=%s /opt /opt", c.img.ref, ini, c.img.ref)
				d.finding(c.step, FindingExtNotLoaded, msg)
				continue
			}
		}
		msg += fmt.Sprintf(": add an ini file with the line extension=%s to %s", c.path, dirs[0])
		d.finding(c.step, FindingExtNotLoaded, msg)
	}
}

// scanDirs returns the directories PHP reads ini files from, given the
// image's environment: PHP_INI_SCAN_DIR when set (an empty element stands
// for Bref's own directory), else Bref's defaults.
func scanDirs(env []string) []string {
	for _, kv := range env {
		if v, ok := strings.CutPrefix(kv, "PHP_INI_SCAN_DIR="); ok {
			var dirs []string
			for _, d := range strings.Split(v, ":") {
				if d == "" {
					d = defaultScanDirs[0]
				}
				dirs = append(dirs, path.Clean(d))
			}
			return dirs
		}
	}
	return defaultScanDirs
}

// iniLoads returns the values of the extension= and zend_extension= lines
// of the ini files PHP reads in t.
func iniLoads(ctx context.Context, t *layers.Tree, dirs []string) []string {
	var files []string
	for _, dir := range dirs {
		for _, e := range t.ReadDir(dir) {
			if strings.HasSuffix(e.Path, ".ini") {
				files = append(files, e.Path)
			}
		}
	}
	files = append(files, mainIni)
	var out []string
	for _, f := range files {
		out = append(out, iniValues(ctx, t, f)...)
	}
	return out
}

// iniValues returns the extension values the ini file f of t holds.
func iniValues(ctx context.Context, t *layers.Tree, f string) []string {
	b, err := t.ReadFile(ctx, f, 1<<20)
	if err != nil {
		return nil
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == ';' || line[0] == '#' {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k = strings.ToLower(strings.TrimSpace(k))
		if k != "extension" && k != "zend_extension" {
			continue
		}
		v = strings.TrimSpace(v)
		if i := strings.Index(v, ";"); i >= 0 {
			v = strings.TrimSpace(v[:i])
		}
		out = append(out, strings.Trim(v, `"'`))
	}
	return out
}

// loadsExtension reports whether one of the ini values loads the
// extension file so: by its path, or by its name (PHP then finds it in its
// extension directory).
func loadsExtension(values []string, so string) bool {
	base := path.Base(so)
	for _, v := range values {
		if v == so || v == base || v == strings.TrimSuffix(base, ".so") || (path.IsAbs(v) && path.Clean(v) == so) {
			return true
		}
	}
	return false
}

// iniLoading returns the ini file of an image's tree that loads so, or "".
func iniLoading(ctx context.Context, t *layers.Tree, so string) string {
	for _, dir := range defaultScanDirs {
		for _, e := range t.ReadDir(dir) {
			if strings.HasSuffix(e.Path, ".ini") && loadsExtension(iniValues(ctx, t, e.Path), so) {
				return e.Path
			}
		}
	}
	return ""
}

// handlerInTree reports whether the handler file exists in the final tree.
func handlerInTree(t *layers.Tree, want string) bool {
	e, ok := t.Lookup(want)
	return ok && e.Type != tar.TypeDir
}
