package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/pipeline"
	"github.com/brefimg/brefimg/plan"
)

const checkUsage = `Usage: brefimg check [flags] [APP_DIR]
       brefimg check --list

Runs every check of a build without building or pushing anything: the app
checks (composer.json and composer.lock against the Bref line, PHP version
and extensions; the handler; vendor/; dev dependencies; secrets; ini), and,
when the registry can be reached, the image checks (Lambda's limits, /tmp,
extension layers, and a parent directory entry and world-readable modes for
every file of every layer, the base's included: this reads every layer).
With -f, the Dockerfile's own checks (bref-untagged, …) and the app checks
run even when the registry cannot be reached; a note says what was skipped.
Takes the same flags as build. --list prints every check's ID.

Examples:
  brefimg check --bref 1 --php 8.0 --ext redis,gmp .
  brefimg check --bref 3 --ext auto --json .
  brefimg check --list

`

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	var o buildOptions
	fs, list := checkFlags(&o)
	if code, done := parseBuildArgs(fs, &o, checkUsage, args, stdout, stderr, getenv); done {
		return code
	}
	if *list {
		return listChecks(stdout, o.json)
	}
	if o.sls.file != "" {
		return usageError(stderr, "check", errors.New("--serverless works with build only for now: build --serverless runs every check of every image before it pushes anything (--dry-run shows what it would build)"))
	}
	ctx, cancel := o.withTimeout(ctx)
	defer cancel()
	if err := o.policy().Validate(); err != nil {
		return usageError(stderr, "check", err)
	}
	client, err := o.client(nil)
	if err != nil {
		return usageError(stderr, "check", err)
	}
	o.unreachable = &unreachableImages{ctx: ctx}
	pl, planFindings, lock, err := o.plan(ctx, client)
	if err != nil {
		return o.fail(stderr, err)
	}
	if o.dryRun {
		return o.printDryRun(stdout, stderr, fs, pl)
	}
	b, done, err := o.builder(client, lock, stderr, nil, pl.Solve != nil)
	if err != nil {
		return o.fail(stderr, err)
	}
	defer done()
	opts := []pipeline.Option{pipeline.CheckOnly(), pipeline.WithFileChecks(), pipeline.WithPolicy(o.policy()), pipeline.WithLock(lock, o.locked)}
	if why := o.unreachable.reason(); why != "" {
		opts = append(opts, pipeline.WithoutImages(why))
	}
	r, err := pipeline.Run(ctx, b, pl, planFindings, opts...)
	if err != nil {
		return o.fail(stderr, err)
	}
	defer r.Close()
	printCheckReport(stdout, stderr, &o, r, getenv)
	if len(r.Errors()) > 0 {
		return exitUsage
	}
	return exitOK
}

// checkFlags declares the flags of check: build's, and --list.
func checkFlags(o *buildOptions) (*pflag.FlagSet, *bool) {
	fs := newBuildFlags(o, false)
	list := fs.Bool("list", false, "print every check's ID, severity and meaning, and exit")
	group(fs, "Checks", "list")
	return fs, list
}

// printCheckReport prints the findings of brefimg check: as JSON, or as
// text with a count.
func printCheckReport(stdout, stderr io.Writer, o *buildOptions, r *pipeline.Report, getenv env) {
	all := r.Findings
	if o.json {
		if all == nil {
			all = []findings.Finding{}
		}
		b, _ := json.MarshalIndent(struct {
			Findings []findings.Finding `json:"findings"`
			Note     string             `json:"note,omitempty"`
		}{all, r.Skipped}, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
		return
	}
	printFindings(stdout, all, o.flags.AppDir, o.file, o.quiet, getenv)
	if r.Skipped != "" {
		for _, note := range strings.Split(r.Skipped, "\n") {
			fmt.Fprintln(stderr, "note: "+note)
		}
	}
	errs := len(findings.Errors(all))
	if !o.quiet {
		fmt.Fprintf(stdout, "%d error(s), %d warning(s)\n", errs, len(all)-errs)
	}
}

// unreachableImages collects the FROM images of a Dockerfile whose config
// could not be read because the registry cannot be reached (or fails):
// check and --dry-run go on without them, and say so.
type unreachableImages struct {
	ctx  context.Context
	refs []string
	err  error // the first image's
}

// add records ref, which could not be read (err), and says to go on,
// unless the run was interrupted or ran out of time.
func (u *unreachableImages) add(ref string, err error) bool {
	if u.ctx.Err() != nil {
		return false
	}
	if u.err == nil {
		u.err = err
	}
	u.refs = append(u.refs, ref)
	return true
}

// reason says why images could not be read and what that means, "" when
// every one was read.
func (u *unreachableImages) reason() string {
	if u == nil || len(u.refs) == 0 {
		return ""
	}
	return fmt.Sprintf("%v; the Dockerfile was read without the config of %s (for Bref images, that of AWS's Lambda base: WORKDIR /var/task)",
		u.err, strings.Join(u.refs, ", "))
}

// printDryRun prints the dry run of the plan, and a note when images of
// the Dockerfile could not be read.
func (o *buildOptions) printDryRun(stdout, stderr io.Writer, fs *pflag.FlagSet, pl plan.Plan) int {
	code := dryRun(stdout, fs, o, pl)
	if why := o.unreachable.reason(); why != "" {
		fmt.Fprintf(stderr, "note: %s: the plan may differ from the build's\n", why)
	}
	return code
}

// listChecks prints the registry of finding IDs.
func listChecks(w io.Writer, asJSON bool) int {
	if asJSON {
		b, _ := json.MarshalIndent(findings.Registry, "", "  ")
		fmt.Fprintf(w, "%s\n", b)
		return exitOK
	}
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "ID\tSEVERITY\tFINDS")
	for _, c := range findings.Registry {
		fmt.Fprintf(tw, "%s\t%s\t%s\n", c.ID, c.Severity, c.Doc)
	}
	tw.Flush()
	return exitOK
}
