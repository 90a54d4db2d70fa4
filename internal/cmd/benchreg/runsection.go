package main

import (
	"bufio"
	"fmt"
	"os"
	"regexp"
	"slices"
	"strconv"
	"strings"
)

// The Dockerfiles that RUN a command (testdata/bench/<name>/Dockerfile),
// in table order, and the path of brefimg's each takes: BuildKit builds
// the whole image when the final stage RUNs, only the builder stage when
// an earlier stage does.
var runDockerfiles = []struct{ name, path string }{
	{"run-final", "whole"},
	{"run-stage", "stage"},
}

// The scenarios of the RUN section.
var runScenarios = []string{"cold", "warm"}

// runTool is the results' name of tool ("brefimg" or "buildah") on the
// Dockerfile df.
func runTool(tool, df string) string { return tool + "-" + df }

// hasRunRows reports whether any run of the RUN section was recorded.
func (r *results) hasRunRows() bool {
	return slices.ContainsFunc(r.runs, func(x run) bool {
		return strings.HasPrefix(x.tool, "brefimg-run-") || strings.HasPrefix(x.tool, "buildah-run-")
	})
}

// runRegistry is the registry the RUN section pushed to.
func (r *results) runRegistry() string {
	if reg := r.envValue("run_registry"); reg != "" {
		return reg
	}
	for _, x := range r.runs {
		if strings.HasPrefix(x.tool, "brefimg-run-") {
			return x.registry
		}
	}
	return regExt
}

// runSection writes the section on the Dockerfiles that RUN: brefimg with
// BuildKit against buildah, cold and warm, which path each Dockerfile
// takes, what the figures show, and where brefimg's time goes.
func (r *results) runSection(w writer) {
	skip := r.envValue("run_skip")
	if !r.hasRunRows() && skip == "" {
		return
	}
	if !r.hasRunRows() {
		w("## Dockerfiles that RUN: brefimg with BuildKit against buildah\n\n")
		w("Not measured: %s.\n\n", strings.TrimRight(skip, ". "))
		return
	}
	reg := r.runRegistry()
	w("## Dockerfiles that RUN: brefimg with BuildKit against buildah (%s)\n\n", r.registryName(reg))
	w("Two Dockerfiles do the seed's job (the base, the redis and gmp extensions' `/opt`, the app under `/var/task`) plus a `RUN` that does Composer-like work without the network: it reads every PHP file of `app/` and `vendor/` and writes a class map (each file's namespace and class lines, in byte order), as `composer dump-autoload -o` scans them. Their base is `bref/php-80-fpm:1` with a shell (a static busybox layer added to the fixture: the real Bref base, Amazon Linux, has one), pushed under `shell/` in the source registry (%s).\n\n",
		orDash(r.envValue("run_base")))
	w("- `testdata/bench/run-final/Dockerfile` takes brefimg's **whole** path: its final stage RUNs (after `COPY . /var/task`), so BuildKit builds the whole image from the images brefimg pulled (handed over as an OCI layout in the cache directory's `buildkit-store`) and the build context, exports it as an OCI layout, and brefimg checks it and pushes it with its own registry code.\n")
	w("- `testdata/bench/run-stage/Dockerfile` takes the **stage** path: the RUN is in a builder stage (`FROM bref/php-80-fpm:1 AS build`, `COPY . /src`, RUN writing `/out/classmap.txt`) and the final stage only copies from it, so BuildKit builds that stage alone and brefimg builds the final stage itself as it does without BuildKit (base and extension blobs reused, the app layer from its cache).\n\n")
	w("brefimg runs `brefimg build --buildkit unix://… -f testdata/bench/<name>/Dockerfile --mirror <source>/shell --source-date-epoch …` against a buildkitd of the bench's own (%s); buildah runs `buildah bud --isolation chroot --storage-driver vfs` on the same Dockerfile with the images named in the source registry, then `buildah push`. **Cold**: an empty target; brefimg with a new cache directory and a buildkitd started on a new root (no build cache, no image), buildah with a new storage root. **Warm**: one file of `app/` changed, the target and every cache kept (buildah without `--layers`, as above). Seconds are medians; CPU is user + system of the command, and for brefimg also of buildkitd (its process and the runc and build steps it reaped) during the run.\n\n",
		orDash(r.envValue("buildkitd")))
	w("| Dockerfile | path | scenario | brefimg runs | brefimg median s | fastest s | CPU s (brefimg + buildkitd) | buildah runs | buildah median s | fastest s | CPU s | buildah / brefimg | same digest: brefimg / buildah | blobs uploaded: brefimg / buildah | MB pulled from source: brefimg / buildah |\n")
	w("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	for _, df := range runDockerfiles {
		bt, ht := runTool("brefimg", df.name), runTool("buildah", df.name)
		for _, sc := range runScenarios {
			b, h := r.group(reg, bt, sc, 1), r.group(reg, ht, sc, 1)
			if len(b.all) == 0 && len(h.all) == 0 {
				continue
			}
			bMed, bFast, bCPU := medCells(b)
			if c, ok := b.cpuMedian(); ok {
				d, okd := medianOf(b.ok, func(x run) float64 { return x.daemonCPU })
				if okd && d >= 0 {
					bCPU = fmt.Sprintf("%s + %s", secs(c), secs(d))
				}
			}
			hMed, hFast, hCPU := medCells(h)
			vs := "—"
			if bm, ok := b.median(); ok && bm > 0 {
				if hm, ok := h.median(); ok {
					vs = ratio(hm / bm)
				}
			}
			digest := func(tool string, g group) string {
				if len(g.all) == 0 {
					return "—"
				}
				return r.sameDigest(reg, tool, sc, 1)
			}
			pulled := func(x run) int64 { return x.pulledBytes }
			w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s / %s | %s / %s | %s / %s |\n",
				df.name, df.path, sc, runsOrDash(b), bMed, bFast, bCPU, runsOrDash(h), hMed, hFast, hCPU, vs,
				digest(bt, b), digest(ht, h),
				b.span(func(x run) int64 { return x.uploads }), h.span(func(x run) int64 { return x.uploads }),
				b.mb(pulled), h.mb(pulled))
		}
	}
	w("\n")
	for _, df := range runDockerfiles {
		for _, n := range pushedMismatches(runTool("brefimg", df.name), "cold", r.group(reg, runTool("brefimg", df.name), "cold", 1)) {
			w("- %s\n", n)
		}
	}
	r.runFindings(w, reg)
	r.runPhases(w, reg)
}

