package checks

import (
	"strings"

	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/plan"
)

// RunPlan runs the app checks ([Run]) on the app directory the plan copies to
// /var/task, against the plan's Bref line and PHP version (or those its
// base image names). res, when not nil, is the plan's build: the app is
// then checked as its layers hold it, without listing the directory again.
// A plan that copies no app directory, or whose line is unknown (a base
// that is not a Bref image), is not checked. For a Dockerfile the handler
// is checked on the image instead (see [Build]). A PHP version the front
// end chose (PHPSource neither plan.SourceFlag nor "") is chosen again as
// Run chooses it, so that when none satisfies the Composer files the one
// findings.IDPHPUnsatisfiable finding says so, not a finding per package.
func RunPlan(pl plan.Plan, res *plan.Result) ([]findings.Finding, error) {
	line, php, rt := pl.Line, pl.PHP, extensions.Runtime(pl.Runtime)
	if pl.PHPSource != "" && pl.PHPSource != plan.SourceFlag {
		php = ""
	}
	if line == 0 {
		r, ok := extensions.RecognizeBase(pl.Base)
		if !ok || r.Line == 0 {
			return nil, nil
		}
		line, php = r.Line, r.PHP
		if rt == "" {
			rt = r.Runtime
		}
	}
	app, exts := appStep(pl)
	if app == nil {
		return nil, nil
	}
	ignore := app.Ignore
	if ignore == nil {
		ignore = []string{}
	}
	in := Input{AppDir: app.Dir, Line: line, PHP: php, Runtime: rt, Arch: pl.Platform.Architecture,
		Exts: exts, Handler: pl.Handler, Env: pl.Config.Env, Ignore: ignore, Project: pl.Project, NoHandler: pl.File != ""}
	if res != nil && res.AppPaths != nil {
		in.AppPaths = res.AppPaths
	}
	return Run(in)
}

// appStep returns the step that copies the app directory (the whole of
// it) to /var/task, and the extensions the plan adds.
func appStep(pl plan.Plan) (*plan.Step, []string) {
	var app *plan.Step
	var exts []string
	for i, s := range pl.Steps {
		switch {
		case s.Extension != "":
			exts = append(exts, s.Extension)
		case s.Dir != "" && strings.TrimSuffix(s.Dest, "/") == AppDest && (len(s.Sources) == 0 || (len(s.Sources) == 1 && (s.Sources[0] == "." || s.Sources[0] == "./"))):
			app = &pl.Steps[i]
		}
	}
	return app, exts
}
