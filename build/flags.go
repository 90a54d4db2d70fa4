package build

import (
	"fmt"
	"os"
	"path"
	"path/filepath"
	"slices"
	"strings"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/checks"
	"github.com/brefimg/brefimg/composer"
	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/layers"
	"github.com/brefimg/brefimg/lockfile"
)

// Flags is what `brefimg build` is given on its command line (or its
// environment), before defaults.
type Flags struct {
	// Line is the Bref major line (1, 2 or 3); 0 means extensions.DefaultLine.
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
	// Epoch is the time written into the image.
	Epoch time.Time
	// Locked fails the build when brefimg.lock does not pin every reference.
	Locked bool
	// NoLock ignores brefimg.lock (brefimg lock itself resolves afresh).
	NoLock bool
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

// AppDest is where the app directory goes in the image (Lambda's LAMBDA_TASK_ROOT).
const AppDest = "/var/task"

// NewPlan turns flags into a Plan. Every error is an *InputError naming the flag at fault.
func NewPlan(f Flags) (Plan, error) {
	if f.Line == 0 {
		f.Line = extensions.DefaultLine
	}
	if err := extensions.CheckLine(f.Line); err != nil {
		return Plan{}, &InputError{Err: err}
	}
	if f.Platform == "" {
		f.Platform = "linux/amd64"
	}
	p, err := v1.ParsePlatform(f.Platform)
	if err != nil || p.OS != "linux" || (p.Architecture != "amd64" && p.Architecture != "arm64") {
		return Plan{}, inputf("--platform %q: Lambda runs linux/amd64 (x86_64) or linux/arm64", f.Platform)
	}
	rt := extensions.FPM
	if f.Runtime != "" {
		if rt, err = extensions.ParseRuntime(f.Runtime); err != nil {
			return Plan{}, &InputError{Err: err}
		}
	}
	dir := f.AppDir
	if dir == "" {
		dir = "."
	}
	fi, err := os.Stat(dir)
	switch {
	case err != nil:
		return Plan{}, inputf("app directory %q: %v: pass the directory of your PHP app (default \".\")", dir, unwrapPathError(err))
	case !fi.IsDir():
		return Plan{}, inputf("app directory %q is not a directory: pass the directory of your PHP app", dir)
	}
	// composer.json may choose the PHP version and the extensions (--ext auto);
	// when it does not parse, the checks say so and the defaults apply here.
	project, _ := composer.Load(dir)
	php := f.PHP
	if php == "" {
		if php, _, err = checks.ChoosePHP(project, f.Line); err != nil {
			return Plan{}, &InputError{Err: err}
		}
		if php == "" { // nothing satisfies composer.json: the checks explain it
			if php, err = extensions.NewestPHP(f.Line); err != nil {
				return Plan{}, &InputError{Err: err}
			}
		}
	} else if php, err = extensions.NormalizePHP(php); err != nil {
		return Plan{}, &InputError{Err: err}
	}
	var exts []string
	for _, e := range f.Exts {
		for _, item := range strings.Split(e, ",") {
			if item = strings.TrimSpace(item); item != "" {
				exts = append(exts, item)
			}
		}
	}
	if i := slices.Index(exts, "auto"); i >= 0 {
		auto, err := checks.AutoExtensions(project, f.Line, php)
		if err != nil {
			return Plan{}, &InputError{Err: err}
		}
		exts = append(append(append([]string{}, exts[:i]...), auto...), exts[i+1:]...)
	}
	plan := Plan{Platform: f.Platform, Epoch: f.Epoch.UTC(), Line: f.Line, PHP: php, Project: project}
	if f.Base != "" {
		plan.Base = f.Base
	} else {
		base, err := extensions.BaseImage(f.Line, php, rt, p.Architecture)
		if err != nil {
			return Plan{}, &InputError{Err: err}
		}
		plan.Base = base.Ref
		plan.Config.Env = base.Env
	}

	specs, err := extensions.ParseSpecs(exts)
	if err != nil {
		return Plan{}, &InputError{Err: err}
	}
	for _, s := range specs {
		ref, err := extensions.ImageRef(s, f.Line, php, p.Architecture)
		if err != nil {
			return Plan{}, &InputError{Err: err}
		}
		plan.Steps = append(plan.Steps, Step{
			Image: ref, Name: s.Name, Src: "/opt", Dest: "/opt",
			CreatedBy: fmt.Sprintf("COPY --from=%s /opt /opt", ref),
		})
	}

	ignore, err := layers.ReadIgnoreFile(dir)
	if err != nil {
		return Plan{}, &InputError{Err: err}
	}
	// brefimg's own files configure the build; they are not part of the app.
	ignore = append(ignore, lockfile.Name, ConfigFile)
	if !f.NoLock {
		if plan.Lock, err = lockfile.Read(dir); err != nil {
			return Plan{}, &InputError{Err: err}
		}
	}
	plan.Locked = f.Locked
	if l := plan.Lock; f.Locked && l != nil && f.Base == "" && (l.Bref != f.Line || l.PHP != php) {
		return Plan{}, inputf("--locked: %s was made for Bref %d and PHP %s, this build is Bref %d and PHP %s: run brefimg lock --update with these flags",
			lockfile.Name, l.Bref, l.PHP, f.Line, php)
	}
	split := f.Split
	if split == nil {
		split = DefaultSplit
	}
	if slices.Contains(split, "none") {
		split = nil
	}
	for _, sp := range split {
		c := path.Clean(filepath.ToSlash(sp))
		if c == "." || c == ".." || strings.HasPrefix(c, "../") || path.IsAbs(c) {
			return Plan{}, inputf("--split %q: name a directory inside the app, such as vendor or node_modules", sp)
		}
	}
	plan.Steps = append(plan.Steps, Step{Dir: dir, Name: "app", Dest: AppDest, Ignore: ignore, Split: split, CreatedBy: "COPY . " + AppDest})

	handler := f.Cmd
	if handler == "" {
		handler = extensions.DefaultHandler(rt)
	}
	if strings.TrimSpace(handler) == "" || path.Clean(filepath.ToSlash(handler)) == "." {
		return Plan{}, inputf("--cmd %q: name the handler file relative to the app dir, e.g. public/index.php", f.Cmd)
	}
	plan.Config.Cmd = []string{handler}
	plan.Handler = handler
	return plan, nil
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*os.PathError); ok {
		return pe.Err
	}
	return err
}
