package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

	"github.com/brefimg/brefimg/builder"
	"github.com/brefimg/brefimg/buildkit"
	"github.com/brefimg/brefimg/deploy"
	"github.com/brefimg/brefimg/dockerfile"
	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/flagplan"
	"github.com/brefimg/brefimg/layers"
	"github.com/brefimg/brefimg/lockfile"
	"github.com/brefimg/brefimg/pipeline"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
	"github.com/brefimg/brefimg/registry/ecr"
)

const buildUsage = `Usage: brefimg build [flags] [APP_DIR]

Builds a Lambda image: a Bref base image, the bref/extra-* extension images'
/opt files, and APP_DIR (default ".") under /var/task; then pushes it to every
-t and writes every -o. Prints the digest reference Lambda deploys.
Every flag can also come from $BREFIMG_<FLAG> (e.g. BREFIMG_EXT=redis,gmp) or
from APP_DIR/brefimg.yaml (e.g. "ext: [redis, gmp]"); flags win over the
environment, which wins over the file.

Examples:
  brefimg build --bref 1 --php 8.0 --ext redis,gmp -t registry.example.com/app:1 ./app
  brefimg build --bref 3 --php 8.4 --ext gmp -o oci:out/image .
  brefimg build --bref 2 --php 8.2 --platform linux/arm64 -o tar:image.tar .
  brefimg build --bref 1 --php 8.0 --ext redis --dry-run .

`

// buildOptions holds the parsed flags of `brefimg build` and `brefimg lock`.
type buildOptions struct {
	flags        flagplan.Flags
	epochTime    time.Time
	locked       bool
	noLock       bool // brefimg lock resolves afresh
	tags         []string
	outputs      []string
	mirror       string
	insecure     []string
	digestFile   string
	metadataFile string
	epoch        string
	quiet        bool
	progress     string
	json         bool
	jobs         int
	dryRun       bool
	update       bool
	ecr          ecr.Options
	strict       bool
	timeout      time.Duration
	file         string
	cacheDir     string
	noCache      bool
	buildArgs    []string
	target       string
	skip         []string
	sources      map[string]source // where each flag's value came from
	fs           *pflag.FlagSet    // the parsed flags, to name the one an error is about
	getenv       env               // the command's environment
	deploy       deployOptions
	sls          serverlessOptions
	buildkit     buildkitOptions
	// unreachable, when set (check and --dry-run), collects the FROM
	// images of -f whose config could not be read: those runs go on
	// without them.
	unreachable *unreachableImages
}

