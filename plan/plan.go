package plan

import (
	"errors"
	"fmt"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/composer"
	"github.com/brefimg/brefimg/layers"
)

// Scratch is the Base of a plan (or stage) whose image starts empty, as
// FROM scratch does.
const Scratch = "scratch"

// The sources of Plan.LineSource and Plan.PHPSource that are not a file:
// the user gave the value, or the front end's default applied.
const (
	SourceFlag    = "flag"
	SourceDefault = "default"
)

// Plan is everything a build needs, as plain data.
//
// Flag builds use StepLayer steps only. A Dockerfile gives StepCopy and
// StepMkdir steps, applied with Docker's semantics to the base's file
// tree, which the build then reads (headers only); the two kinds do not
// mix in one plan.
type Plan struct {
	// Base is the reference of the base image, e.g. "bref/php-80-fpm:1",
	// or Scratch.
	Base string
	// Platform is the platform the image is built for, e.g. linux/amd64.
	Platform v1.Platform
	// Steps are the layers to add, in order.
	Steps []Step
	// Config holds the changes to the base's config.
	Config Config
	// Handler, when set, is the CMD handler that must exist in the app
	// layer, relative to the working directory (e.g. "public/index.php").
	// For a Dockerfile it must exist in the image.
	Handler string
	// HandlerLine is the line of File that names Handler (its CMD).
	HandlerLine int
	// Line and PHP are the Bref line and PHP version the plan was made for
	// (recorded in brefimg.lock); zero when unknown.
	Line int
	PHP  string
	// LineSource and PHPSource say where Line and PHP came from, for
	// --dry-run and the checks: SourceFlag when the user gave them, else
	// how the front end chose them ("composer.lock bref/bref 1.7.3",
	// "composer.json require bref/bref ^1.7", SourceDefault, …); "" when
	// the front end does not say (a Dockerfile's base names them).
	LineSource string
	PHPSource  string
	// Catalog is true when Base is the catalog's image for Line and PHP
	// (not an image the user named).
	Catalog bool
	// Project is the app's Composer files as NewPlan read them, so the app
	// checks do not read them again; nil means they are read when needed.
	Project *composer.Project
	// Runtime is the Bref runtime (fpm, function, console) the front end
	// chose; "" when the base image says it (a Dockerfile).
	Runtime string
	// Stages are the earlier stages of a multi-stage Dockerfile that
	// steps copy from (Step.Stage). They are built as file trees only.
	Stages []Stage
	// File is the Dockerfile the plan was made from ("" for flag builds);
	// findings and errors about a step name it with the step's Line.
	File string
	// Solve is set when the Dockerfile RUNs commands, which only a
	// container build engine (BuildKit) can do: either the whole image is
	// solved there (Solve.Whole), or only the stages marked Stage.Solve,
	// which the final stage copies from. nil for flag builds and for
	// Dockerfiles brefimg builds alone.
	Solve *Solve
	// Exclude lists paths of this machine (absolute, or relative to the
	// working directory) that no step copies from a local directory,
	// whatever its ignore patterns say: the files the build itself writes
	// (its -o outputs, digest and metadata files), which would otherwise be
	// baked into the next build's image. The builder leaves its own layer
	// cache out too. Front ends leave it empty; the command fills it.
	Exclude []string
}

// Stage is an earlier stage of a multi-stage Dockerfile, as plain data.
type Stage struct {
	// Name is how steps name the stage (Step.Stage): its AS name, or its
	// index ("0") when it has none.
	Name string
	// Base is the image the stage starts from, or Scratch. A stage built
	// FROM another stage holds that stage's steps before its own.
	Base string
	// Platform is the platform Base is read for; nil means the plan's.
	Platform *v1.Platform
	// Steps are StepCopy and StepMkdir steps, applied in order (and
	// StepRun steps when Solve is set).
	Steps []Step
	// Solve is true when the stage RUNs commands (or is built FROM a
	// stage that does): the plan's Solve engine builds it, by its Name.
	Solve bool
}

