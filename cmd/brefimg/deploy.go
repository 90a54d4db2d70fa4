package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

	"github.com/brefimg/brefimg/deploy"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

const deployUsage = `Usage: brefimg deploy --function NAME[,NAME…] [flags] REF

Points each Lambda function at the image REF by its digest (a tag is
resolved to its digest first: Lambda keeps running the old image when only
a tag moves), having checked that the function exists, is an image function
in the image's region and has the image's architecture; then waits until
Lambda has finished the update. A function already on that digest is left
alone. Credentials come from the AWS SDK's default chain, as for ECR.

Examples:
  brefimg deploy --function my-api 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef
  brefimg deploy --function my-api,my-worker --publish --alias live 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1

`

// deployOptions are the flags of a deploy, for build --deploy and deploy.
type deployOptions struct {
	functions []string
	publish   bool
	alias     string
}

// addDeployFlags declares the deploy flags; flag is the name of the
// functions' flag ("deploy" for build, "function" for deploy).
func addDeployFlags(fs *pflag.FlagSet, d *deployOptions, flag string) {
	fs.StringArrayVar(&d.functions, flag, nil, "update this Lambda function to the image, by digest (repeatable, or NAME,NAME)")
	fs.BoolVar(&d.publish, "publish", false, "publish a version of each function after the update")
	fs.StringVar(&d.alias, "alias", "", "point this alias at the published version (implies --publish)")
	group(fs, "Deploy to Lambda", flag, "publish", "alias")
}

// names returns the functions named, split at commas.
func (d *deployOptions) names() []string {
	var out []string
	for _, f := range d.functions {
		for _, n := range strings.Split(f, ",") {
			if n = strings.TrimSpace(n); n != "" {
				out = append(out, n)
			}
		}
	}
	return out
}

// deployer is what the flags ask to deploy, with progress lines; nil when
// no function is named.
func (d *deployOptions) deployer(progress func(format string, a ...any)) *deploy.Functions {
	names := d.names()
	if len(names) == 0 {
		return nil
	}
	opts := []deploy.Option{deploy.WithProgress(progress)}
	if d.publish {
		opts = append(opts, deploy.WithPublish())
	}
	if d.alias != "" {
		opts = append(opts, deploy.WithAlias(d.alias))
	}
	return &deploy.Functions{Names: names, Options: opts}
}

// validate refuses flags that make no deploy: an alias or --publish without
// a function.
func (d *deployOptions) validate(flag string) error {
	if len(d.names()) == 0 && (d.publish || d.alias != "") {
		return fmt.Errorf("--publish and --alias need --%s NAME: the function to deploy to", flag)
	}
	return nil
}

// newDeployFlags declares the flags of deploy.
func newDeployFlags(o *buildOptions) *pflag.FlagSet {
	fs := pflag.NewFlagSet("deploy", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	addDeployFlags(fs, &o.deploy, "function")
	fs.StringVar(&o.metadataFile, "metadata-file", "", "write what each function now runs (JSON) to this file")
	fs.BoolVar(&o.json, "json", false, "print what each function now runs as JSON on stdout")
	fs.DurationVar(&o.timeout, "timeout", 0, "give up after this long, e.g. 10m (default: 15 minutes per update)")
	fs.StringArrayVar(&o.insecure, "insecure-registry", nil, "allow plain HTTP / unverified TLS for this host (repeatable)")
	fs.BoolVarP(&o.quiet, "quiet", "q", false, "print only the result")
	group(fs, "Output", "metadata-file", "json", "quiet")
	group(fs, "Registry", "timeout", "insecure-registry")
	return fs
}

func runDeploy(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	var o buildOptions
	fs := newDeployFlags(&o)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, deployUsage+groupedUsage(fs))
			return exitOK
		}
		return usageError(stderr, "deploy", parseError(fs, err))
	}
	if fs.NArg() != 1 || len(o.deploy.names()) == 0 {
		return usageError(stderr, "deploy", errors.New("name the functions with --function NAME and one image REF"))
	}
	o.fs, o.getenv = fs, getenv
	o.sources = map[string]source{"function": fromFlag}
	o.jobs = registry.DefaultJobs
	ctx, cancel := o.withTimeout(ctx)
	defer cancel()
	client, err := o.client(nil)
	if err != nil {
		return usageError(stderr, "deploy", err)
	}
	img, res, err := client.Image(ctx, fs.Arg(0), v1.Platform{})
	if err != nil {
		return o.fail(stderr, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return o.fail(stderr, err)
	}
	pulled, err := name.ParseReference(res.Name)
	if err != nil {
		return o.fail(stderr, plan.AsInput(plan.FieldImage, err))
	}
	ref := pulled.Context().Digest(res.Digest.String())
	progress := func(format string, a ...any) {
		if !o.quiet {
			fmt.Fprintf(stderr, format+"\n", a...)
		}
	}
	results, err := o.deploy.deployer(progress).Deploy(ctx, ref, *cf.Platform())
	if err != nil {
		return o.fail(stderr, err)
	}
	return o.printDeployed(stdout, stderr, ref, results)
}