// newBuildFlags declares the flags of build (lock = false) or lock.
func newBuildFlags(o *buildOptions, lock bool) *pflag.FlagSet {
	cmd := "build"
	if lock {
		cmd = "lock"
	}
	fs := pflag.NewFlagSet(cmd, pflag.ContinueOnError)
	fs.SortFlags = false
	fs.Var(flagplan.NewLineValue(&o.flags.Line), "bref", fmt.Sprintf("Bref major line: 1, 2 or 3 (default: the app's bref/bref version, else %d)", extensions.DefaultLine))
	fs.StringVar(&o.flags.PHP, "php", "", "PHP version, 8.0 or 80 (default: the line's newest)")
	fs.StringVar(&o.flags.Runtime, "runtime", "fpm", "Bref runtime: fpm, function or console")
	fs.StringVar(&o.flags.Platform, "platform", "linux/amd64", "linux/amd64 or linux/arm64 (Lambda's x86_64 and arm64 work too)")
	fs.StringArrayVar(&o.flags.Exts, "ext", nil, "extension images to add, e.g. redis,gmp or redis@0.12 (repeatable)")
	fs.StringVar(&o.flags.Base, "base", "", "use this base image instead of the catalog's")
	fs.StringVar(&o.flags.Cmd, "cmd", "", "the handler, relative to /var/task (default per runtime: public/index.php for fpm)")
	group(fs, "Image", "bref", "php", "runtime", "platform", "ext", "base", "cmd")
	fs.StringVarP(&o.file, "file", "f", "", "build from this Bref-style Dockerfile instead of the image flags above (APP_DIR is its context)")
	fs.StringArrayVar(&o.buildArgs, "build-arg", nil, "set a Dockerfile ARG: NAME=VALUE (repeatable)")
	fs.StringVar(&o.target, "target", "", "build this stage of the Dockerfile (default: the last)")
	group(fs, "Dockerfile", "file", "build-arg", "target")
	if !lock {
		addBuildKitFlags(fs, &o.buildkit)
	}
	if !lock {
		fs.StringArrayVar(&o.flags.Split, "split", nil, "app directory that gets a layer of its own, before the rest (repeatable; default vendor; none for one app layer)")
		fs.StringVar(&o.cacheDir, "cache-dir", "", "keep compressed app layers here between builds (default $XDG_CACHE_HOME/brefimg)")
		fs.BoolVar(&o.noCache, "no-cache", false, "compress every app layer again")
		group(fs, "Speed", "split", "cache-dir", "no-cache")
	}
	if !lock {
		fs.StringArrayVarP(&o.tags, "tag", "t", nil, "push to this reference (repeatable)")
		fs.StringArrayVarP(&o.outputs, "output", "o", nil, "also write oci:DIR (OCI layout) or tar:FILE (docker load tarball) (repeatable)")
		fs.StringVar(&o.digestFile, "digest-file", "", "write the image digest to this file")
		fs.StringVar(&o.metadataFile, "metadata-file", "", "write build metadata (JSON) to this file")
		group(fs, "Output", "tag", "output", "digest-file", "metadata-file")
		fs.BoolVar(&o.ecr.Create, "create-repo", true, "create a missing ECR repository before pushing")
		fs.BoolVar(&o.ecr.ScanOnPush, "ecr-scan-on-push", false, "a repository brefimg creates scans images on push")
		fs.BoolVar(&o.ecr.ImmutableTags, "ecr-immutable-tags", false, "a repository brefimg creates has immutable tags")
		fs.IntVar(&o.ecr.MaxImages, "ecr-max-images", 0, "a repository brefimg creates expires untagged images beyond N (Serverless's provider.ecr.maxImages)")
		group(fs, "Amazon ECR", "create-repo", "ecr-scan-on-push", "ecr-immutable-tags", "ecr-max-images")
		addDeployFlags(fs, &o.deploy, "deploy")
		addServerlessFlags(fs, &o.sls)
	}
	fs.StringVar(&o.mirror, "mirror", "", "pull Docker Hub images (bref/...) through this registry: HOST[/PREFIX]")
	fs.StringArrayVar(&o.insecure, "insecure-registry", nil, "allow plain HTTP / unverified TLS for this host (repeatable)")
	fs.IntVar(&o.jobs, "jobs", registry.DefaultJobs, fmt.Sprintf("blobs pushed in parallel (%d for ECR)", ecr.DefaultJobs))
	fs.DurationVar(&o.timeout, "timeout", 0, "give up the whole command after this long, e.g. 10m (default: no limit; a registry silent for 60s fails a request)")
	group(fs, "Registry", "mirror", "insecure-registry", "jobs", "timeout")
	fs.StringVar(&o.epoch, "source-date-epoch", "", "timestamp for every file and the config, seconds since 1970 (default $SOURCE_DATE_EPOCH, else 0)")
	group(fs, "Reproducibility", "source-date-epoch")
	if lock {
		fs.BoolVar(&o.update, "update", false, "resolve every reference again, even those already pinned")
		group(fs, "Reproducibility", "update")
	} else {
		fs.BoolVar(&o.locked, "locked", false, "fail unless "+lockfile.Name+" pins every image; a pinned tag that moved since is a warning (lock-stale)")
		group(fs, "Reproducibility", "locked")
	}
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only the result")
	fs.StringVar(&o.progress, "progress", "auto", "progress output: auto (bars on a terminal, plain lines otherwise), plain or none")
	fs.BoolVar(&o.dryRun, "dry-run", false, "print the effective configuration and plan, build nothing")
	fs.Bool("help-all", false, "show every flag, the rarely used too")
	group(fs, "Display", "quiet", "progress", "dry-run", "help-all")
	if !lock {
		fs.BoolVar(&o.strict, "strict", false, "make every warning an error")
		fs.StringArrayVar(&o.skip, "skip-check", nil, "silence the findings with this ID (repeatable; the README lists every ID)")
		group(fs, "Checks", "strict", "skip-check")
	}
	if !lock {
		fs.BoolVar(&o.json, "json", false, "print the build metadata as JSON on stdout")
		group(fs, "Display", "json")
	}
	return fs
}

