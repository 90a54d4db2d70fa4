package dockerfile

import (
	"context"
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/lockfile"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

// DefaultPlatform is the target platform when [WithPlatform] is not given.
const DefaultPlatform = "linux/amd64"

// Option configures [Parse].
type Option func(*options) error

type options struct {
	contextDir string
	buildArgs  map[string]string
	platform   v1.Platform
	// platformSet is true when WithPlatform was given: FROM bref/arm-… then
	// does not choose linux/arm64.
	platformSet bool
	target      string
	configs     ConfigFunc
	// run keeps RUN instructions as plan.StepRun steps (WithRunSteps).
	run bool
	// unreachable, when set, is told about the FROM images whose config
	// could not be read for a reason that is not the user's input; Parse
	// goes on without the config when it returns true.
	unreachable func(ref string, err error) bool
}

// ConfigFunc returns the config of the image ref for platform
// ("os/arch[/variant]"). Parse calls it once per FROM image and platform.
type ConfigFunc func(ref, platform string) (*v1.ConfigFile, error)

// WithContextDir sets the build context, the directory COPY and ADD read
// from (default "."). It must be a directory.
func WithContextDir(dir string) Option {
	return func(o *options) error {
		fi, err := os.Stat(dir)
		switch {
		case err != nil:
			return &plan.InputError{Field: plan.FieldFile, Err: fmt.Errorf("build context %q: %w: pass the directory of your PHP app", dir, unwrapPath(err))}
		case !fi.IsDir():
			return &plan.InputError{Field: plan.FieldFile, Err: fmt.Errorf("build context %q is not a directory: pass the directory of your PHP app", dir)}
		}
		o.contextDir = dir
		return nil
	}
}

// WithBuildArgs sets --build-arg values, each "NAME=VALUE" (the value may
// be empty). A later value for the same name wins.
func WithBuildArgs(args ...string) Option {
	return func(o *options) error {
		for _, a := range args {
			k, v, ok := strings.Cut(a, "=")
			if !ok || k == "" || strings.ContainsAny(k, " \t") {
				return &plan.InputError{Field: plan.FieldFile, Err: fmt.Errorf("--build-arg %q: use NAME=VALUE", a)}
			}
			o.buildArgs[k] = v
		}
		return nil
	}
}

// WithPlatform sets the target platform, "os/arch[/variant]" (default
// linux/amd64, or linux/arm64 for a FROM of Bref's arm64 images,
// bref/arm-…): the platform of every FROM without --platform, and the
// value of TARGETPLATFORM, TARGETOS, TARGETARCH and TARGETVARIANT.
// BUILDPLATFORM and its kin get the same values: brefimg runs nothing,
// so the build platform is the target's, whatever the host.
func WithPlatform(platform string) Option {
	return func(o *options) error {
		p, err := plan.ParsePlatform(platform)
		if err != nil {
			return &plan.InputError{Field: plan.FieldFile, Err: fmt.Errorf("--platform %q: %w", platform, err)}
		}
		o.platform, o.platformSet = p, true
		return nil
	}
}

// WithRunSteps keeps RUN instructions, as plan.StepRun steps, for a
// build engine that runs containers (the plan's Solve says what it
// builds). Without it, RUN is refused with advice on what to do instead.
func WithRunSteps() Option {
	return func(o *options) error {
		o.run = true
		return nil
	}
}

// WithTarget builds the stage named stage (AS stage) instead of the last.
func WithTarget(stage string) Option {
	return func(o *options) error {
		if stage == "" {
			return &plan.InputError{Field: plan.FieldFile, Err: errors.New("--target names no stage: give the name of a stage (FROM … AS name)")}
		}
		o.target = strings.ToLower(stage)
		return nil
	}
}

// WithImageConfigs sets where Parse reads the config of FROM images (their
// environment, working directory, user and shell, which expansion and
// relative paths need).
func WithImageConfigs(f ConfigFunc) Option {
	return func(o *options) error {
		if f == nil {
			return errors.New("image config function must not be nil")
		}
		o.configs = f
		return nil
	}
}

// WithUnreachableImages lets Parse go on when the config of a FROM image
// cannot be read for a reason that is not the Dockerfile's fault (the
// registry cannot be reached, or fails): Parse calls f with the image and
// the error (which names the Dockerfile and the line), and when f returns
// true it reads the rest of the stage as if a Bref base image had the
// config of AWS's Lambda base images, which every Bref image keeps
// (WORKDIR /var/task, LAMBDA_TASK_ROOT=/var/task, ENTRYPOINT
// /lambda-entrypoint.sh), and any other image an empty config. Errors
// that are the user's to fix (an image that does not exist, credentials
// refused) stop Parse all the same.
//
// The plan is then only as good as that guess: use it for what needs no
// image (brefimg check, --dry-run), never to build.
func WithUnreachableImages(f func(ref string, err error) bool) Option {
	return func(o *options) error {
		if f == nil {
			return errors.New("unreachable image function must not be nil")
		}
		o.unreachable = f
		return nil
	}
}

// Source reads images by reference; *registry.Client is one.
type Source interface {
	Image(ctx context.Context, ref string, platform v1.Platform) (v1.Image, registry.Resolved, error)
}

// RegistryConfigs reads image configs through src (a *registry.Client):
// by the digest lock pins the reference to for the platform, when it pins
// it (lock may be nil), else by tag. Registry errors that are the user's
// to fix come back as *plan.InputError.
func RegistryConfigs(ctx context.Context, src Source, lock *lockfile.File) ConfigFunc {
	return func(ref, platform string) (*v1.ConfigFile, error) {
		p, err := v1.ParsePlatform(platform)
		if err != nil {
			return nil, &plan.InputError{Field: plan.FieldFile, Err: fmt.Errorf("platform %q: %w", platform, err)}
		}
		r := ref
		if e, ok := lock.Lookup(ref, platform); ok {
			parsed, err := name.ParseReference(ref)
			if err == nil {
				r = parsed.Context().Digest(e.Digest).String()
			}
		}
		img, _, err := src.Image(ctx, r, *p)
		if err != nil {
			if registry.IsInput(err) {
				return nil, &plan.InputError{Field: plan.FieldFile, Err: err}
			}
			return nil, err
		}
		cf, err := img.ConfigFile()
		if err != nil {
			return nil, fmt.Errorf("reading the config of %s: %w", ref, err)
		}
		return cf, nil
	}
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}