// printDeployed writes the deploy command's result: the metadata file, the
// CI outputs, and each function's line (or JSON).
func (o *buildOptions) printDeployed(stdout, stderr io.Writer, ref name.Digest, results []deploy.Result) int {
	b, err := json.MarshalIndent(struct {
		Image       string          `json:"image"`
		Deployments []deploy.Result `json:"deployments"`
	}{ref.String(), results}, "", "  ")
	if err != nil {
		return o.fail(stderr, err)
	}
	b = append(b, '\n')
	if err := o.writeFiles(v1.Hash{}, b); err != nil {
		return o.fail(stderr, err)
	}
	if err := githubOutputs(o.getenv, ref.String(), ref.DigestStr(), results); err != nil {
		fmt.Fprintf(stderr, "warning: writing the GitHub Actions outputs: %v\n", err)
	}
	if o.json {
		stdout.Write(b)
		return exitOK
	}
	for _, r := range results {
		fmt.Fprintln(stdout, deployedLine(r))
	}
	return exitOK
}

// deployedLine is one function's result: "ARN VERSION DIGEST".
func deployedLine(r deploy.Result) string {
	line := r.ARN + " " + r.Version
	if r.Alias != "" {
		line += " (alias " + r.Alias + ")"
	}
	line += " " + r.Image
	if r.UpToDate {
		line += " (already up to date)"
	}
	return line
}

// githubOutputs writes image-uri, digest and deployed (JSON) to
// $GITHUB_OUTPUT, and a short table to $GITHUB_STEP_SUMMARY, when GitHub
// Actions sets them.
func githubOutputs(getenv env, imageURI, digest string, results []deploy.Result) error {
	if out := getenv("GITHUB_OUTPUT"); out != "" {
		deployed, err := json.Marshal(results)
		if err != nil {
			return err
		}
		if results == nil {
			deployed = []byte("[]")
		}
		text := fmt.Sprintf("image-uri=%s\ndigest=%s\ndeployed=%s\n", imageURI, digest, deployed)
		if err := appendFile(out, text); err != nil {
			return err
		}
	}
	if summary := getenv("GITHUB_STEP_SUMMARY"); summary != "" {
		var b strings.Builder
		fmt.Fprintf(&b, "### brefimg\n\n| image | digest |\n|---|---|\n| `%s` | `%s` |\n", imageURI, digest)
		if len(results) > 0 {
			b.WriteString("\n| function | version | status |\n|---|---|---|\n")
			for _, r := range results {
				status := "updated"
				if r.UpToDate {
					status = "already up to date"
				}
				fmt.Fprintf(&b, "| `%s` | %s | %s |\n", r.Function, r.Version, status)
			}
		}
		return appendFile(summary, b.String())
	}
	return nil
}

// appendFile appends text to the file at path, as GitHub Actions expects
// its command files to be written.
func appendFile(path, text string) error {
	f, err := os.OpenFile(path, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := f.WriteString(text); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}