// parseBuildArgs parses the flags shared by build and lock, then fills
// the flags not given from the environment and brefimg.yaml; done is true
// when the command has already finished (help, dry run or bad usage) with code.
func parseBuildArgs(fs *pflag.FlagSet, o *buildOptions, usageText string, args []string, stdout, stderr io.Writer, getenv env) (code int, done bool) {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, usageText+groupedUsage(fs))
			return exitOK, true
		}
		return usageError(stderr, fs.Name(), parseError(fs, err)), true
	}
	if all, _ := fs.GetBool("help-all"); all {
		fmt.Fprint(stdout, usageText+groupedUsage(fs, true))
		return exitOK, true
	}
	switch fs.NArg() {
	case 0:
	case 1:
		o.flags.AppDir = fs.Arg(0)
	default:
		return usageError(stderr, fs.Name(), fmt.Errorf("one APP_DIR at most, got %q", fs.Args())), true
	}
	sources, err := applyConfig(fs, o.flags.AppDir, getenv)
	if err != nil {
		return usageError(stderr, fs.Name(), err), true
	}
	o.sources = sources
	o.fs = fs
	o.getenv = getenv
	switch o.progress {
	case "auto", "plain", "none":
	default:
		return usageError(stderr, fs.Name(), fmt.Errorf("--progress %q: use auto, plain or none", o.progress)), true
	}
	if o.jobs < 1 {
		return usageError(stderr, fs.Name(), fmt.Errorf("--jobs %d: must be at least 1", o.jobs)), true
	}
	if o.timeout < 0 {
		return usageError(stderr, fs.Name(), fmt.Errorf("--timeout %s: must not be negative", o.timeout)), true
	}
	epoch, err := parseEpoch(o.epoch, getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return usageError(stderr, fs.Name(), err), true
	}
	o.epochTime = epoch
	return 0, false
}

// dryRun prints every flag's effective value and where it came from, and
// the plan those flags make. A Bref line or PHP version the user did not
// give shows the plan's, and where the front end took it from (the app's
// composer.lock, its composer.json, the default).
func dryRun(w io.Writer, fs *pflag.FlagSet, o *buildOptions, pl plan.Plan) int {
	// chosen is the plan's value and source of a flag it chose, when the
	// user gave none: "1", "composer.lock bref/bref 1.7.3".
	chosen := func(name string) (string, string, bool) {
		value, src := pl.PHP, pl.PHPSource
		if name == "bref" {
			value, src = strconv.Itoa(pl.Line), pl.LineSource
		}
		if src == "" || src == plan.SourceFlag || o.sources[name] != fromDefault {
			return "", "", false
		}
		return value, src, true
	}
	fmt.Fprintln(w, "Effective configuration (flag > env > brefimg.yaml > default):")
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fs.VisitAll(func(f *pflag.Flag) {
		if configNotFromFile[f.Name] {
			return
		}
		if o.file != "" && o.sources[f.Name] == fromDefault && (slices.Contains(imageFlags, f.Name) || f.Name == "split") {
			return // the Dockerfile chooses these: their defaults do not apply
		}
		if v, src, ok := chosen(f.Name); ok && (f.Name == "bref" || f.Name == "php") {
			fmt.Fprintf(tw, "  --%s\t%s\t(%s)\n", f.Name, v, src)
			return
		}
		v := f.Value.String()
		if f.Name == "mirror" { // a credential in it is refused, and never shown
			v = registry.Redact(v)
		}
		if sv, ok := f.Value.(pflag.SliceValue); ok {
			items := sv.GetSlice()
			if f.Name == "build-arg" { // values may be secrets (COMPOSER_AUTH=…): names only
				for i, kv := range items {
					name, _, _ := strings.Cut(kv, "=")
					items[i] = name + "=…"
				}
			}
			v = strings.Join(items, ",")
		}
		fmt.Fprintf(tw, "  --%s\t%s\t(%s)\n", f.Name, v, o.sources[f.Name])
	})
	tw.Flush()
	fmt.Fprintln(w, "Plan:")
	if pl.LineSource != "" {
		where := func(name string) string {
			if _, src, ok := chosen(name); ok {
				return src
			}
			return string(o.sources[name]) // given, or the CLI's own default
		}
		fmt.Fprintf(w, "  Bref %d (%s), PHP %s (%s)\n", pl.Line, where("bref"), pl.PHP, where("php"))
	}
	if pl.Solve != nil {
		fmt.Fprintf(w, "  %s\n", solvePath(pl))
	}
	fmt.Fprintf(w, "  FROM %s (%s)\n", pl.Base, pl.Platform)
	for _, s := range pl.Steps {
		fmt.Fprintf(w, "  %s\n", s.CreatedBy)
	}
	if len(pl.Config.Env) > 0 {
		fmt.Fprintf(w, "  ENV %s\n", strings.Join(pl.Config.Env, " "))
	}
	fmt.Fprintf(w, "  CMD %q\n", pl.Config.Cmd)
	fmt.Fprintln(w, "Nothing was built (--dry-run).")
	return exitOK
}

// cache opens the layer cache the flags ask for; nil with --no-cache, or
// when the cache directory cannot be had or written (a read-only home in
// CI, a full disk): then brefimg says so and builds without. A cache that
// fails during the build is left the same way, with a warning.
func (o *buildOptions) cache(stderr io.Writer) (*layers.Cache, error) {
	dir := o.cacheDirectory()
	if o.noCache || dir == "" {
		return nil, nil
	}
	c, err := layers.OpenCache(dir, 0)
	if err != nil {
		fmt.Fprintf(stderr, "warning: building without a layer cache: %v\n", err)
		return nil, nil
	}
	c.OnDisable(func(err error) { fmt.Fprintf(stderr, "warning: %v\n", err) })
	return c, nil
}