// medCells formats the median, fastest and median CPU seconds of g.
func medCells(g group) (med, fast, cpu string) {
	med, fast, cpu = "—", "—", "—"
	if len(g.all) > 0 && len(g.ok) == 0 {
		med = "failed"
	}
	if m, ok := g.median(); ok {
		med = secs(m)
	}
	if f, ok := g.fastest(); ok {
		fast = secs(f)
	}
	if c, ok := g.cpuMedian(); ok {
		cpu = secs(c)
	}
	return med, fast, cpu
}

// runsOrDash is runsCell, or "—" for no run.
func runsOrDash(g group) string {
	if len(g.all) == 0 {
		return "—"
	}
	return runsCell(g)
}

// runFindings writes what the figures show, from the figures.
func (r *results) runFindings(w writer, reg string) {
	var lines []string
	for _, df := range runDockerfiles {
		bt, ht := runTool("brefimg", df.name), runTool("buildah", df.name)
		var parts []string
		for _, sc := range runScenarios {
			bm, okb := r.group(reg, bt, sc, 1).median()
			hm, okh := r.group(reg, ht, sc, 1).median()
			switch {
			case okb && okh:
				parts = append(parts, fmt.Sprintf("%s %s s against buildah's %s s (buildah/brefimg %s)", sc, secs(bm), secs(hm), ratio(hm/bm)))
			case okb:
				parts = append(parts, fmt.Sprintf("%s %s s", sc, secs(bm)))
			}
		}
		if len(parts) == 0 {
			continue
		}
		line := fmt.Sprintf("On the %s path (%s), brefimg with BuildKit took %s", df.path, df.name, strings.Join(parts, "; "))
		cold, okc := r.group(reg, bt, "cold", 1).median()
		warm, okw := r.group(reg, bt, "warm", 1).median()
		if okc && okw && cold > 0 {
			line += fmt.Sprintf("; a warm rebuild costs %.0f%% of a cold build", 100*warm/cold)
		}
		lines = append(lines, line+".")
	}
	// The same job without RUN, brefimg alone: what BuildKit adds.
	if dfWarm, ok := r.group(reg, "brefimg-df", "warm", 1).median(); ok && dfWarm > 0 {
		if bw, ok := r.group(reg, runTool("brefimg", "run-final"), "warm", 1).median(); ok {
			lines = append(lines, fmt.Sprintf("Without the RUN, brefimg alone rebuilds the seed's Dockerfile in %s s warm (table above): with the RUN on the whole path the warm rebuild takes %s s, %s as long, since BuildKit copies the context into a snapshot, runs the step, and compresses, rewrites (SOURCE_DATE_EPOCH) and exports every layer it made, where brefimg alone reuses its cached layers.",
				secs(dfWarm), secs(bw), ratio(bw/dfWarm)))
		}
	}
	// Images pulled more than once: buildah pulls each blob once.
	for _, df := range runDockerfiles {
		pulled := func(x run) float64 { return float64(x.pulledBytes) }
		b, okb := medianOf(r.group(reg, runTool("brefimg", df.name), "cold", 1).ok, pulled)
		h, okh := medianOf(r.group(reg, runTool("buildah", df.name), "cold", 1).ok, pulled)
		if okb && okh && h > 0 && b > 1.2*h {
			lines = append(lines, fmt.Sprintf("Cold, on the %s path (%s), brefimg pulled %.1f MB from the source registry, %.1f times what buildah pulled (%.1f MB, each blob once): it reads the base's blobs more than once.",
				df.path, df.name, b/1e6, b/h, h/1e6))
		}
	}
	// Runs of one scenario that differ widely: the medians of three runs
	// are then a rough figure.
	var spread []string
	for _, df := range runDockerfiles {
		for _, tool := range []string{"brefimg", "buildah"} {
			for _, sc := range runScenarios {
				g := r.group(reg, runTool(tool, df.name), sc, 1)
				lo, ok := g.fastest()
				if !ok || len(g.ok) < 2 || lo <= 0 {
					continue
				}
				hi := 0.0
				for _, x := range g.ok {
					hi = max(hi, x.secs)
				}
				if hi/lo >= 1.5 {
					spread = append(spread, fmt.Sprintf("%s %s %s %s–%s s", tool, df.name, sc, secs(lo), secs(hi)))
				}
			}
		}
	}
	if len(spread) > 0 {
		lines = append(lines, fmt.Sprintf("Runs of one scenario spread widely on this machine (%s), so the medians of a few runs are rough figures and the fastest runs are worth reading too.",
			strings.Join(spread, "; ")))
	}
	if len(lines) == 0 {
		return
	}
	w("What the figures show:\n\n")
	for _, l := range lines {
		w("- %s\n", l)
	}
	w("\n")
}

