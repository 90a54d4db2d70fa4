package checks

import (
	"errors"
	"fmt"
	"maps"
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
	// Line is the Bref line; 0 means the line ChooseLine takes from the
	// Composer files (extensions.DefaultLine when they do not say).
	Line int
	// PHP is the PHP version ("8.2" or "82"); "" means ChoosePHP's choice.
	PHP string
	// Runtime is the Bref runtime; "" means fpm.
	Runtime extensions.Runtime
	// Arch is "amd64" or "arm64"; "" means amd64.
	Arch string
	// Exts are the extension images added ("gmp" or "gmp@1"); expand
	// "auto" with AutoExtensions first.
	Exts []string
	// Handler is the CMD handler; "" means the runtime's default.
	Handler string
	// Env is the image's environment ("KEY=VALUE"): PHP_INI_SCAN_DIR,
	// BREF_AUTOLOAD_PATH, BREF_DOWNLOAD_VENDOR, APP_ENV; nil skips the
	// PHP_INI_SCAN_DIR check.
	Env []string
	// AppPaths are the app layer's paths, as NewApp takes them; nil means
	// listing AppDir with LoadApp.
	AppPaths []string
	// AppRead, when set, reads the app's files (relative to the app
	// directory) instead of AppDir: an image's /var/task, with AppPaths.
	AppRead func(rel string) ([]byte, error)
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
// handler, vendor, dev dependencies and secrets, ini, and what the
// framework writes under the read-only /var/task. A Composer file that
// does not parse is an findings.IDComposerInvalid finding, and the checks
// that need it are skipped; when no PHP version is given and none
// satisfies the requirements (one findings.IDPHPUnsatisfiable finding),
// the extension and PHP version checks are skipped. The error is for input
// that prevents checking: a line, PHP version or runtime that does not
// exist, a bref/bref version or constraint that says no line brefimg knows
// (when no line is given), or an app directory that cannot be read.
func Run(in Input) ([]findings.Finding, error) {
	if in.AppDir == "" {
		in.AppDir = "."
	}
	proj, out, err := in.project()
	if err != nil {
		return nil, err
	}
	line, rt, err := in.target(proj)
	if err != nil {
		return nil, err
	}
	app, err := in.app()
	if err != nil {
		return nil, err
	}
	php, fs, err := in.php(proj, line, rt)
	if err != nil {
		return nil, err
	}
	out = append(out, fs...)
	pl, err := in.platform(app, line, php, rt)
	if err != nil {
		return nil, err
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
	out = append(out, Vendor(app, line, in.Env)...)
	out = append(out, DevPackages(proj, app)...)
	out = append(out, Secrets(app)...)
	if in.Env != nil {
		out = append(out, IniScanDir(in.Env)...)
	}
	out = append(out, UnloadedExtensions(pl)...)
	out = append(out, ReadOnlyTask(proj, app, in.Env)...)
	return out, nil
}

// target checks the line and the runtime, defaults applied: without a
// line, the one the Composer files say (ChooseLine).
func (in Input) target(proj *composer.Project) (int, extensions.Runtime, error) {
	line := in.Line
	if line == 0 {
		c, err := ChooseLine(proj)
		if err != nil {
			return 0, "", err
		}
		line = c.Line
	}
	if err := extensions.CheckLine(line); err != nil {
		return 0, "", err
	}
	if in.Runtime == "" {
		return line, extensions.FPM, nil
	}
	rt, err := extensions.ParseRuntime(string(in.Runtime))
	return line, rt, err
}

// app lists the app's files (or takes AppPaths), with its ignore patterns.
func (in Input) app() (App, error) {
	ignore := in.Ignore
	if ignore == nil {
		var err error
		if ignore, err = layers.ReadIgnoreFile(in.AppDir); err != nil {
			return App{}, err
		}
	}
	if in.AppPaths != nil {
		a := NewApp(in.AppDir, in.AppPaths, ignore)
		a.ReadFile = in.AppRead
		return a, nil
	}
	return LoadApp(in.AppDir, ignore)
}

// project reads the Composer files, unless given; one that does not parse
// is a finding and a nil project.
func (in Input) project() (*composer.Project, []findings.Finding, error) {
	if in.Project != nil {
		return in.Project, nil, nil
	}
	proj, err := composer.Load(in.AppDir)
	var se *composer.SyntaxError
	switch {
	case errors.As(err, &se):
		return nil, []findings.Finding{{ID: findings.IDComposerInvalid, Severity: findings.Error, Path: se.File, Line: se.Line,
			Message: fmt.Sprintf("%s is not a valid Composer file: %v; fix it (composer validate checks composer.json)", se.File, se.Err)}}, nil
	case err != nil:
		return nil, nil, err
	}
	return proj, nil, nil
}

// php normalises the PHP version given, or chooses one with ChoosePHP.
func (in Input) php(proj *composer.Project, line int, rt extensions.Runtime) (string, []findings.Finding, error) {
	if in.PHP == "" {
		return ChoosePHP(proj, line)
	}
	v, err := extensions.NormalizePHP(in.PHP)
	if err != nil {
		return "", nil, err
	}
	if versions, _ := extensions.PHPVersions(line); !slices.Contains(versions, v) {
		_, err := extensions.BaseImage(line, v, rt, "amd64")
		return "", nil, err
	}
	return v, nil, nil
}

// platform is what the image will hold, for the extension and ini checks:
// the added layers' files and ini files, and the app's.
func (in Input) platform(app App, line int, php string, rt extensions.Runtime) (Platform, error) {
	pl := Platform{Line: line, PHP: php, Runtime: rt, Arch: in.Arch, Exts: in.Exts, Env: in.Env,
		Files: slices.Clone(in.ImagePaths), Ini: maps.Clone(in.IniFiles)}
	if pl.Ini == nil {
		pl.Ini = map[string]string{}
	}
	for _, p := range app.Paths {
		if strings.HasSuffix(p, "/") {
			continue
		}
		pl.Files = append(pl.Files, path.Join(AppDest, p))
		if path.Dir(p) == "php/conf.d" && strings.HasSuffix(p, ".ini") && app.Dir != "" {
			data, err := app.read(p)
			if err != nil {
				return Platform{}, fmt.Errorf("reading app ini file %q: %w", p, err)
			}
			pl.Ini[path.Join(AppDest, p)] = string(data)
		}
	}
	return pl, nil
}