// cacheDirectory is --cache-dir, else brefimg's directory in the user's
// cache; "" when there is none.
func (o *buildOptions) cacheDirectory() string {
	if o.cacheDir != "" {
		return o.cacheDir
	}
	base, err := cacheHome(o.getenv)
	if err != nil {
		return ""
	}
	return filepath.Join(base, "brefimg")
}

// ownFiles are the files the build writes (-o outputs, digest and metadata
// files): the builder leaves them out of the app, so that a build does not
// bake the previous one's outputs into its image.
func (o *buildOptions) ownFiles() []string {
	files := []string{o.digestFile, o.metadataFile}
	for _, v := range o.outputs {
		if out, err := registry.ParseOutput(v); err == nil {
			files = append(files, out.Path)
		}
	}
	return files
}

// imageFlags are the flags a Dockerfile replaces.
var imageFlags = []string{"bref", "php", "runtime", "ext", "base", "cmd"}

// plan makes the build plan with the front end the flags choose: the
// Dockerfile of -f, or the image flags. Dockerfile builds read each FROM
// image's config through client. It also reads brefimg.lock (unless
// noLock) for the builder.
func (o *buildOptions) plan(ctx context.Context, client *registry.Client) (plan.Plan, []findings.Finding, *lockfile.File, error) {
	dir := o.flags.AppDir
	if dir == "" {
		dir = "."
	}
	var lock *lockfile.File
	if !o.noLock {
		var err error
		if lock, err = lockfile.Read(dir); err != nil {
			return plan.Plan{}, nil, nil, plan.AsInput(plan.FieldLock, err)
		}
	}
	var pl plan.Plan
	var fs []findings.Finding
	var err error
	if o.file == "" {
		pl, err = o.flagPlan()
	} else {
		pl, fs, err = o.dockerfilePlan(ctx, client, dir, lock)
	}
	pl.Exclude = o.ownFiles()
	return pl, fs, lock, err
}

// flagPlan is the flag front end.
func (o *buildOptions) flagPlan() (plan.Plan, error) {
	for _, f := range []string{"build-arg", "target"} {
		if o.sources[f] != fromDefault {
			return plan.Plan{}, plan.Inputf(plan.FieldFile, "--%s needs -f Dockerfile", f)
		}
	}
	return flagplan.Plan(o.flags)
}

// dockerfilePlan is the Dockerfile front end.
func (o *buildOptions) dockerfilePlan(ctx context.Context, client *registry.Client, dir string, lock *lockfile.File) (plan.Plan, []findings.Finding, error) {
	for _, f := range imageFlags {
		if o.sources[f] == fromFlag {
			return plan.Plan{}, nil, plan.Inputf(plan.FieldFile, "--%s cannot be used with -f: the Dockerfile chooses the base image, the extensions and the CMD", f)
		}
	}
	f, err := os.Open(o.file)
	if err != nil {
		return plan.Plan{}, nil, plan.Inputf(plan.FieldFile, "-f %s: %v: name the Dockerfile to build", o.file, unwrapPath(err))
	}
	defer f.Close()
	opts := []dockerfile.Option{dockerfile.WithContextDir(dir), dockerfile.WithBuildArgs(o.buildArgs...),
		dockerfile.WithImageConfigs(dockerfile.RegistryConfigs(ctx, client, lock))}
	if o.unreachable != nil {
		opts = append(opts, dockerfile.WithUnreachableImages(o.unreachable.add))
	}
	if o.sources["platform"] != fromDefault {
		opts = append(opts, dockerfile.WithPlatform(o.flags.Platform))
	}
	if o.target != "" {
		opts = append(opts, dockerfile.WithTarget(o.target))
	}
	if o.runSteps() {
		opts = append(opts, dockerfile.WithRunSteps())
	}
	return dockerfile.Parse(f, o.file, opts...)
}

// runSteps reports whether a Dockerfile may RUN commands: when a BuildKit
// daemon runs them, and for brefimg lock, which runs none.
func (o *buildOptions) runSteps() bool {
	return o.noLock || o.buildkit.address(o.getenv) != ""
}

// cacheHome is the user's cache directory: $XDG_CACHE_HOME when it is an
// absolute path (on every system, as the --cache-dir help says), else the
// system's (os.UserCacheDir).
func cacheHome(getenv env) (string, error) {
	if d := getenv("XDG_CACHE_HOME"); filepath.IsAbs(d) {
		return d, nil
	}
	return os.UserCacheDir()
}