// The phases of a brefimg build with BuildKit, as its progress lines
// (--progress plain) mark them.
var runPhaseNames = []string{
	"brefimg before BuildKit (pulls, the input images to the OCI layout; stage path: the final stage's steps up to COPY --from)",
	"BuildKit: input images and build context in",
	"BuildKit: the steps before RUN (COPY, and what is left of the context's transfer)",
	"BuildKit: RUN",
	"BuildKit: export (compress, rewrite timestamps, send the image) and brefimg reading it back",
	"brefimg after BuildKit (stage path: the rest of the final stage), checks, push",
}

var (
	// stepLine is the first progress line of a Dockerfile step BuildKit runs.
	stepLine = regexp.MustCompile(`^buildkit: \[[^\]]* [0-9]+/[0-9]+\] `)
	// runLine is that of a RUN step.
	runLine = regexp.MustCompile(`^buildkit: \[[^\]]* [0-9]+/[0-9]+\] RUN `)
)

// stampedLine is a line of brefimg's progress with the time it was read.
type stampedLine struct {
	t    float64
	text string
}

// readStamped reads a file `benchreg stamp` wrote.
func readStamped(path string) ([]stampedLine, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	var out []stampedLine
	sc := bufio.NewScanner(f)
	sc.Buffer(make([]byte, 0, 64<<10), 4<<20)
	for sc.Scan() {
		ts, text, ok := strings.Cut(sc.Text(), "\t")
		if !ok {
			continue
		}
		t, err := strconv.ParseFloat(ts, 64)
		if err != nil {
			continue
		}
		out = append(out, stampedLine{t, text})
	}
	return out, sc.Err()
}

