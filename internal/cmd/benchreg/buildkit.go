package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"
	"time"

	"github.com/brefimg/brefimg/buildkit"
	"github.com/brefimg/brefimg/internal/benchfix"
)

// The helpers of the benchmark's section on Dockerfiles that RUN
// commands: the base with a shell in the source registry, and the BuildKit
// daemon the script starts.

// seedShellCmd pushes the benchmark images again under -prefix in the
// source registry, the base with a shell (benchfix.SeedShell).
func seedShellCmd(args []string) error {
	fs := flag.NewFlagSet("seedshell", flag.ContinueOnError)
	source := fs.String("source", "", "the source registry (HOST:PORT) benchreg serve seeded")
	prefix := fs.String("prefix", benchfix.ShellPrefix, "repository prefix of the copies")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *source == "" {
		return errors.New("seedshell: -source is required")
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	start := time.Now()
	digests, err := benchfix.SeedShell(ctx, *source, *prefix)
	if err != nil {
		return err
	}
	for _, ref := range benchfix.Refs {
		fmt.Printf("%s/%s/%s@%s\n", *source, strings.Trim(*prefix, "/"), ref, digests[ref])
	}
	fmt.Fprintf(os.Stderr, "benchreg: images with a shell under %s/%s in %.1fs\n", *source, *prefix, time.Since(start).Seconds())
	return nil
}

// bkWaitCmd waits until the BuildKit daemon at -addr lists a worker.
func bkWaitCmd(args []string) error {
	fs := flag.NewFlagSet("bkwait", flag.ContinueOnError)
	addr := fs.String("addr", "", "the daemon's address (unix://…)")
	timeout := fs.Duration("timeout", time.Minute, "how long to wait")
	pid := fs.Int("pid", 0, "give up as soon as this process (the daemon) has exited")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *addr == "" {
		return errors.New("bkwait: -addr is required")
	}
	deadline := time.Now().Add(*timeout)
	var last error
	for time.Now().Before(deadline) {
		if *pid > 0 {
			if _, err := os.Stat(fmt.Sprintf("/proc/%d", *pid)); err != nil {
				return fmt.Errorf("bkwait: the daemon (pid %d) exited", *pid)
			}
		}
		if last = listWorkers(*addr); last == nil {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("bkwait: %s did not list a worker within %s: %v", *addr, *timeout, last)
}

// listWorkers returns nil when the daemon at addr lists a worker.
func listWorkers(addr string) error {
	if sock, ok := strings.CutPrefix(addr, "unix://"); ok {
		if _, err := os.Stat(sock); err != nil {
			return err
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	return buildkit.Ready(ctx, addr)
}

// stampCmd copies its standard input to its standard output line by line,
// and writes each line to -out after the time it was read (Unix seconds,
// a tab): the timeline of a build's progress output.
func stampCmd(args []string) error {
	fs := flag.NewFlagSet("stamp", flag.ContinueOnError)
	out := fs.String("out", "", "the file of stamped lines")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *out == "" {
		return errors.New("stamp: -out is required")
	}
	f, err := os.Create(*out)
	if err != nil {
		return err
	}
	werr := stamp(os.Stdin, os.Stdout, f, time.Now)
	if err := f.Close(); werr == nil {
		werr = err
	}
	return werr
}

// stamp copies the lines of in to out, and to log each after the time now
// gives when it was read.
func stamp(in io.Reader, out, log io.Writer, now func() time.Time) error {
	r := bufio.NewReaderSize(in, 64<<10)
	var logErr error
	for {
		line, err := r.ReadString('\n')
		if line != "" {
			t := now()
			if _, werr := io.WriteString(out, line); werr != nil {
				return werr
			}
			if logErr == nil {
				_, logErr = fmt.Fprintf(log, "%d.%06d\t%s", t.Unix(), t.Nanosecond()/1000, strings.TrimSuffix(line, "\n")+"\n")
			}
		}
		if err == io.EOF {
			return logErr
		}
		if err != nil {
			return err
		}
	}
}