// builder makes brefimg's builder for the flags: layer cache, epoch, lock,
// and, when the plan RUNs commands (run), the BuildKit daemon they go to,
// whose progress rep shows (nil: none).
func (o *buildOptions) builder(client *registry.Client, lock *lockfile.File, stderr io.Writer, rep *reporter, run bool) (*builder.Builder, func(), error) {
	cache, err := o.cache(stderr)
	if err != nil {
		return nil, nil, plan.AsInput(plan.FieldAppDir, err)
	}
	opts := []builder.Option{builder.WithEpoch(o.epochTime), builder.WithLock(lock, o.locked)}
	var closers []func()
	done := func() {
		for _, c := range closers {
			c()
		}
	}
	if cache != nil {
		opts = append(opts, builder.WithCache(cache))
		closers = append(closers, func() { cache.Close() })
	}
	var solver *buildkit.Solver
	if run {
		if solver, err = o.solver(rep); err != nil {
			done()
			return nil, nil, plan.AsInput(plan.FieldFile, err)
		}
	}
	if solver != nil {
		opts = append(opts, builder.WithSolver(solver))
		closers = append(closers, func() { solver.Close() })
	}
	b, err := builder.New(client, opts...)
	if err != nil {
		done()
		return nil, nil, err
	}
	return b, done, nil
}

func unwrapPath(err error) error {
	var pe *os.PathError
	if errors.As(err, &pe) {
		return pe.Err
	}
	return err
}

// withTimeout bounds ctx by --timeout.
func (o *buildOptions) withTimeout(ctx context.Context) (context.Context, context.CancelFunc) {
	if o.timeout > 0 {
		return context.WithTimeoutCause(ctx, o.timeout, fmt.Errorf("--timeout %s reached", o.timeout))
	}
	return context.WithCancel(ctx)
}

// policy is what --strict and --skip-check ask for.
func (o *buildOptions) policy() pipeline.Policy {
	var skip []string
	for _, s := range o.skip {
		for _, id := range strings.Split(s, ",") {
			if id = strings.TrimSpace(id); id != "" {
				skip = append(skip, id)
			}
		}
	}
	return pipeline.Policy{Skip: skip, Strict: o.strict}
}

// client makes the registry client the flags ask for: credentials from
// the docker config, then (for Amazon ECR hosts) the AWS SDK's default
// chain; for pushes to ECR, the repositories are created as the flags say.
func (o *buildOptions) client(repos *ecr.Repositories, opts ...registry.Option) (*registry.Client, error) {
	kc, err := ecr.NewKeychain()
	if err != nil {
		return nil, err
	}
	jobs := o.jobs
	if o.sources["jobs"] == fromDefault && anyECR(o.tags) {
		jobs = ecr.DefaultJobs
	}
	ropts := append([]registry.Option{registry.WithJobs(jobs), registry.WithInsecure(o.insecure...), registry.WithKeychain(kc)}, opts...)
	if repos != nil {
		ropts = append(ropts, registry.WithHooks(repos.Hooks()))
	}
	if o.mirror != "" {
		ropts = append(ropts, registry.WithMirror(o.mirror))
	}
	return registry.New(ropts...)
}

// anyECR reports whether a tag names an Amazon ECR registry.
func anyECR(tags []string) bool {
	for _, t := range tags {
		if ref, err := name.ParseReference(t); err == nil {
			if _, ok := ecr.ParseHost(ref.Context().RegistryStr()); ok {
				return true
			}
		}
	}
	return false
}

func runBuild(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	var o buildOptions
	fs := newBuildFlags(&o, false)
	if code, done := parseBuildArgs(fs, &o, buildUsage, args, stdout, stderr, getenv); done {
		return code
	}
	ctx, cancel := o.withTimeout(ctx)
	defer cancel()
	rep := newReporter(stderr, o.progress, o.quiet)
	defer rep.wait()
	rep.printFindings = func(fs []findings.Finding) { printFindings(stderr, fs, o.flags.AppDir, o.file, o.quiet, getenv) }
	if o.sls.file != "" {
		return o.runServerless(ctx, stdout, stderr, rep)
	}
	s, err := o.setup(rep, stderr)
	if err != nil {
		return usageError(stderr, "build", err)
	}
	if o.dryRun {
		o.unreachable = &unreachableImages{ctx: ctx}
	}
	pl, planFindings, lock, err := o.plan(ctx, s.client)
	if err != nil {
		return o.fail(stderr, err)
	}
	if o.dryRun {
		return o.printDryRun(stdout, stderr, fs, pl)
	}
	b, done, err := o.builder(s.client, lock, stderr, rep, pl.Solve != nil)
	if err != nil {
		return o.fail(stderr, err)
	}
	defer done()
	opts := []pipeline.Option{pipeline.WithPolicy(o.policy()), pipeline.WithLock(lock, o.locked),
		pipeline.WithOutputs(s.outputs...), pipeline.WithPush(s.client, s.targets...), pipeline.WithObserver(rep), pipeline.WithNotes(rep.linef)}
	if d := o.deploy.deployer(rep.linef); d != nil {
		opts = append(opts, pipeline.WithDeploy(d))
	}
	r, err := pipeline.Run(ctx, b, pl, planFindings, opts...)
	if r != nil {
		defer r.Close()
	}
	if err != nil {
		rep.wait()
		for _, p := range r.Pushed {
			fmt.Fprintf(stderr, "brefimg: %s was pushed before the failure\n", p)
		}
		return o.fail(stderr, err)
	}
	md, err := metadata(r, s.repos.List())
	if err != nil {
		return o.fail(stderr, err)
	}
	if err := o.writeFiles(r.Digest, md); err != nil {
		return o.fail(stderr, afterPush(err, r))
	}
	if err := githubOutputs(getenv, imageURI(r), r.Digest.String(), r.Deployed); err != nil {
		fmt.Fprintf(stderr, "warning: writing the GitHub Actions outputs: %v\n", err)
	}
	o.printResult(stdout, stderr, rep, r, md)
	return exitOK
}

