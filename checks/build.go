package checks

import (
	"archive/tar"
	"context"
	"fmt"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/imagecheck"
	"github.com/brefimg/brefimg/lockfile"
	"github.com/brefimg/brefimg/plan"
)

// TmpMessage is what a finding says about a file under /tmp.
const TmpMessage = "/tmp is empty at every cold start on Lambda; this file will not be there"

// tmpFilesMessage is what a finding says about a Dockerfile step that
// writes under /tmp; the paths follow it.
const tmpFilesMessage = "/tmp is empty at every cold start on Lambda: these files will not be there"

// mainIni is Bref's php.ini, which PHP reads besides the scanned
// directories. [FACTS §1]
const mainIni = "/opt/bref/etc/php/php.ini"

// Build runs the checks on what a build wrote (res.Written) and, when the
// builder read it, on the final file tree (res.Tree): files under /tmp,
// files Lambda's non-root user cannot use, PHP extensions that no ini file
// loads and the CMD handler. cfg is the built image's config.
// Findings about a step of a Dockerfile name the Dockerfile and the line.
func Build(ctx context.Context, pl plan.Plan, res *plan.Result, cfg v1.Config) []findings.Finding {
	var out []findings.Finding
	for _, w := range res.Written {
		out = append(out, tmp(pl, w)...)
		if pl.File != "" {
			out = append(out, unreadable(pl, w)...)
		}
	}
	if res.Tree != nil {
		out = append(out, treeExtensions(ctx, pl, res, cfg.Env)...)
		out = append(out, treeHandler(pl, res.Tree, cfg.WorkingDir)...)
	}
	return out
}

// tmp reports what a step wrote under /tmp (but for WORKDIR, which the
// Dockerfile front end reports itself): a finding per file for flag
// builds, one per step, at its line, for Dockerfiles.
func tmp(pl plan.Plan, w plan.Written) []findings.Finding {
	if w.Step.Kind == plan.StepMkdir {
		return nil
	}
	var paths []string
	for _, e := range w.Entries {
		if strings.HasPrefix(e.Path, "/tmp/") {
			paths = append(paths, e.Path)
		}
	}
	if len(paths) == 0 {
		return nil
	}
	if pl.File == "" {
		out := make([]findings.Finding, len(paths))
		for i, p := range paths {
			out[i] = findings.Finding{ID: findings.IDTmp, Severity: findings.Warning, Path: p, Message: TmpMessage}
		}
		return out
	}
	return []findings.Finding{stepFinding(pl, w.Step, findings.IDTmp, tmpFilesMessage+": "+findings.Summarize(paths, 10))}
}

// unreadable reports what a step wrote that Lambda's non-root user cannot
// read, enter or execute.
func unreadable(pl plan.Plan, w plan.Written) []findings.Finding {
	var bad []string
	for _, e := range w.Entries {
		if why := imagecheck.Unreadable(e); why != "" {
			bad = append(bad, e.Path+" ("+why+")")
		}
	}
	if len(bad) == 0 {
		return nil
	}
	fix := "add --chmod to this instruction (e.g. --chmod=a+rX, or an octal mode such as 0755), or fix the modes in the checkout (chmod -R a+rX)"
	if w.Step.Unpack {
		fix = "fix the modes in the archive (ADD applies no --chmod to what it extracts) or in the checkout (chmod -R a+rX)"
	}
	return []findings.Finding{stepFinding(pl, w.Step, findings.IDUnreadable,
		"Lambda runs the function as a non-root user, who cannot use "+findings.Summarize(bad, 10)+": "+fix)}
}

// stepFinding is a warning about a step of the plan's Dockerfile.
func stepFinding(pl plan.Plan, s plan.Step, id, msg string) findings.Finding {
	return findings.Finding{ID: id, Severity: findings.Warning, Path: pl.File, Line: s.Line, Message: msg}
}

// lineOf is the Bref line of the plan, or of its base image when the
// front end did not say (a Dockerfile); 0 when unknown.
func lineOf(pl plan.Plan) (int, extensions.Runtime) {
	if pl.Line != 0 {
		return pl.Line, extensions.Runtime(pl.Runtime)
	}
	r, _ := extensions.RecognizeBase(pl.Base)
	return r.Line, r.Runtime
}

