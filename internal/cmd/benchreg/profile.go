package main

import (
	"bufio"
	"fmt"
	"io"
	"os"
	"strconv"
	"strings"
	"time"
)

// The profiles the script makes (see profile in scripts/bench.sh), in
// report order, and what each measured.
var profileNames = []struct{ key, title string }{
	{"no-op-1x", "flags, no-op, app at 1x"},
	{"df-no-op-1x", "the seed's Dockerfile, no-op, app at 1x"},
	{"warm-10x", "flags, warm (one file changed), app at 10x"},
}

// profileParts are the functions whose cumulative CPU time the report
// gives, with what they do; they nest (the walk is part of the app
// layers), so they do not add up.
var profileParts = []struct{ fn, what string }{
	{"github.com/brefimg/brefimg/cmd/brefimg.run", "the whole build, in-process (no process start-up)"},
	{"github.com/brefimg/brefimg/cmd/brefimg.(*buildOptions).plan", "front end: flags or Dockerfile to a plan (reads composer.json and composer.lock for flags; the base's config for a Dockerfile)"},
	{"github.com/brefimg/brefimg/layers.OpenCache", "opening the layer cache"},
	{"github.com/brefimg/brefimg/builder.(*run).pull", "reading manifests and configs from the source registry"},
	{"github.com/brefimg/brefimg/layers.FromDirSplit", "app layers from the directory (flags): walk, cache keys, cache lookups"},
	{"github.com/brefimg/brefimg/layers.ContextTree", "the build context's file tree (Dockerfile): walk"},
	{"github.com/brefimg/brefimg/layers.walkTree", "of which: walking the directory (readdir; lstat of the directories)"},
	{"github.com/brefimg/brefimg/layers.(*treeWalk).statWorker", "lstat of every file (on other threads, during the walk)"},
	{"github.com/brefimg/brefimg/layers.ReadTree", "image file trees from the cached listings (Dockerfile)"},
	{"github.com/brefimg/brefimg/layers.(*Tree).Copy", "COPY on the file tree (Dockerfile)"},
	{"github.com/brefimg/brefimg/layers.(*Tree).WriteLayer", "the layer of each step: cache keys and lookups (Dockerfile)"},
	{"github.com/klauspost/pgzip.(*Writer).compressBlock", "compressing a changed layer"},
	{"github.com/brefimg/brefimg/pipeline.(*options).check", "checks (package checks: app, build and image checks)"},
	{"github.com/brefimg/brefimg/composer.Load", "of which or besides: reading composer.json and composer.lock"},
	{"github.com/brefimg/brefimg/pipeline.(*options).publish", "pushing: HEAD of every blob, the changed blobs, the manifest"},
	{"github.com/brefimg/brefimg/layers.(*Cache).Close", "saving the cache's stat files"},
	{"runtime.gcBgMarkWorker", "garbage collection (on other threads)"},
}

// profileCum reads `go tool pprof -top -cum` output: each function's
// cumulative time.
func profileCum(r io.Reader) (map[string]time.Duration, error) {
	cum := map[string]time.Duration{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		f := strings.Fields(sc.Text())
		if len(f) < 6 || !strings.HasSuffix(f[4], "%") {
			continue
		}
		d, err := parseProfileDuration(f[3])
		if err != nil {
			continue
		}
		name := strings.Join(f[5:], " ")
		name = strings.TrimSuffix(name, " (inline)")
		cum[name] += d
	}
	return cum, sc.Err()
}

// parseProfileDuration parses pprof's durations: "1.23s", "450ms", "0".
func parseProfileDuration(s string) (time.Duration, error) {
	if s == "0" {
		return 0, nil
	}
	return time.ParseDuration(s)
}

// benchLine is what the report takes from a `go test -bench` result line:
// iterations, wall ns per op, CPU ms per op (-1 when absent).
type benchLine struct {
	n          int
	wallNs     float64
	cpuMsPerOp float64
}

// parseBenchLine parses "BenchmarkRebuild-2  20  123 ns/op  80.5 cpu-ms/op".
func parseBenchLine(s string) (benchLine, bool) {
	f := strings.Fields(s)
	if len(f) < 4 {
		return benchLine{}, false
	}
	n, err := strconv.Atoi(f[1])
	if err != nil || n <= 0 {
		return benchLine{}, false
	}
	b := benchLine{n: n, cpuMsPerOp: -1}
	for i := 2; i+1 < len(f); i++ {
		v, err := strconv.ParseFloat(f[i], 64)
		if err != nil {
			continue
		}
		switch f[i+1] {
		case "ns/op":
			b.wallNs = v
		case "cpu-ms/op":
			b.cpuMsPerOp = v
		}
	}
	return b, b.wallNs > 0
}

// profiles writes where the time of the profiled rebuilds goes.
func (r *results) profiles(w writer) {
	first := true
	for _, p := range profileNames {
		file := r.envValue("profile_" + p.key)
		bench, ok := parseBenchLine(r.envValue("profile_" + p.key + "_bench"))
		if file == "" || !ok {
			continue
		}
		f, err := os.Open(file)
		if err != nil {
			continue
		}
		cum, err := profileCum(f)
		f.Close()
		if err != nil || len(cum) == 0 {
			continue
		}
		if first {
			w("## Where a rebuild's time goes\n\n")
			w("CPU profiles of %s in-process rebuilds each (see the method); a part's time is its cumulative CPU time per build, so nested parts (\"of which\") are counted in their parents too and the rows do not add up. The registries and process start-up (about 10 ms) are not in it.\n\n", strconv.Itoa(bench.n))
			first = false
		}
		cpu := "—"
		if bench.cpuMsPerOp >= 0 {
			cpu = fmt.Sprintf("%.0f ms", bench.cpuMsPerOp)
		}
		w("### %s (%s)\n\n", p.title, regShort(r.envValue("profile_"+p.key+"_registry")))
		w("Per build: %.0f ms wall, %s CPU (all threads, profiling included).\n\n", bench.wallNs/1e6, cpu)
		w("| part | CPU ms per build |\n|---|---|\n")
		for _, part := range profileParts {
			if d, ok := cum[part.fn]; ok && d > 0 {
				w("| %s | %.1f |\n", part.what, float64(d.Microseconds())/1e3/float64(bench.n))
			}
		}
		w("\n")
	}
}