// setup is what a build needs before it starts, all checked first: the
// registry client (with the ECR repositories to create), the targets and
// the outputs.
type setup struct {
	client  *registry.Client
	repos   *ecr.Repositories
	targets []name.Reference
	outputs []registry.Output
}

// setup validates the flags that need no network and makes the client:
// every reference, and (unless --dry-run) every output path, is checked
// here, before anything is built or pushed.
func (o *buildOptions) setup(rep *reporter, stderr io.Writer) (*setup, error) {
	if err := o.policy().Validate(); err != nil {
		return nil, err
	}
	if err := o.ecr.Validate(); err != nil {
		return nil, err
	}
	if err := o.deploy.validate("deploy"); err != nil {
		return nil, err
	}
	if len(o.deploy.names()) > 0 && !anyECR(o.tags) {
		return nil, errors.New("--deploy needs the image in Amazon ECR, where Lambda takes images from: add -t <account>.dkr.ecr.<region>.amazonaws.com/REPO:TAG")
	}
	repos, err := ecr.NewRepositories(o.ecr)
	if err != nil {
		return nil, err
	}
	client, err := o.client(repos, registry.WithEvents(rep.event))
	if err != nil {
		return nil, err
	}
	if err := o.checkSources(); err != nil {
		return nil, err
	}
	s := &setup{client: client, repos: repos}
	if s.targets, err = o.targets(client, stderr); err != nil {
		return nil, err
	}
	for _, v := range o.outputs {
		out, err := registry.ParseOutput(v)
		if err != nil {
			return nil, err
		}
		s.outputs = append(s.outputs, out)
	}
	if err := o.checkPaths(s.outputs); err != nil {
		return nil, err
	}
	return s, nil
}

// targets parses every -t, refusing one no registry would take; a tag
// given twice is pushed once.
func (o *buildOptions) targets(client *registry.Client, stderr io.Writer) ([]name.Reference, error) {
	var out []name.Reference
	for _, t := range o.tags {
		if strings.HasPrefix(t, "-") {
			return nil, fmt.Errorf("-t %q: -t takes a reference (REGISTRY/REPOSITORY:TAG), and %s is a flag: was the value left out?", t, t)
		}
		ref, err := client.Target(t)
		if err != nil {
			return nil, err
		}
		if p := refProblem(ref); p != "" {
			return nil, fmt.Errorf("-t %q: %s", t, p)
		}
		if slices.ContainsFunc(out, func(r name.Reference) bool { return r.Name() == ref.Name() }) {
			continue
		}
		if h, ok := ecr.ParseHost(ref.Context().RegistryStr()); ok && h.Warning() != "" {
			fmt.Fprintf(stderr, "warning: %s: %s\n", t, h.Warning())
		}
		out = append(out, ref)
	}
	return out, nil
}

// checkSources refuses a --base or --mirror that parses but names no
// registry that could answer (a port out of range, a malformed
// repository). A --base that does not parse at all is left to the front
// end, which names it; --mirror has been parsed by the client already.
func (o *buildOptions) checkSources() error {
	if ref, err := name.ParseReference(o.flags.Base); o.flags.Base != "" && err == nil {
		if p := refProblem(ref); p != "" {
			return fmt.Errorf("--base %q: %s", o.flags.Base, p)
		}
	}
	if o.mirror != "" {
		m := strings.TrimPrefix(strings.TrimPrefix(o.mirror, "https://"), "http://")
		host, _, _ := strings.Cut(m, "/")
		if p := portProblem(host); p != "" {
			return fmt.Errorf("--mirror %q: %s", o.mirror, p)
		}
	}
	return nil
}

