// Package flagplan is the flag front end: it turns what `brefimg build`
// is given on its command line (--bref, --php, --ext, …) into a
// [plan.Plan], and nothing else. Its errors name the flag at fault.
package flagplan

import (
	"errors"
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"

	"github.com/brefimg/brefimg/checks"
	"github.com/brefimg/brefimg/composer"
	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/layers"
	"github.com/brefimg/brefimg/lockfile"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

// Flags is what `brefimg build` is given on its command line (or its
// environment), before defaults.
type Flags struct {
	// Line is the Bref major line (1, 2 or 3); 0 means not given: the line
	// of the app's bref/bref library (composer.lock, else installed.json),
	// else the newest its composer.json constraint allows, else
	// extensions.DefaultLine (see checks.ChooseLine). Other values are
	// refused; [LineValue] parses the flag so that "--bref 0" is refused
	// rather than taken for "not given".
	Line int
	// PHP is the PHP version ("8.0" or "80"); "" means the newest of the
	// line that composer.json's require.php and config.platform.php allow.
	PHP string
	// Runtime is fpm, function or console; "" means fpm.
	Runtime string
	// Platform is linux/amd64 or linux/arm64; "" means linux/amd64.
	Platform string
	// Exts lists extensions, each "name" or "name@tag", or comma-separated
	// lists of them; "auto" stands for those composer.json needs that the
	// base lacks and an extension image provides.
	Exts []string
	// Base replaces the catalog's base image when set.
	Base string
	// Cmd is the handler; "" means the runtime's default.
	Cmd string
	// AppDir is the app directory; "" means ".".
	AppDir string
	// Split names app directories that get a layer of their own, before the
	// rest; nil means DefaultSplit, and "none" no split.
	Split []string
}

// DefaultSplit is the app directory that gets a layer of its own unless
// --split says otherwise: Composer's vendor/, which changes far less often
// than the app's own code.
var DefaultSplit = []string{"vendor"}

// ConfigFile is the optional brefimg.yaml in the app dir whose keys are
// flag names; like brefimg.lock, it is never copied into the image.
const ConfigFile = "brefimg.yaml"

// Plan turns flags into a plan. Every error is a *plan.InputError naming
// the flag at fault.
func Plan(f Flags) (plan.Plan, error) {
	pl, rt, err := target(f)
	if err != nil {
		return plan.Plan{}, err
	}
	dir := f.AppDir
	if dir == "" {
		dir = "."
	}
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return plan.Plan{}, plan.Inputf(plan.FieldAppDir, "app directory %q: %v: pass the directory of your PHP app (default \".\")", dir, unwrapPathError(err))
	case !fi.IsDir():
		return plan.Plan{}, plan.Inputf(plan.FieldAppDir, "app directory %q is not a directory: pass the directory of your PHP app", dir)
	}
	// The Composer files may choose the line, the PHP version and the
	// extensions (--ext auto); when they do not parse, the checks say so
	// and the defaults apply here.
	pl.Project, _ = composer.Load(dir)
	if pl.Line, pl.LineSource, err = chooseLine(f.Line, pl.Project); err != nil {
		return plan.Plan{}, err
	}
	if pl.PHP, pl.PHPSource, err = choosePHP(f.PHP, pl.Project, pl.Line); err != nil {
		return plan.Plan{}, err
	}
	if f.Base != "" {
		if _, err := registry.ParseReference(f.Base); err != nil {
			return plan.Plan{}, plan.Inputf(plan.FieldBase, "base image %q is not an image reference (%v): write REGISTRY/REPOSITORY:TAG or @sha256:DIGEST", f.Base, err)
		}
		pl.Base = f.Base
	} else {
		base, err := extensions.BaseImage(pl.Line, pl.PHP, rt, pl.Platform.Architecture)
		if errors.Is(err, extensions.ErrPlatform) {
			return plan.Plan{}, plan.AsInput(plan.FieldPlatform, err)
		}
		if err != nil {
			return plan.Plan{}, plan.AsInput(plan.FieldPHP, err)
		}
		pl.Base, pl.Config.Env, pl.Catalog = base.Ref, base.Env, true
	}
	if pl.Steps, err = extensionSteps(f.Exts, pl); err != nil {
		return plan.Plan{}, err
	}
	app, err := appStep(dir, f.Split)
	if err != nil {
		return plan.Plan{}, err
	}
	pl.Steps = append(pl.Steps, app)
	handler := f.Cmd
	if handler == "" {
		handler = extensions.DefaultHandler(rt)
	}
	if strings.TrimSpace(handler) == "" || path.Clean(filepath.ToSlash(handler)) == "." {
		return plan.Plan{}, plan.Inputf(plan.FieldHandler, "handler %q: name the handler file relative to the app dir, e.g. public/index.php", f.Cmd)
	}
	pl.Config.Cmd = []string{handler}
	pl.Handler = handler
	return pl, nil
}

