package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/spf13/pflag"

	"github.com/brefimg/brefimg/build"
	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/lockfile"
	"github.com/brefimg/brefimg/registry"
)

const buildUsage = `Usage: brefimg build [flags] [APP_DIR]

Builds a Lambda image: a Bref base image, the bref/extra-* extension images'
/opt files, and APP_DIR (default ".") under /var/task; then pushes it to every
-t and writes every -o. Prints the digest reference Lambda deploys.

Examples:
  brefimg build --bref 1 --php 8.0 --ext redis,gmp -t registry.example.com/app:1 ./app
  brefimg build --ext gmp@3 -o oci:out/image .
  brefimg build --bref 2 --platform linux/arm64 -o tar:image.tar .

Flags:
`

// buildOptions holds the parsed flags of `brefimg build`.
type buildOptions struct {
	flags        build.Flags
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
}

func newBuildFlags(o *buildOptions) *pflag.FlagSet {
	fs := pflag.NewFlagSet("build", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.IntVar(&o.flags.Line, "bref", extensions.DefaultLine, "Bref major line: 1, 2 or 3")
	fs.StringVar(&o.flags.PHP, "php", "", "PHP version, 8.0 or 80 (default: the line's newest)")
	fs.StringVar(&o.flags.Runtime, "runtime", "fpm", "Bref runtime: fpm, function or console")
	fs.StringVar(&o.flags.Platform, "platform", "linux/amd64", "linux/amd64 or linux/arm64")
	fs.StringArrayVar(&o.flags.Exts, "ext", nil, "extension images to add, e.g. redis,gmp or redis@0.12 (repeatable)")
	fs.StringVar(&o.flags.Base, "base", "", "use this base image instead of the catalog's")
	fs.StringVar(&o.flags.Cmd, "cmd", "", "the handler, relative to /var/task (default per runtime: public/index.php for fpm)")
	fs.StringArrayVarP(&o.tags, "tag", "t", nil, "push to this reference (repeatable)")
	fs.StringArrayVarP(&o.outputs, "output", "o", nil, "also write oci:DIR (OCI layout) or tar:FILE (docker load tarball) (repeatable)")
	fs.StringVar(&o.mirror, "mirror", "", "pull Docker Hub images (bref/...) through this registry: HOST[/PREFIX]")
	fs.StringArrayVar(&o.insecure, "insecure-registry", nil, "allow plain HTTP / unverified TLS for this host (repeatable)")
	fs.StringVar(&o.digestFile, "digest-file", "", "write the image digest to this file")
	fs.StringVar(&o.metadataFile, "metadata-file", "", "write build metadata (JSON) to this file")
	fs.StringVar(&o.epoch, "source-date-epoch", "", "timestamp for every file and the config, seconds since 1970 (default $SOURCE_DATE_EPOCH, else 0)")
	fs.IntVar(&o.jobs, "jobs", registry.DefaultJobs, "blobs pushed in parallel")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only the digest reference")
	fs.StringVar(&o.progress, "progress", "auto", "progress output: auto, plain or none")
	fs.BoolVar(&o.json, "json", false, "print the build metadata as JSON on stdout")
	return fs
}

// parseBuildArgs parses the flags shared by build and lock; done is true
// when the command has already finished (help, or bad usage) with code.
func parseBuildArgs(fs *pflag.FlagSet, o *buildOptions, usageText string, args []string, stdout, stderr io.Writer, getenv env) (code int, done bool) {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, usageText+fs.FlagUsages())
			return exitOK, true
		}
		return usageError(stderr, err), true
	}
	switch fs.NArg() {
	case 0:
	case 1:
		o.flags.AppDir = fs.Arg(0)
	default:
		return usageError(stderr, fmt.Errorf("one APP_DIR at most, got %q", fs.Args())), true
	}
	switch o.progress {
	case "auto", "plain", "none":
	default:
		return usageError(stderr, fmt.Errorf("--progress %q: use auto, plain or none", o.progress)), true
	}
	if o.jobs < 1 {
		return usageError(stderr, fmt.Errorf("--jobs %d: must be at least 1", o.jobs)), true
	}
	epoch, err := parseEpoch(o.epoch, getenv("SOURCE_DATE_EPOCH"))
	if err != nil {
		return usageError(stderr, err), true
	}
	o.flags.Epoch = epoch
	return 0, false
}

// client makes the registry client the flags ask for.
func (o *buildOptions) client() (*registry.Client, error) {
	ropts := []registry.Option{registry.WithJobs(o.jobs), registry.WithInsecure(o.insecure...)}
	if o.mirror != "" {
		ropts = append(ropts, registry.WithMirror(o.mirror))
	}
	return registry.New(ropts...)
}