// pathComponent is a repository path component as the registry API
// (distribution's reference grammar) takes it.
var pathComponent = regexp.MustCompile(`^[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*$`)

// refProblem says what makes a parsed reference one no registry takes:
// go-containerregistry parses ports and path components more loosely than
// registries and the network do. It returns "" for a good one.
func refProblem(ref name.Reference) string {
	if p := portProblem(ref.Context().RegistryStr()); p != "" {
		return p
	}
	for _, c := range strings.Split(ref.Context().RepositoryStr(), "/") {
		switch {
		case c == "":
			return "the repository has an empty path component (//, or a / at either end)"
		case !pathComponent.MatchString(c):
			return fmt.Sprintf("path component %q of the repository must be lowercase letters and digits, separated by '.', '_', '__' or '-'", c)
		}
	}
	return ""
}

// portProblem says what is wrong with the port of host ("host:port",
// "[::1]:port"), "" when it has none or a good one.
func portProblem(host string) string {
	i := strings.LastIndex(host, ":")
	if i < 0 || i < strings.LastIndex(host, "]") {
		return ""
	}
	p := host[i+1:]
	if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
		return fmt.Sprintf("port %s is not a port number (1 to 65535)", p)
	}
	return ""
}

// checkPaths checks, before anything is built or pushed, that every file
// and output the flags name can be written there. A dry run writes
// nothing, and checks nothing: the directories may be made before the
// real build.
func (o *buildOptions) checkPaths(outputs []registry.Output) error {
	if o.dryRun {
		return nil
	}
	files := []struct{ flag, path string }{
		{"--digest-file", o.digestFile}, {"--metadata-file", o.metadataFile}, {"--images-file", o.sls.imagesFile},
	}
	for _, f := range files {
		if f.path == "" {
			continue
		}
		if err := registry.CheckFile(f.path); err != nil {
			return fmt.Errorf("%s %s: %w", f.flag, f.path, err)
		}
	}
	for _, out := range outputs {
		if err := out.Check(); err != nil {
			return err
		}
	}
	return nil
}

// writeFiles writes --digest-file and --metadata-file.
func (o *buildOptions) writeFiles(digest v1.Hash, md []byte) error {
	if o.digestFile != "" {
		if err := registry.WriteFile(o.digestFile, []byte(digest.String()+"\n")); err != nil {
			return fmt.Errorf("--digest-file: %w", err)
		}
	}
	if o.metadataFile != "" {
		if err := registry.WriteFile(o.metadataFile, md); err != nil {
			return fmt.Errorf("--metadata-file: %w", err)
		}
	}
	return nil
}

// afterPush adds to err, a failure after the push, that the image was
// pushed (and deployed), and where: the tags have moved.
func afterPush(err error, r *pipeline.Report) error {
	if len(r.Pushed) == 0 {
		return err
	}
	var refs []string
	for _, p := range pushedRefs(r) {
		refs = append(refs, p.String())
	}
	done := "the image was pushed"
	if len(r.Deployed) > 0 {
		done += fmt.Sprintf(" and deployed to %d function(s)", len(r.Deployed))
	}
	return fmt.Errorf("%w; %s: %s", err, done, strings.Join(refs, ", "))
}

// pushedRefs are the digest references pushed, each once: two tags of a
// repository give one.
func pushedRefs(r *pipeline.Report) []name.Digest {
	var refs []name.Digest
	for _, p := range r.Pushed {
		if !slices.ContainsFunc(refs, func(q name.Digest) bool { return q.String() == p.String() }) {
			refs = append(refs, p)
		}
	}
	return refs
}

// isECR reports whether a pushed reference is in Amazon ECR.
func isECR(p name.Digest) bool {
	_, ok := ecr.ParseHost(p.RegistryStr())
	return ok
}

// imageURI is the reference to deploy: the first pushed to Amazon ECR,
// else the first pushed, else the digest.
func imageURI(r *pipeline.Report) string {
	for _, p := range r.Pushed {
		if isECR(p) {
			return p.String()
		}
	}
	if len(r.Pushed) > 0 {
		return r.Pushed[0].String()
	}
	return r.Digest.String()
}

// printResult prints the summary, the ECR ImageUri lines and the result:
// the metadata with --json, else the digest references pushed (the digest
// when nothing was pushed).
func (o *buildOptions) printResult(stdout, stderr io.Writer, rep *reporter, r *pipeline.Report, md []byte) {
	result := r.Digest.String()
	if len(r.Pushed) > 0 {
		result = r.Pushed[0].String()
	}
	rep.summary(result, r.Result.Image, r.Result.Added())
	if len(r.Pushed) == 0 && len(o.outputs) == 0 && !o.quiet {
		fmt.Fprintln(stderr, "note: nothing was pushed or written (no -t and no -o): the build was checked, and its digest is printed")
	}
	refs := pushedRefs(r)
	for _, p := range refs {
		if isECR(p) && !o.quiet {
			fmt.Fprintf(stderr, "ImageUri: %s\n", p)
		}
	}
	switch {
	case o.json:
		stdout.Write(md)
	case o.quiet || len(refs) == 0:
		// One line, for IMG=$(brefimg build -q …): the reference to deploy.
		fmt.Fprintln(stdout, imageURI(r))
	default:
		for _, p := range refs {
			fmt.Fprintln(stdout, p)
		}
	}
}