// RunHint says how to build a Dockerfile that RUNs commands.
const RunHint = "pass --buildkit ADDR or set BUILDKIT_HOST (start a daemon with buildkitd, or with docker run -d --privileged -p 1234:1234 moby/buildkit --addr tcp://0.0.0.0:1234, then --buildkit tcp://127.0.0.1:1234)"

// Solve is what a container build engine (BuildKit) needs to build the
// Dockerfile a plan came from. The images the Dockerfile reads are not in
// it: the builder resolves them (lock, mirror, credentials) and hands
// them over, by the references Plan.Refs and the steps name.
type Solve struct {
	// Dockerfile is the Dockerfile's content as it was read.
	Dockerfile []byte
	// ContextDir is the build context.
	ContextDir string
	// Ignore holds the build context's .dockerignore patterns.
	Ignore []string
	// BuildArgs are the --build-arg values, by name.
	BuildArgs map[string]string
	// Target names the stage built (--target); "" for the last.
	Target string
	// Stages are the names of the Dockerfile's stages (AS names,
	// lowercased).
	Stages []string
	// Whole is true when the target stage RUNs commands (or is built FROM
	// a stage that does): the engine builds the whole image, and brefimg
	// reads, checks and pushes it. Otherwise brefimg builds the final
	// stage itself and asks the engine only for the stages marked
	// Stage.Solve.
	Whole bool
}

// Refs lists the image references the plan reads: the base, then every
// image a step copies from, then the bases of the stages and the images
// their steps copy from, each once; Scratch is left out.
func (p Plan) Refs() []string {
	var refs []string
	for _, im := range p.Images() {
		if !slices.Contains(refs, im.Ref) {
			refs = append(refs, im.Ref)
		}
	}
	return refs
}

// ImageRef is an image a plan reads.
type ImageRef struct {
	// Name is the step that reads it: "base", "stage-NAME" for the base
	// of stage NAME, else the step's Name.
	Name string
	// Ref is the reference as the plan names it.
	Ref string
	// Platform is the platform it is read for.
	Platform v1.Platform
}

// Images lists the images the plan reads, in the order of Refs, each
// reference and platform once.
func (p Plan) Images() []ImageRef {
	var out []ImageRef
	add := func(name, ref string, platform *v1.Platform) {
		if ref == "" || ref == Scratch {
			return
		}
		im := ImageRef{Name: name, Ref: ref, Platform: p.Platform}
		if platform != nil {
			im.Platform = *platform
		}
		if !slices.ContainsFunc(out, func(o ImageRef) bool { return o.Ref == ref && o.Platform.Equals(im.Platform) }) {
			out = append(out, im)
		}
	}
	add("base", p.Base, nil)
	for _, s := range p.Steps {
		add(s.Name, s.Image, s.Platform)
	}
	for _, st := range p.Stages {
		add("stage-"+st.Name, st.Base, st.Platform)
		for _, s := range st.Steps {
			add(s.Name, s.Image, s.Platform)
		}
	}
	return out
}

// StepKind says how a step is applied.
type StepKind int

const (
	// StepLayer (the zero value) adds the subtree Src of Image, or the
	// directory Dir, as a layer of its own, with brefimg's normalised
	// modes: the steps of flag builds.
	StepLayer StepKind = iota
	// StepCopy is a Dockerfile COPY or ADD, applied with Docker's
	// semantics (see layers.Tree.Copy): Sources from the build context
	// Dir, the image Image, the stage Stage (at most one of them), and
	// Files, to Dest, keeping source modes unless Chmod.
	StepCopy
	// StepMkdir is a Dockerfile WORKDIR: it creates the directory Dest
	// (0755, owned by Chown or root) when missing; only then does it add
	// a layer.
	StepMkdir
	// StepRun is a Dockerfile RUN (CreatedBy, Line): only a container
	// build engine applies it, from the plan's Solve. brefimg's own
	// builder never does; it records which layer came from which line.
	StepRun
)