// treeExtensions runs the extension check (see UnloadedExtensions) on the
// final tree: the extension files the steps wrote, against the ini files
// PHP reads in the image.
func treeExtensions(ctx context.Context, pl plan.Plan, res *plan.Result, env []string) []findings.Finding {
	line, _ := lineOf(pl)
	p := Platform{Line: line, Env: env, Ini: map[string]string{}, Sources: map[string]Source{}}
	for _, w := range res.Written {
		for _, e := range w.Entries {
			if !isExtensionFile(e.Path) || p.Sources[e.Path].File != "" {
				continue
			}
			if now, ok := res.Tree.Lookup(e.Path); !ok || now.Type != tar.TypeReg {
				continue
			}
			p.Files = append(p.Files, e.Path)
			src := Source{File: pl.File, Line: w.Step.Line, Image: w.FromRef}
			if w.From != nil {
				src.ImageIni = iniLoading(ctx, w.From, e.Path, line)
			}
			p.Sources[e.Path] = src
		}
	}
	if len(p.Files) == 0 {
		return nil
	}
	for _, dir := range ScanDirs(env) {
		for _, e := range res.Tree.ReadDir(dir) {
			readIni(ctx, res.Tree, e.Path, p.Ini)
		}
	}
	readIni(ctx, res.Tree, mainIni, p.Ini)
	return UnloadedExtensions(p)
}

// isExtensionFile reports whether p is where extension images put a PHP
// extension.
func isExtensionFile(p string) bool {
	return strings.HasSuffix(p, ".so") && (path.Dir(p) == extDirV1 || path.Dir(p) == extDirV2)
}

// readIni adds the ini file p of t to ini, when it is one.
func readIni(ctx context.Context, t plan.Tree, p string, ini map[string]string) {
	if !strings.HasSuffix(p, ".ini") {
		return
	}
	if b, err := t.ReadFile(ctx, p, 1<<20); err == nil {
		ini[p] = string(b)
	}
}

// iniLoading returns the ini file of an image's tree that loads so, or "".
func iniLoading(ctx context.Context, t plan.Tree, so string, line int) string {
	for _, dir := range []string{OptIniDir, AppIniDir} {
		for _, e := range t.ReadDir(dir) {
			ini := map[string]string{}
			readIni(ctx, t, e.Path, ini)
			for _, l := range parseIniLoads(ini[e.Path]) {
				if !l.commented && loads(l.value, so, line) {
					return e.Path
				}
			}
		}
	}
	return ""
}

// treeHandler checks that the CMD handler of a Dockerfile build is a file
// of the final tree, relative to the working directory.
func treeHandler(pl plan.Plan, t plan.Tree, workdir string) []findings.Finding {
	if pl.Handler == "" {
		return nil
	}
	_, rt := lineOf(pl)
	if isClassHandler(rt, pl.Handler) {
		return nil
	}
	want := pl.Handler
	if !path.IsAbs(want) {
		if workdir == "" {
			workdir = "/"
		}
		want = path.Join(workdir, want)
	}
	if e, ok := t.Lookup(want); ok && e.Type != tar.TypeDir {
		return nil
	}
	f := findings.Finding{ID: findings.IDHandlerMissing, Severity: findings.Error, Path: want,
		Message: fmt.Sprintf("the CMD handler %q is not in the image at %s: Lambda would fail at the first request; check the CMD, the WORKDIR, that a COPY puts the file there, and that .dockerignore does not exclude it", pl.Handler, want)}
	if pl.File != "" {
		f.Path, f.Line = pl.File, pl.HandlerLine
	}
	return []findings.Finding{f}
}

// Unpinned warns once about the references a build read by tag: the same
// build gives another image when one of those tags moves.
func Unpinned(refs []string) []findings.Finding {
	if len(refs) == 0 {
		return nil
	}
	return []findings.Finding{{ID: findings.IDUnpinned, Severity: findings.Warning,
		Message: fmt.Sprintf("built from tags, not digests (%s): the same build gives another image when a tag moves; run brefimg lock to pin them in %s",
			strings.Join(refs, ", "), lockfile.Name)}}
}

// LockStale warns once about the images of a locked build whose tag moved
// since brefimg.lock was written, or could not be checked: the build used
// the pinned digests, which are no longer what the tags give. Each image
// reads "REF (PLATFORM) PINNED → NOW", or "REF (PLATFORM) PINNED → the tag
// could not be checked (ERROR)".
func LockStale(stale []plan.Stale) []findings.Finding {
	if len(stale) == 0 {
		return nil
	}
	items := make([]string, len(stale))
	for i, s := range stale {
		now := s.Now
		if s.Err != "" {
			now = "the tag could not be checked (" + s.Err + ")"
		}
		items[i] = fmt.Sprintf("%s (%s) %s → %s", s.Ref, s.Platform, s.Pinned, now)
	}
	return []findings.Finding{{ID: findings.IDLockStale, Severity: findings.Warning,
		Message: fmt.Sprintf("%s is stale, the build used its pinned digests: %s; run brefimg lock --update with this build's flags to pin what the tags point at now",
			lockfile.Name, strings.Join(items, "; "))}}
}