// target checks the Bref line given (0 is none), and reads the platform
// and the runtime.
func target(f Flags) (plan.Plan, extensions.Runtime, error) {
	if f.Line != 0 {
		if err := extensions.CheckLine(f.Line); err != nil {
			return plan.Plan{}, "", plan.AsInput(plan.FieldLine, err)
		}
	}
	if f.Platform == "" {
		f.Platform = "linux/amd64"
	}
	p, err := plan.ParsePlatform(f.Platform)
	if err != nil || plan.LambdaArchitecture(p) == "" {
		return plan.Plan{}, "", plan.Inputf(plan.FieldPlatform, "platform %q: Lambda runs linux/amd64 (x86_64) or linux/arm64", f.Platform)
	}
	rt := extensions.FPM
	if f.Runtime != "" {
		if rt, err = extensions.ParseRuntime(f.Runtime); err != nil {
			return plan.Plan{}, "", plan.AsInput(plan.FieldRuntime, err)
		}
	}
	return plan.Plan{Platform: p, Runtime: string(rt)}, rt, nil
}

// chooseLine takes the line given, or, without one (0), the line the
// Composer files say (checks.ChooseLine), and says where it came from.
func chooseLine(line int, project *composer.Project) (int, string, error) {
	if line != 0 {
		return line, plan.SourceFlag, nil
	}
	c, err := checks.ChooseLine(project)
	if err != nil {
		return 0, "", plan.AsInput(plan.FieldLine, err)
	}
	return c.Line, c.Source, nil
}

// choosePHP normalises --php, or, without it, chooses the newest PHP
// version of the line that the Composer files allow (the line's newest
// when none does: the checks then report php-unsatisfiable, as the source
// says), and says where the version came from.
func choosePHP(php string, project *composer.Project, line int) (string, string, error) {
	if php != "" {
		v, err := extensions.NormalizePHP(php)
		return v, plan.SourceFlag, plan.AsInput(plan.FieldPHP, err)
	}
	v, _, err := checks.ChoosePHP(project, line)
	if err != nil {
		return "", "", plan.AsInput(plan.FieldPHP, err)
	}
	if v == "" {
		v, err = extensions.NewestPHP(line)
		return v, fmt.Sprintf("%s: no PHP version of Bref %d satisfies the Composer files", plan.SourceDefault, line), plan.AsInput(plan.FieldPHP, err)
	}
	return v, phpSource(project, v), nil
}

// phpSource says why ChoosePHP chose v.
func phpSource(p *composer.Project, v string) string {
	if p == nil || p.PHP == nil && p.PlatformPHP == nil && len(p.PackagePHP()) == 0 {
		return plan.SourceDefault
	}
	if pp := p.PlatformPHP; pp != nil {
		if ma, mi, ok := composer.MajorMinor(pp.Value); ok && fmt.Sprintf("%d.%d", ma, mi) == v {
			return fmt.Sprintf("%s config.platform.php %s", pp.File, pp.Value)
		}
	}
	return "the newest the Composer files allow"
}

// extensionSteps turns --ext values ("redis,gmp", "auto", "redis@0.12")
// into steps copying each extension image's /opt.
func extensionSteps(values []string, pl plan.Plan) ([]plan.Step, error) {
	var exts []string
	for _, e := range values {
		for _, item := range strings.Split(e, ",") {
			if item = strings.TrimSpace(item); item != "" {
				exts = append(exts, item)
			}
		}
	}
	if i := slices.Index(exts, "auto"); i >= 0 {
		auto, err := checks.AutoExtensions(pl.Project, pl.Line, pl.PHP)
		if err != nil {
			return nil, plan.AsInput(plan.FieldExt, err)
		}
		exts = append(append(append([]string{}, exts[:i]...), auto...), exts[i+1:]...)
	}
	specs, err := extensions.ParseSpecs(exts)
	if err != nil {
		return nil, plan.AsInput(plan.FieldExt, err)
	}
	var steps []plan.Step
	for _, s := range specs {
		ref, err := extensions.ImageRef(s, pl.Line, pl.PHP, pl.Platform.Architecture)
		if err != nil {
			return nil, plan.AsInput(plan.FieldExt, err)
		}
		steps = append(steps, plan.Step{
			Image: ref, Name: s.Name, Extension: s.Name, Src: "/opt", Dest: "/opt",
			CreatedBy: fmt.Sprintf("COPY --from=%s /opt /opt", ref),
		})
	}
	return steps, nil
}

// appStep is the step that packs the app directory into /var/task, with
// the split directories in layers of their own.
func appStep(dir string, splitFlag []string) (plan.Step, error) {
	ignore, err := layers.ReadIgnoreFile(dir)
	if err != nil {
		return plan.Step{}, plan.AsInput(plan.FieldAppDir, err)
	}
	// brefimg's own files configure the build; they are not part of the app.
	ignore = append(ignore, lockfile.Name, ConfigFile)
	split := splitFlag
	if split == nil {
		split = DefaultSplit
	}
	if slices.Contains(split, "none") {
		split = nil
	}
	for _, sp := range split {
		c := path.Clean(filepath.ToSlash(sp))
		if c == "." || c == ".." || strings.HasPrefix(c, "../") || path.IsAbs(c) {
			return plan.Step{}, plan.Inputf(plan.FieldSplit, "split directory %q: name a directory inside the app, such as vendor or node_modules", sp)
		}
	}
	return plan.Step{Dir: dir, Name: "app", Dest: plan.AppDest, Ignore: ignore, Split: split, CreatedBy: "COPY . " + plan.AppDest}, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
