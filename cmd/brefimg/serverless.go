package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/spf13/pflag"

	"github.com/brefimg/brefimg/deploy"
	"github.com/brefimg/brefimg/dockerfile"
	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/lockfile"
	"github.com/brefimg/brefimg/pipeline"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
	"github.com/brefimg/brefimg/registry/ecr"
	"github.com/brefimg/brefimg/serverless"
)

// serverlessOptions are the flags of build --serverless.
type serverlessOptions struct {
	file       string
	stage      string
	region     string
	imagesFile string
}

// addServerlessFlags declares the serverless.yml flags of build.
func addServerlessFlags(fs *pflag.FlagSet, s *serverlessOptions) {
	fs.StringVar(&s.file, "serverless", "", "build every image of this serverless.yml (--serverless alone: APP_DIR/serverless.yml) and push each where Serverless would")
	fs.Lookup("serverless").NoOptDefVal = "serverless.yml"
	fs.StringVar(&s.stage, "stage", "", "the serverless.yml stage (default: provider.stage, else dev)")
	fs.StringVar(&s.region, "region", "", "the serverless.yml region (default: provider.region, else us-east-1)")
	fs.StringVar(&s.imagesFile, "images-file", "", `write each image's URI by digest as JSON ({"NAME": "…@sha256:…"}), for image: uri in serverless.yml`)
	group(fs, "serverless.yml", "serverless", "stage", "region", "images-file")
}

// serverlessRefused are the flags that a serverless.yml replaces.
var serverlessRefused = []string{"bref", "php", "runtime", "platform", "ext", "base", "cmd", "file", "build-arg", "target", "tag", "output", "digest-file"}

// builtImage is one image of a serverless.yml, built and pushed.
type builtImage struct {
	Name     string          `json:"name"`
	Image    string          `json:"image"`
	Digest   string          `json:"digest"`
	Platform string          `json:"platform"`
	Deployed []deploy.Result `json:"deployments,omitempty"`

	ref      name.Digest
	platform v1.Platform
}

// runServerless builds, pushes (and with --deploy, deploys) every image of
// a serverless.yml: the serverless front end makes a Dockerfile plan per
// image, and each goes through the one pipeline.
func (o *buildOptions) runServerless(ctx context.Context, stdout, stderr io.Writer, rep *reporter) int {
	if err := o.policy().Validate(); err != nil {
		return usageError(stderr, "build", err)
	}
	for _, f := range serverlessRefused {
		if o.sources[f] != fromDefault {
			return usageError(stderr, "build", fmt.Errorf("--%s cannot be used with --serverless: serverless.yml names the images, their Dockerfiles and where they go", f))
		}
	}
	if err := o.checkPaths(nil); err != nil {
		return usageError(stderr, "build", err)
	}
	p, err := o.serverlessProject()
	if err != nil {
		return o.fail(stderr, err)
	}
	for _, n := range p.Notes {
		rep.linef("note: %s", n)
	}
	if o.dryRun {
		return serverlessDryRun(stdout, p)
	}
	deployTo, err := o.deployFunctions(p)
	if err != nil {
		return usageError(stderr, "build", err)
	}
	account, err := ecr.CallerAccount(ctx, p.Region)
	if err != nil {
		return o.fail(stderr, err)
	}
	repos, err := ecr.NewRepositories(ecr.Options{Create: o.ecr.Create, ScanOnPush: o.ecr.ScanOnPush || p.ScanOnPush,
		ImmutableTags: o.ecr.ImmutableTags, MaxImages: max(o.ecr.MaxImages, p.MaxImages)})
	if err != nil {
		return usageError(stderr, "build", err)
	}
	o.tags = []string{account + ".dkr.ecr." + p.Region + ".amazonaws.com/" + p.Repository()}
	client, err := o.client(repos, registry.WithEvents(rep.event))
	if err != nil {
		return usageError(stderr, "build", err)
	}
	// Every image is built and pushed before any function is deployed: a
	// broken image stops the run with no function changed.
	var built []builtImage
	for _, img := range p.Images {
		if !img.Built() || len(img.Functions) == 0 {
			continue
		}
		b, err := o.buildServerlessImage(ctx, client, p, img, o.tags[0]+":"+img.Name, rep)
		if err != nil {
			return o.fail(stderr, err)
		}
		built = append(built, b)
	}
	for i, b := range built {
		if fns := deployTo[b.Name]; len(fns) > 0 {
			d := (&deployOptions{functions: fns, publish: o.deploy.publish, alias: o.deploy.alias}).deployer(rep.linef)
			if built[i].Deployed, err = d.Deploy(ctx, b.ref, b.platform); err != nil {
				return o.fail(stderr, err)
			}
		}
	}
	return o.printServerless(stdout, stderr, built)
}

