package main

import (
	"context"
	"io"
	"os"
	"runtime/pprof"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brefimg/brefimg/internal/benchfix"
)

// BenchmarkRebuild runs `brefimg build` in-process against registries that
// are already running, for profiling a rebuild (go test -cpuprofile): the
// first build fills the target and the cache, every measured one is a
// no-op. It is skipped unless BREFIMG_BENCH_SOURCE and BREFIMG_BENCH_TARGET
// (host:port of the source and target registries, as `benchreg serve`
// prints them) and BREFIMG_BENCH_APP (the app directory) are set; with
// BREFIMG_BENCH_DOCKERFILE it builds that Dockerfile instead of the flags,
// BREFIMG_BENCH_ARGS adds arguments (space-separated), BREFIMG_BENCH_CHANGE
// makes each rebuild a warm one (benchfix.ChangeFile first) and
// BREFIMG_BENCH_PROFILE writes a CPU profile of the rebuilds alone
// (BREFIMG_BENCH_PROFILE_FIRST one of a first build, before them).
//
//	go test ./cmd/brefimg -run '^$' -bench Rebuild -cpuprofile cpu.out
func BenchmarkRebuild(b *testing.B) {
	source, target, app := os.Getenv("BREFIMG_BENCH_SOURCE"), os.Getenv("BREFIMG_BENCH_TARGET"), os.Getenv("BREFIMG_BENCH_APP")
	if source == "" || target == "" || app == "" {
		b.Skip("BREFIMG_BENCH_SOURCE, BREFIMG_BENCH_TARGET and BREFIMG_BENCH_APP are not set")
	}
	args := []string{"build", "--mirror", source, "--insecure-registry", source, "--insecure-registry", target,
		"--source-date-epoch", "1700000000", "--progress", "none", "--cache-dir", b.TempDir(), "-t", target + "/bench/inprocess:latest"}
	if df := os.Getenv("BREFIMG_BENCH_DOCKERFILE"); df != "" {
		args = append(args, "-f", df)
	} else {
		args = append(args, "--bref", "1", "--php", "8.0", "--ext", "redis@0.10,gmp@0.10")
	}
	args = append(append(args, strings.Fields(os.Getenv("BREFIMG_BENCH_ARGS"))...), app)
	build := func() {
		var errb strings.Builder
		if code := run(context.Background(), args, io.Discard, &errb, func(k string) string { return "" }); code != exitOK {
			b.Fatalf("exit %d: %s", code, errb.String())
		}
	}
	if prof := os.Getenv("BREFIMG_BENCH_PROFILE_FIRST"); prof != "" {
		// The first build's profile: what a process pays once.
		f, err := os.Create(prof)
		if err != nil {
			b.Fatal(err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		build()
		pprof.StopCPUProfile()
		f.Close()
	}
	build()
	if prof := os.Getenv("BREFIMG_BENCH_PROFILE"); prof != "" {
		// The profile of the rebuilds only, not of the first build.
		f, err := os.Create(prof)
		if err != nil {
			b.Fatal(err)
		}
		defer f.Close()
		if err := pprof.StartCPUProfile(f); err != nil {
			b.Fatal(err)
		}
		defer pprof.StopCPUProfile()
	}
	change := os.Getenv("BREFIMG_BENCH_CHANGE") != ""
	n := 0
	cpu0 := cpuTime()
	defer func() { b.ReportMetric(float64(cpuTime()-cpu0)/float64(b.N)/1e6, "cpu-ms/op") }()
	b.ResetTimer()
	for b.Loop() {
		if change {
			n++
			b.StopTimer()
			if _, err := benchfix.ChangeFile(app, 1000+n); err != nil {
				b.Fatal(err)
			}
			b.StartTimer()
		}
		build()
	}
}

// cpuTime is the user and system CPU time of the process so far.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