// parseEpoch reads --source-date-epoch, else $SOURCE_DATE_EPOCH, else 0.
func parseEpoch(flag, envValue string) (time.Time, error) {
	what, s := "--source-date-epoch", flag
	if s == "" {
		what, s = "SOURCE_DATE_EPOCH", envValue
	}
	if s == "" {
		return time.Unix(0, 0).UTC(), nil
	}
	n, err := strconv.ParseInt(strings.TrimSpace(s), 10, 64)
	if err != nil || n < 0 {
		return time.Time{}, fmt.Errorf("%s %q: give whole seconds since 1970 (e.g. $(git log -1 --format=%%ct))", what, s)
	}
	return time.Unix(n, 0).UTC(), nil
}

// Metadata is what --metadata-file and --json write.
type Metadata struct {
	// Brefimg is the brefimg that built the image.
	Brefimg    Version            `json:"brefimg"`
	References []string           `json:"references"`
	Digest     string             `json:"digest"`
	MediaType  string             `json:"mediaType"`
	Platform   string             `json:"platform"`
	Base       plan.Input         `json:"base"`
	Inputs     []plan.Input       `json:"extensions"`
	Layers     []LayerMetadata    `json:"layers"`
	Findings   []findings.Finding `json:"findings"`
	// Repositories are the Amazon ECR repositories pushed to, and whether brefimg created them.
	Repositories []ecr.Repository `json:"repositories,omitempty"`
	// Deployments are the Lambda functions updated (--deploy) and what each now runs.
	Deployments []deploy.Result `json:"deployments,omitempty"`
}

// LayerMetadata describes one layer of the image.
type LayerMetadata struct {
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	MediaType string `json:"mediaType"`
	plan.Origin
}

func metadata(r *pipeline.Report, repos []ecr.Repository) ([]byte, error) {
	res := r.Result
	m, err := res.Image.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading the manifest: %w", err)
	}
	d, err := res.Image.Digest()
	if err != nil {
		return nil, fmt.Errorf("computing the image digest: %w", err)
	}
	md := Metadata{Brefimg: buildVersion(), References: []string{}, Digest: d.String(), MediaType: string(m.MediaType), Platform: res.Platform.String(),
		Base: res.Base, Inputs: res.Inputs, Findings: r.Findings, Repositories: repos, Deployments: r.Deployed}
	if md.Inputs == nil {
		md.Inputs = []plan.Input{}
	}
	if md.Findings == nil {
		md.Findings = []findings.Finding{}
	}
	for _, p := range pushedRefs(r) {
		md.References = append(md.References, p.String())
	}
	for i, l := range m.Layers {
		lm := LayerMetadata{Digest: l.Digest.String(), Size: l.Size, MediaType: string(l.MediaType)}
		if i < len(res.Origins) {
			lm.Origin = res.Origins[i]
		}
		md.Layers = append(md.Layers, lm)
	}
	b, err := json.MarshalIndent(md, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}

// usageError reports bad usage of command and returns exit code 2.
func usageError(stderr io.Writer, command string, err error) int {
	fmt.Fprintf(stderr, "brefimg: %v\nRun 'brefimg help %s' for usage.\n", err, command)
	return exitUsage
}

// fail reports err with exit code 2 for input errors, 1 otherwise.
func fail(stderr io.Writer, err error) int {
	switch {
	case errors.Is(err, context.DeadlineExceeded):
		fmt.Fprintf(stderr, "brefimg: gave up: a deadline passed (--timeout, or a registry request); no output was left half-written: %v\n", err)
		return exitBuild
	case errors.Is(err, context.Canceled):
		fmt.Fprintf(stderr, "brefimg: interrupted; nothing was left half-written: %v\n", err)
		return exitBuild
	}
	fmt.Fprintf(stderr, "brefimg: %v\n", err)
	if plan.IsInput(err) {
		return exitUsage
	}
	return exitBuild
}

// fail reports err as [fail] does, first naming the flag, variable or
// brefimg.yaml key that set the input it is about.
func (o *buildOptions) fail(stderr io.Writer, err error) int {
	if name := o.inputName(plan.FieldOf(err)); name != "" {
		err = fmt.Errorf("%s: %w", name, err)
	}
	return fail(stderr, err)
}