// serverlessProject reads the serverless.yml of --serverless, relative to
// APP_DIR.
func (o *buildOptions) serverlessProject() (*serverless.Project, error) {
	path := o.sls.file
	if !filepath.IsAbs(path) {
		dir := o.flags.AppDir
		if dir == "" {
			dir = "."
		}
		path = filepath.Join(dir, path)
	}
	return serverless.Load(path, serverless.Options{Stage: o.sls.stage, Region: o.sls.region, Getenv: o.getenv})
}

// deployFunctions maps --deploy (function keys or names, or "all") to the
// functions of p, by image name.
func (o *buildOptions) deployFunctions(p *serverless.Project) (map[string][]string, error) {
	out := map[string][]string{}
	for _, want := range o.deploy.names() {
		found := false
		for _, fn := range p.Functions {
			if (want == "all" || want == fn.Key || want == fn.Name) && fn.Image != "" {
				if !slices.Contains(out[fn.Image], fn.Name) {
					out[fn.Image] = append(out[fn.Image], fn.Name)
				}
				found = true
			}
		}
		if !found {
			return nil, fmt.Errorf("--deploy %s: no function of %s with an image brefimg builds has that key or name (use all for every one)", want, p.File)
		}
	}
	return out, nil
}

// buildServerlessImage builds one image of p through the Dockerfile front
// end and the pipeline, and pushes it to target.
func (o *buildOptions) buildServerlessImage(ctx context.Context, client *registry.Client, p *serverless.Project, img serverless.Image, target string,
	rep *reporter) (builtImage, error) {
	platform, err := p.ImagePlatform(img)
	if err != nil {
		return builtImage{}, err
	}
	lock, err := lockfile.Read(img.Path)
	if err != nil {
		return builtImage{}, plan.AsInput(plan.FieldLock, err)
	}
	f, err := os.Open(img.File)
	if err != nil {
		return builtImage{}, plan.Inputf(plan.FieldFile, "%s: provider.ecr.images.%s: %v", p.File, img.Name, unwrapPath(err))
	}
	defer f.Close()
	var args []string
	for k, v := range img.BuildArgs {
		args = append(args, k+"="+v)
	}
	sort.Strings(args)
	dfOpts := []dockerfile.Option{dockerfile.WithContextDir(img.Path), dockerfile.WithBuildArgs(args...),
		dockerfile.WithPlatform(platform.String()), dockerfile.WithImageConfigs(dockerfile.RegistryConfigs(ctx, client, lock))}
	if o.runSteps() {
		dfOpts = append(dfOpts, dockerfile.WithRunSteps())
	}
	pl, planFindings, err := dockerfile.Parse(f, img.File, dfOpts...)
	if err != nil {
		return builtImage{}, err
	}
	ref, err := client.Target(target)
	if err != nil {
		return builtImage{}, err
	}
	b, done, err := o.builder(client, lock, io.Discard, nil, pl.Solve != nil)
	if err != nil {
		return builtImage{}, err
	}
	defer done()
	opts := []pipeline.Option{pipeline.WithPolicy(o.policy()), pipeline.WithLock(lock, o.locked),
		pipeline.WithPush(client, ref), pipeline.WithObserver(rep), pipeline.WithNotes(rep.linef)}
	rep.linef("image %s: %s (%s)", img.Name, img.File, platform)
	// Findings name this image's context and Dockerfile, not APP_DIR's.
	rep.printFindings = func(fs []findings.Finding) { printFindings(rep.w, fs, img.Path, img.File, o.quiet, o.getenv) }
	r, err := pipeline.Run(ctx, b, pl, planFindings, opts...)
	if r != nil {
		defer r.Close()
	}
	if err != nil {
		return builtImage{}, fmt.Errorf("image %s: %w", img.Name, err)
	}
	rep.summary(r.Pushed[0].String(), r.Result.Image, r.Result.Added())
	return builtImage{Name: img.Name, Image: r.Pushed[0].String(), Digest: r.Digest.String(), Platform: platform.String(),
		ref: r.Pushed[0], platform: platform}, nil
}