func runBuild(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	var o buildOptions
	fs := newBuildFlags(&o)
	fs.BoolVar(&o.flags.Locked, "locked", false, "fail unless "+lockfile.Name+" pins every image, to the digest its tag still has")
	if code, done := parseBuildArgs(fs, &o, buildUsage, args, stdout, stderr, getenv); done {
		return code
	}
	log := func(format string, a ...any) {
		if !o.quiet && o.progress != "none" {
			fmt.Fprintf(stderr, format+"\n", a...)
		}
	}

	plan, err := build.NewPlan(o.flags)
	if err != nil {
		return fail(stderr, err)
	}
	client, err := o.client()
	if err != nil {
		return usageError(stderr, err)
	}
	targets := make([]name.Reference, 0, len(o.tags))
	for _, t := range o.tags {
		ref, err := client.Target(t)
		if err != nil {
			return usageError(stderr, err)
		}
		targets = append(targets, ref)
	}
	outputs := make([]registry.Output, 0, len(o.outputs))
	for _, s := range o.outputs {
		out, err := registry.ParseOutput(s)
		if err != nil {
			return usageError(stderr, err)
		}
		outputs = append(outputs, out)
	}

	start := time.Now()
	res, err := build.Build(ctx, client, plan)
	if err != nil {
		return fail(stderr, err)
	}
	defer res.Close()
	log("base %s -> %s", res.Base.Ref, res.Base.Digest)
	for _, in := range res.Inputs {
		log("extension %s: %s -> %s", in.Name, in.Ref, in.Digest)
	}
	for _, f := range res.Findings {
		fmt.Fprintln(stderr, f.String())
	}
	if errs := build.Errors(res.Findings); len(errs) > 0 {
		fmt.Fprintf(stderr, "brefimg: build stopped by %d error(s) above; nothing was written\n", len(errs))
		return exitUsage
	}
	digest, err := res.Image.Digest()
	if err != nil {
		return fail(stderr, fmt.Errorf("computing the image digest: %w", err))
	}

	tagStrings := make([]string, len(targets))
	for i, t := range targets {
		tagStrings[i] = t.Name()
	}
	for _, out := range outputs {
		if err := out.Write(res.Image, tagStrings); err != nil {
			return fail(stderr, err)
		}
		log("wrote %s", out)
	}
	pushed, err := client.Push(ctx, res.Image, targets)
	if err != nil {
		return fail(stderr, err)
	}
	md, err := metadata(res, pushed)
	if err != nil {
		return fail(stderr, err)
	}
	if o.digestFile != "" {
		if err := registry.WriteFile(o.digestFile, []byte(digest.String()+"\n")); err != nil {
			return fail(stderr, fmt.Errorf("--digest-file: %w", err))
		}
	}
	if o.metadataFile != "" {
		if err := registry.WriteFile(o.metadataFile, md); err != nil {
			return fail(stderr, fmt.Errorf("--metadata-file: %w", err))
		}
	}
	log("built %s in %s", digest, time.Since(start).Round(time.Millisecond))
	switch {
	case o.json:
		stdout.Write(md)
	case len(pushed) == 0:
		fmt.Fprintln(stdout, digest)
	default:
		for _, p := range pushed {
			fmt.Fprintln(stdout, p)
		}
	}
	return exitOK
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
	References []string        `json:"references"`
	Digest     string          `json:"digest"`
	MediaType  string          `json:"mediaType"`
	Platform   string          `json:"platform"`
	Base       build.Input     `json:"base"`
	Inputs     []build.Input   `json:"extensions"`
	Layers     []LayerMetadata `json:"layers"`
	Findings   []build.Finding `json:"findings"`
}

// LayerMetadata describes one layer of the image.
type LayerMetadata struct {
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	MediaType string `json:"mediaType"`
	build.Origin
}

func metadata(res *build.Result, pushed []name.Digest) ([]byte, error) {
	m, err := res.Image.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading the manifest: %w", err)
	}
	d, err := res.Image.Digest()
	if err != nil {
		return nil, fmt.Errorf("computing the image digest: %w", err)
	}
	md := Metadata{References: []string{}, Digest: d.String(), MediaType: string(m.MediaType), Platform: res.Platform,
		Base: res.Base, Inputs: res.Inputs, Findings: res.Findings}
	if md.Inputs == nil {
		md.Inputs = []build.Input{}
	}
	if md.Findings == nil {
		md.Findings = []build.Finding{}
	}
	for _, p := range pushed {
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

// usageError reports bad usage and returns exit code 2.
func usageError(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "brefimg: %v\nRun 'brefimg help build' for usage.\n", err)
	return exitUsage
}

// fail reports err with exit code 2 for input errors, 1 otherwise.
func fail(stderr io.Writer, err error) int {
	fmt.Fprintf(stderr, "brefimg: %v\n", err)
	var in *build.InputError
	if errors.As(err, &in) || registry.IsInput(err) {
		return exitUsage
	}
	return exitBuild
}