// phases splits a run from t0 to t1 into [runPhaseNames] by its progress
// lines; ok false when a mark is missing (a failed run, or a path that ran
// no RUN on BuildKit).
func phases(lines []stampedLine, t0, t1 float64) ([]float64, bool) {
	marks := []float64{t0}
	find := func(from int, match func(string) bool) int {
		for i := from; i < len(lines); i++ {
			if match(lines[i].text) {
				return i
			}
		}
		return -1
	}
	i := find(0, func(s string) bool { return strings.HasPrefix(s, "buildkit: ") })
	if i < 0 {
		return nil, false
	}
	marks = append(marks, lines[i].t)
	for _, match := range []func(string) bool{
		stepLine.MatchString,
		runLine.MatchString,
		func(s string) bool { return strings.HasPrefix(s, "buildkit: exporting") },
		// brefimg's own next line: not BuildKit's, nor what a RUN printed.
		func(s string) bool { return !strings.HasPrefix(s, "buildkit: ") && !strings.HasPrefix(s, "  |") },
	} {
		if i = find(i, match); i < 0 {
			return nil, false
		}
		marks = append(marks, lines[i].t)
	}
	marks = append(marks, t1)
	out := make([]float64, len(marks)-1)
	for j := range out {
		out[j] = marks[j+1] - marks[j]
		if out[j] < 0 {
			return nil, false
		}
	}
	return out, true
}

// stampedRun is the "stamped" environment entry of one run: tool,
// scenario, scale, run, registry, start, end and the file of its lines.
type stampedRun struct {
	tool, scenario, registry string
	t0, t1                   float64
	file                     string
}

// stampedRuns parses the "stamped" entries of the environment.
func (r *results) stampedRuns() []stampedRun {
	var out []stampedRun
	for _, v := range r.env["stamped"] {
		f := strings.Fields(v)
		if len(f) != 8 {
			continue
		}
		t0, err0 := strconv.ParseFloat(f[5], 64)
		t1, err1 := strconv.ParseFloat(f[6], 64)
		if err0 != nil || err1 != nil {
			continue
		}
		out = append(out, stampedRun{tool: f[0], scenario: f[1], registry: f[4], t0: t0, t1: t1, file: f[7]})
	}
	return out
}

// runPhases writes where brefimg's time goes on each Dockerfile and
// scenario: the median of each phase over the runs.
func (r *results) runPhases(w writer, reg string) {
	type key struct{ tool, scenario string }
	got := map[key][][]float64{}
	for _, s := range r.stampedRuns() {
		if s.registry != reg {
			continue
		}
		lines, err := readStamped(s.file)
		if err != nil {
			continue
		}
		if p, ok := phases(lines, s.t0, s.t1); ok {
			k := key{s.tool, s.scenario}
			got[k] = append(got[k], p)
		}
	}
	var rows []string
	for _, df := range runDockerfiles {
		for _, sc := range runScenarios {
			ps := got[key{runTool("brefimg", df.name), sc}]
			if len(ps) == 0 {
				continue
			}
			cells := []string{df.name, df.path, sc, strconv.Itoa(len(ps))}
			total := 0.0
			for j := range runPhaseNames {
				v := make([]float64, len(ps))
				for i, p := range ps {
					v[i] = p[j]
				}
				slices.Sort(v)
				m := v[len(v)/2]
				if len(v)%2 == 0 {
					m = (v[len(v)/2-1] + v[len(v)/2]) / 2
				}
				total += m
				cells = append(cells, secs(m))
			}
			cells = append(cells, secs(total))
			rows = append(rows, "| "+strings.Join(cells, " | ")+" |")
		}
	}
	if len(rows) == 0 {
		return
	}
	w("Where brefimg's time goes, from the times of its progress lines (`--progress plain`, each stamped as it was read; BuildKit's steps as the daemon reports their start): the median of each phase over the runs, in seconds (so the medians need not add up to the table's).\n\n")
	w("| Dockerfile | path | scenario | runs |")
	for j := range runPhaseNames {
		w(" %d |", j+1)
	}
	w(" sum |\n|---|---|---|---|")
	for range runPhaseNames {
		w("---|")
	}
	w("---|\n")
	for _, row := range rows {
		w("%s\n", row)
	}
	w("\nPhases: ")
	for j, n := range runPhaseNames {
		if j > 0 {
			w("; ")
		}
		w("(%d) %s", j+1, n)
	}
	w(".\n\n")
}
