package checks

import (
	"archive/tar"
	"context"
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/moby/patternmatcher"

	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/plan"
)

// maxAppFile bounds what the app checks read of a file in an image.
const maxAppFile = 64 << 20

// treeApp lists the app as the image t holds it under /var/task, as
// NewApp takes the paths.
func treeApp(t plan.Tree) []string {
	paths := []string{}
	var walk func(dir string)
	walk = func(dir string) {
		for _, e := range t.ReadDir(dir) {
			rel := strings.TrimPrefix(e.Path, AppDest+"/")
			if e.Type == tar.TypeDir {
				paths = append(paths, rel+"/")
				walk(e.Path)
				continue
			}
			paths = append(paths, rel)
		}
	}
	walk(AppDest)
	return paths
}

// treeReader reads the app's files from the image t's /var/task.
func treeReader(t plan.Tree) func(rel string) ([]byte, error) {
	return func(rel string) ([]byte, error) {
		return t.ReadFile(context.Background(), path.Join(AppDest, rel), maxAppFile)
	}
}

// RunPlan runs the app checks ([Run]) on the app directory the plan copies to
// /var/task, against the plan's Bref line and PHP version (or those its
// base image names). res, when not nil, is the plan's build: the app is
// then checked as its layers hold it, without listing the directory again.
// A plan that copies no app directory, or whose line is unknown (a base
// that is not a Bref image), is not checked: [AppSkipped] says why. For a
// Dockerfile the handler is checked on the image instead (see [Build]). A
// PHP version the front end chose (PHPSource neither plan.SourceFlag nor
// "") is chosen again as Run chooses it, so that when none satisfies the
// Composer files the one findings.IDPHPUnsatisfiable finding says so, not
// a finding per package.
//
// A Dockerfile's app directory is the build context, or the subdirectory
// of it that a COPY such as COPY ./src /var/task copies: that
// subdirectory is checked, with the context's .dockerignore patterns
// matched as BuildKit matches them (relative to the context), and the
// paths of its findings are made relative to the context
// ("src/composer.json"), as every app finding's path is relative to the
// app directory the user gave.
func RunPlan(pl plan.Plan, res *plan.Result) ([]findings.Finding, error) {
	t, why := planApp(pl)
	if why != "" {
		return nil, nil
	}
	switch {
	case res != nil && res.AppFromTree && res.Tree != nil:
		// RUN steps may have changed /var/task (composer install): check
		// what the image holds. The Composer files are read from the
		// context (or the subdirectory copied).
		t.in.AppDir = filepath.Join(t.in.AppDir, filepath.FromSlash(t.sub))
		t.in.AppPaths, t.in.AppRead, t.in.Ignore = treeApp(res.Tree), treeReader(res.Tree), []string{}
	case t.sub == "" && res != nil && res.AppPaths != nil:
		t.in.AppPaths = res.AppPaths
	case t.sub != "":
		paths, err := loadSubdir(t.in.AppDir, t.sub, t.in.Ignore)
		if err != nil {
			return nil, err
		}
		// The context's patterns are not relative to the subdirectory:
		// the app is listed already, and no pattern is matched again.
		t.in.AppDir, t.in.AppPaths, t.in.Ignore = filepath.Join(t.in.AppDir, filepath.FromSlash(t.sub)), paths, []string{}
	}
	out, err := Run(t.in)
	if err != nil {
		return nil, err
	}
	if res == nil && pl.Solve != nil {
		out = slices.DeleteFunc(out, func(f findings.Finding) bool { return slices.Contains(runFixes, f.ID) })
	}
	return underSubdir(out, t.sub), nil
}

// runFixes are the app findings about vendor/, which a RUN (composer
// install) makes: without the image, they are not reported for a
// Dockerfile that RUNs commands.
var runFixes = []string{findings.IDVendorMissing, findings.IDVendorIgnored, findings.IDDevPackages}

// AppSkipped says why RunPlan checks no app for pl, "" when it checks one.
func AppSkipped(pl plan.Plan) string {
	_, why := planApp(pl)
	return why
}

// appTarget is what RunPlan checks: the input, whose AppDir is the build
// context, and the subdirectory of it copied to /var/task ("" for the
// whole context).
type appTarget struct {
	in  Input
	sub string
}

// planApp returns what RunPlan checks for pl, or why it checks nothing.
func planApp(pl plan.Plan) (appTarget, string) {
	line, php, rt := pl.Line, pl.PHP, extensions.Runtime(pl.Runtime)
	if pl.PHPSource != "" && pl.PHPSource != plan.SourceFlag {
		php = ""
	}
	if line == 0 {
		r, ok := extensions.RecognizeBase(pl.Base)
		switch {
		case !ok:
			return appTarget{}, fmt.Sprintf("app checks skipped: the base image %s is not a Bref image, so the Bref line and PHP version to check the app against are unknown", pl.Base)
		case r.Line == 0:
			return appTarget{}, fmt.Sprintf("app checks skipped: the base image %s has no tag naming its Bref line (pin :1, :2 or :3)", pl.Base)
		}
		line, php = r.Line, r.PHP
		if rt == "" {
			rt = r.Runtime
		}
	}
	app, sub, exts := appStep(pl)
	if app == nil {
		return appTarget{}, "app checks skipped: the Dockerfile copies no directory of the build context to /var/task (COPY . /var/task, or COPY ./src /var/task for a subdirectory)"
	}
	ignore := app.Ignore
	if ignore == nil {
		ignore = []string{}
	}
	in := Input{AppDir: app.Dir, Line: line, PHP: php, Runtime: rt, Arch: pl.Platform.Architecture,
		Exts: exts, Handler: pl.Handler, Env: pl.Config.Env, Ignore: ignore, Project: pl.Project, NoHandler: pl.File != ""}
	if sub != "" {
		in.Project = nil // the Composer files of the subdirectory
	}
	return appTarget{in: in, sub: sub}, ""
}

