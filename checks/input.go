package checks

import (
	"errors"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/brefimg/brefimg/composer"
	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/layers"
	"github.com/brefimg/brefimg/plan"
)

// AppDest is where the app directory goes in the image (Lambda's
// LAMBDA_TASK_ROOT).
const AppDest = plan.AppDest

// Input is everything the app checks need, as plain data. Zero fields get
// the defaults their comments name.
type Input struct {
	// AppDir is the app directory on disk; "" means ".".
	AppDir string
	// Line is the Bref line; 0 means extensions.DefaultLine.
	Line int
	// PHP is the PHP version ("8.2" or "82"); "" means ChoosePHP's choice.
	PHP string
	// Runtime is the Bref runtime; "" means fpm.
	Runtime extensions.Runtime
	// Arch is "amd64" or "arm64"; "" means amd64.
	Arch string
	// Exts are the extension images added ("gmp" or "gmp@1"); expand
	// "--ext auto" with AutoExtensions first.
	Exts []string
	// Handler is the CMD handler; "" means the runtime's default.
	Handler string
	// Env is the image's environment ("KEY=VALUE"), for PHP_INI_SCAN_DIR;
	// nil skips that check.
	Env []string
	// AppPaths are the app layer's paths, as NewApp takes them; nil means
	// listing AppDir with LoadApp.
	AppPaths []string
	// Ignore are the .dockerignore patterns; nil means reading
	// AppDir/.dockerignore with layers.ReadIgnoreFile (pass an empty slice
	// for none).
	Ignore []string
	// ImagePaths are the absolute paths of the files the extension layers
	// (and any other added layer but the app's) hold, for the ini checks.
	ImagePaths []string
	// IniFiles holds the content of the ini files of those layers, by
	// absolute path. The app's php/conf.d/*.ini are read from AppDir.
	IniFiles map[string]string
	// Project is the app's Composer files; nil means composer.Load(AppDir).
	Project *composer.Project
	// NoHandler skips the handler checks (a Dockerfile's handler is
	// checked on the image, see Build).
	NoHandler bool
}

// Run runs every app check on in and returns the findings in the order of
// the checks: composer files, extensions, Bref library, PHP version,
// handler, vendor, dev dependencies and secrets, ini. A Composer file that
// does not parse is an findings.IDComposerInvalid finding, and the checks that need
// it are skipped; when --php is not given and no PHP version satisfies the
// requirements (findings.IDPHPUnsatisfiable), the extension checks are skipped. The
// error is for input that prevents checking: a line, PHP version or runtime
// that does not exist, or an app directory that cannot be read.
func Run(in Input) ([]findings.Finding, error) {
	if in.AppDir == "" {
		in.AppDir = "."
	}
	line := in.Line
	if line == 0 {
		line = extensions.DefaultLine
	}
	if err := extensions.CheckLine(line); err != nil {
		return nil, err
	}
	rt := extensions.FPM
	if in.Runtime != "" {
		var err error
		if rt, err = extensions.ParseRuntime(string(in.Runtime)); err != nil {
			return nil, err
		}
	}
	ignore := in.Ignore
	if ignore == nil {
		var err error
		if ignore, err = layers.ReadIgnoreFile(in.AppDir); err != nil {
			return nil, err
		}
	}
	var app App
	if in.AppPaths != nil {
		app = NewApp(in.AppDir, in.AppPaths, ignore)
	} else {
		var err error
		if app, err = LoadApp(in.AppDir, ignore); err != nil {
			return nil, err
		}
	}

	var out []findings.Finding
	proj := in.Project
	if proj == nil {
		var err error
		proj, err = composer.Load(in.AppDir)
		var se *composer.SyntaxError
		switch {
		case errors.As(err, &se):
			out = append(out, findings.Finding{ID: findings.IDComposerInvalid, Severity: findings.Error, Path: se.File, Line: se.Line,
				Message: fmt.Sprintf("%s is not a valid Composer file: %v; fix it (composer validate checks composer.json)", se.File, se.Err)})
			proj = nil
		case err != nil:
			return nil, err
		}
	}

	php := in.PHP
	if php == "" {
		chosen, fs, err := ChoosePHP(proj, line)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
		php = chosen
	} else {
		v, err := extensions.NormalizePHP(php)
		if err != nil {
			return nil, err
		}
		if versions, _ := extensions.PHPVersions(line); !slices.Contains(versions, v) {
			_, err := extensions.BaseImage(line, v, rt, "amd64")
			return nil, err
		}
		php = v
	}

	pl := Platform{Line: line, PHP: php, Runtime: rt, Arch: in.Arch, Exts: in.Exts, Env: in.Env,
		Files: slices.Clone(in.ImagePaths), Ini: map[string]string{}}
	for k, v := range in.IniFiles {
		pl.Ini[k] = v
	}
	for _, p := range app.Paths {
		if strings.HasSuffix(p, "/") {
			continue
		}
		pl.Files = append(pl.Files, path.Join(AppDest, p))
		if path.Dir(p) == "php/conf.d" && strings.HasSuffix(p, ".ini") && app.Dir != "" {
			data, err := app.read(p)
			if err != nil {
				return nil, fmt.Errorf("reading app ini file %q: %w", p, err)
			}
			pl.Ini[path.Join(AppDest, p)] = string(data)
		}
	}

	if proj != nil && php != "" {
		out = append(out, MissingExtensions(proj, pl)...)
	}
	if proj != nil {
		out = append(out, BrefLibrary(proj, line)...)
		if php != "" {
			out = append(out, PHPVersion(proj, line, php)...)
		}
	}
	if !in.NoHandler {
		out = append(out, Handler(app, rt, in.Handler)...)
	}
	out = append(out, Vendor(app)...)
	out = append(out, DevPackages(proj, app)...)
	out = append(out, Secrets(app)...)
	if in.Env != nil {
		out = append(out, IniScanDir(in.Env)...)
	}
	out = append(out, UnloadedExtensions(pl)...)
	return out, nil
}
