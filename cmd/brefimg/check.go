package main

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"

	"github.com/brefimg/brefimg/build"
	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/registry"
)

const checkUsage = `Usage: brefimg check [flags] [APP_DIR]

Runs every check of a build without building or pushing anything: the app
checks (composer.json and composer.lock against the Bref line, PHP version
and extensions; the handler; vendor/; dev dependencies; secrets; ini), and,
when the registry can be reached, the image checks (Lambda's limits, /tmp,
extension layers, and a parent directory entry and world-readable modes for
every file of every layer, the base's included: this reads every layer).
Takes the same flags as build.

Examples:
  brefimg check --bref 1 --php 8.0 --ext redis,gmp .
  brefimg check --bref 3 --ext auto --json .

`

func runCheck(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	var o buildOptions
	fs := newBuildFlags(&o, false)
	if code, done := parseBuildArgs(fs, &o, checkUsage, args, stdout, stderr, getenv); done {
		return code
	}
	ctx, cancel := o.withTimeout(ctx)
	defer cancel()
	policy := o.policy()
	if err := policy.Validate(knownChecks()); err != nil {
		return usageError(stderr, "check", err)
	}
	client, err := o.client(nil)
	if err != nil {
		return usageError(stderr, "check", err)
	}
	plan, planFindings, err := o.plan(ctx, client)
	if err != nil {
		return fail(stderr, err)
	}
	if o.dryRun {
		return dryRun(stdout, fs, &o, plan)
	}
	note := ""
	cache, err := o.cache(stderr)
	if err != nil {
		return usageError(stderr, "check", err)
	}
	var bopts []build.Option
	if cache != nil {
		defer cache.Close()
		bopts = append(bopts, build.WithCache(cache))
	}
	res, err := build.Build(ctx, client, plan, bopts...)
	var rerr *registry.Error
	switch {
	case err == nil:
		defer res.Close()
	case errors.As(err, &rerr):
		// The registry cannot be reached or refuses: the app checks still run.
		note = fmt.Sprintf("image checks skipped: %v", err)
		res = nil
	default:
		return fail(stderr, err)
	}
	all, err := build.CheckApp(plan, extensions.Runtime(o.runtime()), res)
	if err != nil {
		return fail(stderr, err)
	}
	all = append(planFindings, all...)
	if res != nil {
		imageFindings, err := build.CheckImage(res)
		if err == nil {
			var files []findings.Finding
			files, err = build.CheckFiles(res)
			imageFindings = append(imageFindings, files...)
		}
		if err != nil {
			return fail(stderr, err)
		}
		all = append(append(all, res.Findings...), imageFindings...)
	}
	all = policy.Apply(all)
	if o.json {
		if all == nil {
			all = []findings.Finding{}
		}
		b, _ := json.MarshalIndent(struct {
			Findings []findings.Finding `json:"findings"`
			Note     string             `json:"note,omitempty"`
		}{all, note}, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
	} else {
		printFindings(stdout, all, o.flags.AppDir, o.quiet, getenv)
		if note != "" {
			fmt.Fprintln(stderr, "note: "+note)
		}
		errs, warns := len(build.Errors(all)), len(all)-len(build.Errors(all))
		if !o.quiet {
			fmt.Fprintf(stdout, "%d error(s), %d warning(s)\n", errs, warns)
		}
	}
	if len(build.Errors(all)) > 0 {
		return exitUsage
	}
	return exitOK
}