// printServerless writes what a serverless.yml build made: the images
// file, the metadata file, the CI outputs and a line per image.
func (o *buildOptions) printServerless(stdout, stderr io.Writer, built []builtImage) int {
	uris := map[string]string{}
	var deployed []deploy.Result
	var pushed []string
	for _, b := range built {
		uris[b.Name] = b.Image
		deployed = append(deployed, b.Deployed...)
		pushed = append(pushed, b.Image)
	}
	// The images are pushed by now: a file that cannot be written says so.
	afterPush := func(flag string, err error) int {
		return o.fail(stderr, fmt.Errorf("%s: %w; the images were pushed: %s", flag, err, strings.Join(pushed, ", ")))
	}
	if o.sls.imagesFile != "" {
		b, _ := json.MarshalIndent(uris, "", "  ")
		if err := registry.WriteFile(o.sls.imagesFile, append(b, '\n')); err != nil {
			return afterPush("--images-file", err)
		}
	}
	md, _ := json.MarshalIndent(struct {
		Images []builtImage `json:"images"`
	}{built}, "", "  ")
	md = append(md, '\n')
	if o.metadataFile != "" {
		if err := registry.WriteFile(o.metadataFile, md); err != nil {
			return afterPush("--metadata-file", err)
		}
	}
	if len(built) > 0 {
		if err := githubOutputs(o.getenv, built[0].Image, built[0].Digest, deployed); err != nil {
			fmt.Fprintf(stderr, "warning: writing the GitHub Actions outputs: %v\n", err)
		}
	}
	if o.json {
		stdout.Write(md)
		return exitOK
	}
	for _, b := range built {
		fmt.Fprintf(stdout, "%s %s\n", b.Name, b.Image)
	}
	return exitOK
}

// serverlessDryRun prints what a serverless.yml build would build and
// deploy; nothing is read from AWS, so the account shows as <account>.
func serverlessDryRun(w io.Writer, p *serverless.Project) int {
	fmt.Fprintf(w, "serverless.yml %s: service %s, stage %s, region %s\n", p.File, p.Service, p.Stage, p.Region)
	for _, img := range p.Images {
		switch {
		case !img.Built():
			fmt.Fprintf(w, "  image %s: %s (given by uri, not built)\n", img.Name, img.URI)
		case len(img.Functions) == 0:
			fmt.Fprintf(w, "  image %s: used by no function, not built\n", img.Name)
		default:
			platform, err := p.ImagePlatform(img)
			if err != nil {
				fmt.Fprintf(w, "  image %s: %v\n", img.Name, err)
				continue
			}
			fmt.Fprintf(w, "  image %s: %s (%s) -> <account>.dkr.ecr.%s.amazonaws.com/%s:%s, for %s\n",
				img.Name, img.File, platform, p.Region, p.Repository(), img.Name, strings.Join(img.Functions, ", "))
		}
	}
	fmt.Fprintln(w, "Nothing was built (--dry-run).")
	return exitOK
}
