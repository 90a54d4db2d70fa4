package build

import (
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/brefimg/brefimg/checks"
	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/imagecheck"
	"github.com/brefimg/brefimg/layers"
)

// CheckApp runs the app checks of package checks (Composer files, PHP
// extensions, the Bref library, the PHP version, the handler, vendor/, dev
// dependencies, secrets, PHP_INI_SCAN_DIR) for the app directory the plan
// copies to /var/task, against the plan's Bref line and PHP version. rt is
// the Bref runtime ("" for fpm). A plan that copies no app directory, or
// whose line is unknown (a --base that is not a Bref image), is not checked.
// res, when not nil, is the plan's build: the app is then checked as its
// layers hold it, without listing the app dir again.
func CheckApp(plan Plan, rt extensions.Runtime, res *Result) ([]Finding, error) {
	line, php := plan.Line, plan.PHP
	if line == 0 {
		r, ok := extensions.RecognizeBase(plan.Base)
		if !ok || r.Line == 0 {
			return nil, nil
		}
		line, php = r.Line, r.PHP
		if rt == "" {
			rt = r.Runtime
		}
	}
	var app *Step
	var exts []string
	for i, s := range plan.Steps {
		switch {
		case s.Image != "":
			if name, _, tag, ok := extensions.RecognizeExtension(s.Image); ok {
				if tag != "" && tag != extensions.DefaultTag(line) {
					name += "@" + tag
				}
				exts = append(exts, name)
			}
		case s.Dir != "" && strings.TrimSuffix(s.Dest, "/") == AppDest && (len(s.Sources) == 0 || (len(s.Sources) == 1 && (s.Sources[0] == "." || s.Sources[0] == "./"))):
			app = &plan.Steps[i]
		}
	}
	if app == nil {
		return nil, nil
	}
	ignore := app.Ignore
	if ignore == nil {
		ignore = []string{}
	}
	in := checks.Input{AppDir: app.Dir, Line: line, PHP: php, Runtime: rt, Arch: archOf(plan.Platform),
		Exts: exts, Handler: plan.Handler, Env: plan.Config.Env, Ignore: ignore, Project: plan.Project}
	if res != nil && res.appPaths != nil {
		in.AppPaths = res.appPaths
	}
	fs, err := checks.Run(in)
	if err != nil {
		return nil, &InputError{Err: err}
	}
	// The builder checks the handler against the layer it writes (FindingHandler).
	out := fs[:0]
	for _, f := range fs {
		if f.ID != FindingHandler {
			out = append(out, f)
		}
	}
	return out, nil
}

func archOf(platform string) string {
	if strings.HasSuffix(platform, "/arm64") || strings.Contains(platform, "/arm64/") {
		return "arm64"
	}
	return "amd64"
}

// CheckIDs lists every finding ID the checks and the builder can report,
// sorted: what --skip-check accepts.
func CheckIDs() []string {
	ids := append(checks.IDs(), FindingTmp, FindingOutsideCopy, FindingSkipped, FindingHandler, FindingUnpinned,
		FindingExtNotLoaded, FindingUnreadable,
		imagecheck.IDMediaType, imagecheck.IDCompression, imagecheck.IDLayerCount, imagecheck.IDSize,
		imagecheck.IDArchitecture, imagecheck.IDHistory, imagecheck.IDParentDir, imagecheck.IDUnreadable)
	sort.Strings(ids)
	return slices.Compact(ids)
}

// Policy turns findings into what stops a build.
type Policy struct {
	// Skip silences these finding IDs.
	Skip []string
	// Strict makes every warning an error.
	Strict bool
}

// Validate checks that every skipped ID is one of known.
func (p Policy) Validate(known []string) error {
	for _, id := range p.Skip {
		if !slices.Contains(known, id) {
			hint := ""
			if s := extensions.Suggest(id, known); s != "" {
				hint = fmt.Sprintf(": did you mean %q?", s)
			}
			return fmt.Errorf("--skip-check %q is not a check%s (the README lists every ID)", id, hint)
		}
	}
	return nil
}

// Apply drops skipped findings and, when strict, makes warnings errors.
func (p Policy) Apply(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if slices.Contains(p.Skip, f.ID) {
			continue
		}
		if p.Strict && f.Severity == Warning {
			f.Severity = Error
		}
		out = append(out, f)
	}
	return out
}

// CheckImage runs Lambda's image checks that need no layer contents on a
// built image: one single-platform manifest, gzip layers, the layer count,
// the size (its compressed size as a lower bound), the platform, history.
func CheckImage(res *Result) ([]Finding, error) {
	m, err := res.Image.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading the manifest: %w", err)
	}
	var size int64
	for _, l := range m.Layers {
		size += l.Size
	}
	return imagecheck.Manifest(res.Image, size)
}

// CheckFiles reads every layer of the built image, the base's included,
// and checks that every path has a parent directory entry and that Lambda's
// non-root user can read every file. It downloads the base layers.
func CheckFiles(res *Result) ([]Finding, error) {
	ls, err := res.Image.Layers()
	if err != nil {
		return nil, fmt.Errorf("reading the layers: %w", err)
	}
	all := make([][]layers.Entry, 0, len(ls))
	for i, l := range ls {
		es, err := layers.List(l)
		if err != nil {
			return nil, fmt.Errorf("reading layer %d: %w", i+1, err)
		}
		all = append(all, es)
	}
	return imagecheck.Files(all, 10), nil
}
