package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/brefimg/brefimg/lockfile"
	"github.com/brefimg/brefimg/pipeline"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

const lockUsage = `Usage: brefimg lock [flags] [APP_DIR]

Resolves the base image and every extension image of the build these flags
describe to digests, for the build's platform, and writes APP_DIR/brefimg.lock.
Later builds pull exactly those images, even when their tags move; commit the file.
Entries for other platforms are kept, so one lock can serve amd64 and arm64.

Examples:
  brefimg lock --bref 1 --php 8.0 --ext redis,gmp .
  brefimg lock --update --bref 1 --php 8.0 --ext redis,gmp .

`

func runLock(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) int {
	var o buildOptions
	fs := newBuildFlags(&o, true)
	if code, done := parseBuildArgs(fs, &o, lockUsage, args, stdout, stderr, getenv); done {
		return code
	}
	ctx, cancel := o.withTimeout(ctx)
	defer cancel()
	o.noLock = true
	client, err := o.client(nil)
	if err != nil {
		return usageError(stderr, "lock", err)
	}
	pl, _, _, err := o.plan(ctx, client)
	if err != nil {
		return o.fail(stderr, err)
	}
	if o.dryRun {
		return dryRun(stdout, fs, &o, pl)
	}
	dir := o.flags.AppDir
	if dir == "" {
		dir = "."
	}
	prev, err := lockfile.Read(dir)
	if err != nil {
		return o.fail(stderr, plan.AsInput(plan.FieldLock, err))
	}
	lock, err := pipeline.Lock(ctx, client, pl, prev, o.update)
	if err != nil {
		return o.fail(stderr, err)
	}
	b, err := lock.Marshal()
	if err != nil {
		return o.fail(stderr, err)
	}
	path := filepath.Join(dir, lockfile.Name)
	if err := registry.WriteFile(path, b); err != nil {
		return o.fail(stderr, err)
	}
	for _, ref := range pl.Refs() {
		if e, ok := lock.Lookup(ref, pl.Platform.String()); ok && !o.quiet {
			fmt.Fprintf(stderr, "%s %s -> %s\n", pl.Platform, ref, e.Digest)
		}
	}
	fmt.Fprintln(stdout, path)
	return exitOK
}