// appStep returns the last step that copies a directory of the build
// context (or the app directory) to /var/task, the whole of it or one
// subdirectory, with that subdirectory ("" for the whole), and the
// extensions the plan adds.
func appStep(pl plan.Plan) (*plan.Step, string, []string) {
	var app *plan.Step
	var sub string
	var exts []string
	for i, s := range pl.Steps {
		switch {
		case s.Extension != "":
			exts = append(exts, s.Extension)
		case s.Dir != "" && strings.TrimSuffix(s.Dest, "/") == AppDest:
			if d, ok := contextSubdir(s); ok {
				app, sub = &pl.Steps[i], d
			}
		}
	}
	return app, sub, exts
}

// contextSubdir returns the directory of the build context a step copies
// whole: "" for the context itself (COPY . or the flag front end's app
// step), "src" for COPY ./src or COPY /src (BuildKit reads a source
// relative to the context's root); ok is false for anything else (files,
// globs, several sources, --parents, a directory that is not there).
func contextSubdir(s plan.Step) (string, bool) {
	if len(s.Sources) == 0 {
		return "", len(s.Files) == 0
	}
	if len(s.Sources) != 1 || len(s.Files) > 0 || s.Parents || strings.ContainsAny(s.Sources[0], `*?[\`) {
		return "", false
	}
	sub := strings.Trim(path.Clean("/"+s.Sources[0]), "/")
	if sub == "" {
		return "", true
	}
	fi, err := os.Lstat(filepath.Join(s.Dir, filepath.FromSlash(sub)))
	return sub, err == nil && fi.IsDir()
}

// loadSubdir lists the app layer that copying the subdirectory sub of the
// build context dir makes, as LoadApp lists an app directory, but with the
// .dockerignore patterns ignore matched against paths relative to the
// context. The paths returned are relative to sub.
func loadSubdir(dir, sub string, ignore []string) ([]string, error) {
	root, err := filepath.EvalSymlinks(dir)
	if err != nil {
		return nil, fmt.Errorf("reading the build context %q: %w", dir, err)
	}
	var pm *patternmatcher.PatternMatcher
	if len(ignore) > 0 {
		if pm, err = patternmatcher.New(ignore); err != nil {
			return nil, fmt.Errorf("parsing .dockerignore patterns: %w", err)
		}
	}
	w := &walker{pm: pm}
	if excluded, err := w.parentsExcluded(sub); err != nil || excluded {
		return []string{}, err
	}
	top := filepath.Join(root, filepath.FromSlash(sub))
	paths := []string{}
	err = filepath.WalkDir(top, func(p string, de fs.DirEntry, walkErr error) error {
		if walkErr != nil {
			return fmt.Errorf("reading %q of the build context %q: %w", sub, dir, walkErr)
		}
		if p == top {
			return nil
		}
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if skip, err := w.skip(rel, de.IsDir()); err != nil || skip {
			if err == nil && de.IsDir() && !w.mayReinclude(rel) {
				return filepath.SkipDir
			}
			return err
		}
		relSub, err := filepath.Rel(top, p)
		if err != nil {
			return err
		}
		switch slash := filepath.ToSlash(relSub); {
		case de.IsDir():
			paths = append(paths, slash+"/")
		case de.Type().IsRegular(), de.Type()&fs.ModeSymlink != 0:
			paths = append(paths, slash)
		}
		return nil
	})
	return paths, err
}

// parentsExcluded matches sub and its parent directories, from the
// context's root down, as a walk of the whole context would, and reports
// whether the patterns exclude sub with nothing under it re-included.
func (w *walker) parentsExcluded(sub string) (bool, error) {
	parts := strings.Split(sub, "/")
	for i := range parts {
		rel := filepath.FromSlash(strings.Join(parts[:i+1], "/"))
		skip, err := w.skip(rel, true)
		if err != nil {
			return false, err
		}
		if skip && !w.mayReinclude(rel) {
			return true, nil
		}
	}
	return false, nil
}

// skip reports whether the patterns exclude rel (relative to the
// context); false without patterns.
func (w *walker) skip(rel string, isDir bool) (bool, error) {
	if w.pm == nil {
		return false, nil
	}
	skip, err := w.excluded(rel, isDir)
	if err != nil {
		return false, fmt.Errorf("matching %q against .dockerignore patterns: %w", filepath.ToSlash(rel), err)
	}
	return skip, nil
}

// underSubdir makes the paths of app findings about the subdirectory sub
// relative to the build context. The .dockerignore path stays: it is the
// context's.
func underSubdir(fs []findings.Finding, sub string) []findings.Finding {
	if sub == "" {
		return fs
	}
	for i, f := range fs {
		if f.Path != "" && !path.IsAbs(f.Path) && f.Path != ".dockerignore" {
			fs[i].Path = path.Join(sub, f.Path)
		}
	}
	return fs
}
