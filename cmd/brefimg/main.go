// Command brefimg builds AWS Lambda container images for PHP apps on Bref,
// without Docker: a Bref base image, bref/extra-* extension layers and the
// app under /var/task, pushed straight to a registry.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"runtime/debug"
	"sync/atomic"
	"syscall"

	"github.com/sirupsen/logrus"
)

// Exit codes.
const (
	exitOK    = 0
	exitBuild = 1 // the build or a push failed
	exitUsage = 2 // bad usage or bad input
	// 128 + the signal's number when interrupted: 130 after Ctrl-C.
)

// memoryLimit keeps brefimg's heap small on big apps (GOMEMLIMIT overrides
// it): layers are streamed, and what stays in memory is one small record per
// file, which a tighter garbage collection keeps near its live size.
const memoryLimit = 100 << 20

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	// Libraries under BuildKit's client (containerd's content store) log
	// through logrus's standard logger; brefimg says itself what matters.
	logrus.SetOutput(io.Discard)
	ctx, cancel := context.WithCancel(context.Background())
	signals := make(chan os.Signal, 1)
	signal.Notify(signals, os.Interrupt, syscall.SIGTERM)
	var got atomic.Value // the signal that interrupted the run
	go func() {
		sig := <-signals
		got.Store(sig)
		cancel()
		signal.Stop(signals) // a second Ctrl-C ends brefimg at once
	}()
	code := run(ctx, os.Args[1:], os.Stdout, os.Stderr, os.Getenv)
	cancel()
	if sig, ok := got.Load().(syscall.Signal); ok && code != exitOK {
		code = 128 + int(sig) // as shells report it: 130 after Ctrl-C, 143 after SIGTERM
	}
	os.Exit(code)
}

// env reads environment variables; tests pass their own.
type env func(string) string

// run is the whole CLI; it never panics out to a stack trace.
func run(ctx context.Context, args []string, stdout, stderr io.Writer, getenv env) (code int) {
	defer func() {
		if r := recover(); r != nil {
			fmt.Fprintf(stderr, "brefimg: internal error: %v (please report it)\n", r)
			code = exitBuild
		}
	}()
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return exitUsage
	}
	switch args[0] {
	case "build":
		return runBuild(ctx, args[1:], stdout, stderr, getenv)
	case "check":
		return runCheck(ctx, args[1:], stdout, stderr, getenv)
	case "lock":
		return runLock(ctx, args[1:], stdout, stderr, getenv)
	case "deploy":
		return runDeploy(ctx, args[1:], stdout, stderr, getenv)
	case "inspect":
		return runInspect(ctx, args[1:], stdout, stderr)
	case "extensions":
		return runExtensions(args[1:], stdout, stderr)
	case "completion":
		return runCompletion(args[1:], stdout, stderr)
	case "version":
		return runVersion(args[1:], stdout, stderr)
	case "help", "-h", "--help":
		if len(args) > 1 {
			return run(ctx, []string{args[1], "--help"}, stdout, stderr, getenv)
		}
		fmt.Fprint(stdout, usage)
		return exitOK
	}
	fmt.Fprintf(stderr, "brefimg: unknown command %q%s\nRun 'brefimg help' for usage.\n", args[0], suggestCommand(args[0]))
	return exitUsage
}

var commands = []string{"build", "check", "lock", "deploy", "inspect", "extensions", "completion", "version", "help"}

func suggestCommand(s string) string {
	for _, c := range commands {
		if len(s) > 1 && (c[:min(len(c), len(s))] == s || levenshtein(s, c) <= 2) {
			return fmt.Sprintf(": did you mean %q?", c)
		}
	}
	return ""
}

func levenshtein(a, b string) int {
	prev := make([]int, len(b)+1)
	for j := range prev {
		prev[j] = j
	}
	for i := 1; i <= len(a); i++ {
		cur := make([]int, len(b)+1)
		cur[0] = i
		for j := 1; j <= len(b); j++ {
			cost := 1
			if a[i-1] == b[j-1] {
				cost = 0
			}
			cur[j] = min(prev[j]+1, cur[j-1]+1, prev[j-1]+cost)
		}
		prev = cur
	}
	return prev[len(b)]
}

const usage = `brefimg builds AWS Lambda container images for PHP apps on Bref, without Docker.

Usage:
  brefimg build [flags] [APP_DIR]         build an image, push it and/or write it out
  brefimg check [flags] [APP_DIR]         run every check of a build; build nothing
  brefimg lock [flags] [APP_DIR]          pin the base and extension images in brefimg.lock
  brefimg deploy [flags] REF              point Lambda functions at an image, by digest
  brefimg inspect REF|oci:DIR|tar:FILE    show what an image is made of
  brefimg extensions [--bref N] [--php X] list the Bref extension catalog
  brefimg completion bash|zsh|fish        print a shell completion script
  brefimg version [--json]                print the version and the commit it was built from
  brefimg help [COMMAND]                  show a command's help

Example:
  brefimg build --bref 1 --php 8.0 --ext redis,gmp -t 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1 .

Run 'brefimg help COMMAND' for a command's flags.
Exit codes: 0 success; 1 the build, a push or a deploy failed (network
failures included: a retry may succeed); 2 bad usage or input (the message
names it); 130 interrupted (Ctrl-C), 143 terminated.
`