// Step adds a layer. The fields a kind uses are documented with it.
type Step struct {
	// Kind says how the step is applied.
	Kind StepKind
	// Image is the reference of an image to copy from ("" for a local directory).
	Image string
	// Name is a short label for findings and metadata, e.g. the extension name "redis".
	Name string
	// Extension is set when Image is a Bref extension image, as the front
	// end recognised it: the extension's name, and "@tag" when the tag is
	// not the line's default ("gmp", "redis@0.12").
	Extension string
	// Src is the path copied from Image, e.g. "/opt". Only Src == Dest is supported.
	Src string
	// Dir is the local directory copied when Image is "".
	Dir string
	// Dest is the absolute path in the image, e.g. "/var/task".
	Dest string
	// Ignore holds .dockerignore patterns applied to Dir.
	Ignore []string
	// Split names directories of Dir (e.g. "vendor") that a StepLayer puts
	// in layers of their own, before the rest: the file tree is the same.
	Split []string
	// CreatedBy is the history text of the step, e.g. "COPY . /var/task".
	CreatedBy string

	// Stage names the earlier stage a StepCopy copies from (Stage.Name).
	Stage string
	// Platform is the platform Image is read for; nil means the plan's.
	Platform *v1.Platform
	// Sources are the paths or globs a StepCopy copies: relative to the
	// build context Dir, or absolute in Image or Stage.
	Sources []string
	// Files are the heredoc files a StepCopy writes.
	Files []layers.InlineFile
	// Chown owns what a StepCopy copies (or a StepMkdir creates):
	// user[:group], numeric or names the image's /etc/passwd and
	// /etc/group resolve; "" keeps the source owners (root for Dir).
	Chown string
	// Chmod is --chmod, octal or symbolic; "" keeps the source modes.
	Chmod string
	// Unpack extracts local tar archives, as ADD does.
	Unpack bool
	// Parents is COPY --parents.
	Parents bool
	// Exclude holds COPY --exclude patterns.
	Exclude []string
	// Link is COPY --link.
	Link bool
	// Line is the step's line in Plan.File, for findings and errors.
	Line int
}

// Config holds changes to the image config; zero fields leave the base's value.
type Config struct {
	// Cmd replaces the base's CMD when not nil (empty: no CMD).
	Cmd []string
	// Env entries ("KEY=VALUE") are set on top of the base's, in order: a
	// variable the base has stays where it is.
	Env []string
	// Entrypoint replaces the base's ENTRYPOINT when not nil (empty: none).
	Entrypoint []string
	// WorkingDir replaces the base's working directory when set.
	WorkingDir string
	// User replaces the base's user when set (Lambda ignores it).
	User string
	// Labels are set on top of the base's.
	Labels map[string]string
	// ExposedPorts ("80/tcp") and Volumes are added to the base's (Lambda
	// ignores them).
	ExposedPorts map[string]struct{}
	Volumes      map[string]struct{}
	// Healthcheck replaces the base's when set (Lambda ignores it).
	Healthcheck *v1.HealthConfig
	// StopSignal replaces the base's when set (Lambda ignores it).
	StopSignal string
	// Shell replaces the base's when not nil (Lambda ignores it).
	Shell []string
	// Author replaces the image's author when set (MAINTAINER).
	Author string
}

// AppDest is where the app directory goes in the image (Lambda's
// LAMBDA_TASK_ROOT).
const AppDest = "/var/task"

// DockerSteps reports whether the plan holds Dockerfile steps (StepCopy,
// StepMkdir or earlier stages), and checks that it does not mix them with
// flag steps (StepLayer).
func (p Plan) DockerSteps() (bool, error) {
	var flag, docker bool
	for _, s := range p.Steps {
		switch s.Kind {
		case StepLayer:
			flag = true
		case StepCopy, StepMkdir, StepRun:
			docker = true
		default:
			return false, fmt.Errorf("step %q: unknown step kind %d", s.CreatedBy, s.Kind)
		}
	}
	if flag && docker {
		return false, errors.New("a plan cannot mix flag steps and Dockerfile steps")
	}
	return docker || len(p.Stages) > 0, nil
}
