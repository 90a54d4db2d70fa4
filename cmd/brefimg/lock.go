package main

import (
	"context"
	"fmt"
	"io"
	"path/filepath"

	"github.com/brefimg/brefimg/build"
	"github.com/brefimg/brefimg/lockfile"
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
	o.flags.NoLock = true
	client, err := o.client(nil)
	if err != nil {
		return usageError(stderr, "lock", err)
	}
	plan, _, err := o.plan(ctx, client)
	if err != nil {
		return fail(stderr, err)
	}
	if o.dryRun {
		return dryRun(stdout, fs, &o, plan)
	}
	dir := o.flags.AppDir
	if dir == "" {
		dir = "."
	}
	prev, err := lockfile.Read(dir)
	if err != nil {
		return fail(stderr, &build.InputError{Err: err})
	}
	lock, err := build.Lock(ctx, client, plan, prev, o.update)
	if err != nil {
		return fail(stderr, err)
	}
	b, err := lock.Marshal()
	if err != nil {
		return fail(stderr, err)
	}
	path := filepath.Join(dir, lockfile.Name)
	if err := registry.WriteFile(path, b); err != nil {
		return fail(stderr, err)
	}
	for _, ref := range plan.Refs() {
		if e, ok := lock.Lookup(ref, plan.Platform); ok && !o.quiet {
			fmt.Fprintf(stderr, "%s %s -> %s\n", plan.Platform, ref, e.Digest)
		}
	}
	fmt.Fprintln(stdout, path)
	return exitOK
}
