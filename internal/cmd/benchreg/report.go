package main

import (
	"bufio"
	"flag"
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
)

// The tools and scenarios of the report, in table order.
var (
	tools     = []string{"brefimg", "crane", "buildah"}
	scenarios = []string{"cold", "warm", "no-op"}
)

// Floor component rows: copying the base blobs, and tar | pigz of the app.
const (
	floorCopy = "floor-copy"
	floorPack = "floor-pack"
)

// run is one measured run, one line of the results file the script writes:
// tool scenario scale run seconds cpu_seconds rss_kb status digest uploads
// upload_bytes pulled_bytes tool_pushed, tab-separated, with a header line.
type run struct {
	tool, scenario string
	scale, n       int
	secs           float64
	cpu            float64 // user + system seconds of the command; -1 when unknown
	rssKB          int64   // -1 when unknown
	ok             bool
	digest         string
	uploads        int64
	upBytes        int64
	pulledBytes    int64
	toolPushed     int64 // the tool's own count of blobs pushed; -1 when it has none
}

// results are the runs, and the environment the script recorded.
type results struct {
	runs []run
	env  map[string][]string
	raw  string // the results file as read, appended to the report
}

// envValue is the last value the environment file gives key, or "".
func (r *results) envValue(key string) string {
	if v := r.env[key]; len(v) > 0 {
		return v[len(v)-1]
	}
	return ""
}

// reportCmd is the report subcommand: it renders the results as Markdown
// on standard output and, with -out, into a file.
func reportCmd(args []string) error {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	resultsFile := fs.String("results", "", "the results file (TSV) the script wrote")
	envFile := fs.String("env", "", "the environment file (key=value lines) the script wrote")
	out := fs.String("out", "", "also write the report to this file")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	res, err := readResults(*resultsFile, *envFile)
	if err != nil {
		return err
	}
	text := res.markdown()
	fmt.Print(text)
	if *out != "" {
		if err := os.WriteFile(*out, []byte(text), 0o644); err != nil {
			return fmt.Errorf("writing the report: %w", err)
		}
	}
	return nil
}

// readResults reads the results file and, when envFile is set, the
// environment file.
func readResults(resultsFile, envFile string) (*results, error) {
	res := &results{env: map[string][]string{}}
	raw, err := os.ReadFile(resultsFile)
	if err != nil {
		return nil, fmt.Errorf("reading the results: %w", err)
	}
	res.raw = string(raw)
	if res.runs, err = parseRuns(strings.NewReader(res.raw)); err != nil {
		return nil, fmt.Errorf("reading %s: %w", resultsFile, err)
	}
	if envFile != "" {
		e, err := os.Open(envFile)
		if err != nil {
			return nil, fmt.Errorf("reading the environment: %w", err)
		}
		defer e.Close()
		res.env = parseEnv(e)
	}
	return res, nil
}

// parseRuns parses the results file: a header line, then one run a line;
// blank lines are skipped and a number that cannot be parsed is -1.
func parseRuns(r io.Reader) ([]run, error) {
	var runs []run
	sc := bufio.NewScanner(r)
	line := 0
	for sc.Scan() {
		line++
		f := strings.Split(sc.Text(), "\t")
		if line == 1 && len(f) > 0 && f[0] == "tool" || strings.TrimSpace(sc.Text()) == "" {
			continue
		}
		if len(f) != 13 {
			return nil, fmt.Errorf("line %d: %d fields, want 13", line, len(f))
		}
		num := func(s string) int64 {
			n, err := strconv.ParseInt(s, 10, 64)
			if err != nil {
				return -1
			}
			return n
		}
		secs, err := strconv.ParseFloat(f[4], 64)
		if err != nil {
			return nil, fmt.Errorf("line %d: seconds %q: %w", line, f[4], err)
		}
		cpu, err := strconv.ParseFloat(f[5], 64)
		if err != nil {
			cpu = -1
		}
		runs = append(runs, run{
			tool: f[0], scenario: f[1], scale: int(num(f[2])), n: int(num(f[3])),
			secs: secs, cpu: cpu, rssKB: num(f[6]), ok: f[7] == "ok", digest: f[8],
			uploads: num(f[9]), upBytes: num(f[10]), pulledBytes: num(f[11]), toolPushed: num(f[12]),
		})
	}
	return runs, sc.Err()
}

// parseEnv parses key=value lines, every value of a key in order; other
// lines are ignored.
func parseEnv(r io.Reader) map[string][]string {
	env := map[string][]string{}
	sc := bufio.NewScanner(r)
	for sc.Scan() {
		k, v, ok := strings.Cut(sc.Text(), "=")
		if ok {
			env[k] = append(env[k], v)
		}
	}
	return env
}

// group is the runs of one tool, scenario and scale.
type group struct {
	all []run // in order
	ok  []run
}

// group returns the runs of tool in scenario at scale.
func (r *results) group(tool, scenario string, scale int) group {
	var g group
	for _, x := range r.runs {
		if x.tool == tool && x.scenario == scenario && x.scale == scale {
			g.all = append(g.all, x)
			if x.ok {
				g.ok = append(g.ok, x)
			}
		}
	}
	return g
}

// median of the successful runs' seconds; ok false when there are none.
func (g group) median() (float64, bool) {
	return medianOf(g.ok, func(x run) float64 { return x.secs })
}

// fastest is the least of the successful runs' seconds.
func (g group) fastest() (float64, bool) {
	if len(g.ok) == 0 {
		return 0, false
	}
	best := g.ok[0].secs
	for _, x := range g.ok {
		best = min(best, x.secs)
	}
	return best, true
}

// cpuMedian is the median CPU time (user + system) of the successful runs.
func (g group) cpuMedian() (float64, bool) {
	for _, x := range g.ok {
		if x.cpu < 0 {
			return 0, false
		}
	}
	return medianOf(g.ok, func(x run) float64 { return x.cpu })
}

// medianOf is the median of f over runs; ok false when there are none.
func medianOf(runs []run, f func(run) float64) (float64, bool) {
	if len(runs) == 0 {
		return 0, false
	}
	v := make([]float64, len(runs))
	for i, x := range runs {
		v[i] = f(x)
	}
	slices.Sort(v)
	if len(v)%2 == 1 {
		return v[len(v)/2], true
	}
	return (v[len(v)/2-1] + v[len(v)/2]) / 2, true
}

// peakMB is the largest peak RSS of the successful runs, in MB (10^6 bytes).
func (g group) peakMB() (float64, bool) {
	best, ok := 0.0, false
	for _, x := range g.ok {
		if x.rssKB >= 0 {
			best, ok = max(best, float64(x.rssKB)*1024/1e6), true
		}
	}
	return best, ok
}

// digests returns the distinct digests of the successful runs, in order.
func (g group) digests() []string {
	var d []string
	for _, x := range g.ok {
		if !slices.Contains(d, x.digest) {
			d = append(d, x.digest)
		}
	}
	return d
}

// last returns the last successful run.
func (g group) last() (run, bool) {
	if len(g.ok) == 0 {
		return run{}, false
	}
	return g.ok[len(g.ok)-1], true
}

// span formats the range of an integer over the successful runs: "7" or "6–7".
func (g group) span(f func(run) int64) string {
	if len(g.ok) == 0 {
		return "—"
	}
	lo, hi := f(g.ok[0]), f(g.ok[0])
	for _, x := range g.ok {
		lo, hi = min(lo, f(x)), max(hi, f(x))
	}
	if lo < 0 {
		return "—"
	}
	if lo == hi {
		return strconv.FormatInt(lo, 10)
	}
	return fmt.Sprintf("%d–%d", lo, hi)
}

// mb formats the median of a byte count in MB.
func (g group) mb(f func(run) int64) string {
	m, ok := medianOf(g.ok, func(x run) float64 { return float64(f(x)) })
	if !ok || m < 0 {
		return "—"
	}
	return fmt.Sprintf("%.1f", m/1e6)
}

// sameDigest says whether the scenario gave the digest it should (see the
// report's method section).
func (r *results) sameDigest(tool, scenario string, scale int) string {
	g := r.group(tool, scenario, scale)
	if len(g.ok) == 0 {
		return "—"
	}
	switch scenario {
	case "cold":
		d := g.digests()
		if len(g.ok) < 2 {
			return "— (1 run)"
		}
		if len(d) == 1 {
			return "yes"
		}
		return fmt.Sprintf("no (%d distinct)", len(d))
	case "warm":
		last, _ := g.last()
		v, ok := r.group(tool, "verify", scale).last()
		if !ok {
			return "— (not checked)"
		}
		if v.digest == last.digest {
			return "yes"
		}
		return "no"
	case "no-op":
		prev, ok := r.group(tool, "warm", scale).last()
		if !ok {
			return "—"
		}
		differ := 0
		for _, x := range g.ok {
			if x.digest != prev.digest {
				differ++
			}
		}
		if differ > 0 {
			return fmt.Sprintf("no (%d of %d differ)", differ, len(g.ok))
		}
		return "yes"
	}
	return "—"
}

// floor returns the floor's cold time (copy + pack medians) and its parts.
func (r *results) floor() (total, copySecs, packSecs float64, ok bool) {
	c, okc := r.group(floorCopy, "cold", 1).median()
	p, okp := r.group(floorPack, "cold", 1).median()
	return c + p, c, p, okc && okp
}

// secs formats seconds with two decimals.
func secs(v float64) string { return fmt.Sprintf("%.2f", v) }

// ratio formats a speed ratio: "12x", or "2.5x" below 10.
func ratio(v float64) string {
	if v >= 10 {
		return fmt.Sprintf("%.0fx", v)
	}
	return fmt.Sprintf("%.1fx", v)
}

// markdown renders the report.
func (r *results) markdown() string {
	var b strings.Builder
	w := func(format string, a ...any) { fmt.Fprintf(&b, format, a...) }
	r.intro(w)
	if busy := r.busy(); busy != "" {
		w("**Warning: %s**\n\n", busy)
	}
	r.sideBySide(w)
	r.scaleTable(w)
	r.goals(w)
	w("%s", method)
	r.appendix(w)
	return b.String()
}

// intro writes the title and the environment of the run: date, machine,
// tool versions, settings and fixtures.
func (r *results) intro(w func(string, ...any)) {
	w("# Benchmarks\n\n")
	w("Written by `make bench` (`scripts/bench.sh`) on %s; every figure below comes from that one run.\n\n", r.envValue("date"))
	w("Machine: %s CPUs (`nproc`), %s memory, %s; %s; %s.\n", r.envValue("nproc"), r.envValue("mem"), r.envValue("cpu"), r.envValue("kernel"), r.envValue("go"))
	w("Tools: brefimg %s; crane %s; buildah %s; pigz %s.\n", orDash(r.envValue("brefimg")), orDash(r.envValue("crane")), orDash(r.envValue("buildah")), orDash(r.envValue("pigz")))
	w("brefimg `--cache-dir`: %s. Total time of the run: %s s. Load average (1, 5, 15 min) before the run: %s; at its end: %s.\n\n",
		orDash(r.envValue("cache_dir_flag")), orDash(r.envValue("total_seconds")), orDash(r.envValue("load_start")), orDash(r.envValue("load_end")))
	w("Fixtures (deterministic, `internal/benchfix`): `bref/php-80-fpm:1` shaped like Bref v1's base, with `bref/extra-redis-php-80:0.10` and `bref/extra-gmp-php-80:0.10`: %s MB of blobs in the source registry; the Laravel-like app at 1x: %s files, %s MB.\n\n",
		mbString(r.envValue("seed_bytes")), orDash(r.envValue("app_files_1")), mbString(r.envValue("app_bytes_1")))
}

// sideBySide writes the table of every tool and scenario at 1x (with the
// floor after brefimg's cold runs), then the runs where brefimg's count of
// pushed blobs differs from the registry's.
func (r *results) sideBySide(w func(string, ...any)) {
	w("## Side by side (app at 1x; median of the runs)\n\n")
	w("| tool | scenario | runs | median s | fastest s | CPU s | vs brefimg | same digest | blobs uploaded | MB uploaded | MB pulled from source | peak RSS MB |\n")
	w("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	var pushedNotes []string
	for _, sc := range scenarios {
		ref, refOK := r.group("brefimg", sc, 1).median()
		for _, tool := range tools {
			g := r.group(tool, sc, 1)
			if len(g.all) == 0 {
				continue
			}
			r.toolRow(w, tool, sc, g, ref, refOK)
			if tool == "brefimg" {
				pushedNotes = append(pushedNotes, pushedMismatches(sc, g)...)
			}
		}
		if sc == "cold" {
			r.floorRow(w, ref, refOK)
		}
	}
	w("\n")
	for _, n := range pushedNotes {
		w("- %s\n", n)
	}
	if len(pushedNotes) > 0 {
		w("\n")
	}
}

// toolRow writes the side-by-side row of a tool's runs g in scenario sc;
// ref is brefimg's median in sc, when refOK.
func (r *results) toolRow(w func(string, ...any), tool, sc string, g group, ref float64, refOK bool) {
	med, ok := g.median()
	medS, fast, cpu, vs, rss := "failed", "—", "—", "—", "—"
	if ok {
		medS = secs(med)
		f, _ := g.fastest()
		fast = secs(f)
		if c, ok := g.cpuMedian(); ok {
			cpu = secs(c)
		}
		switch {
		case tool == "brefimg":
			vs = "1.0x"
		case refOK && ref > 0:
			vs = tool + "/brefimg " + ratio(med/ref)
		}
	}
	if p, ok := g.peakMB(); ok {
		rss = fmt.Sprintf("%.0f", p)
	}
	w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", tool, sc, runsCell(g), medS, fast, cpu, vs, r.sameDigest(tool, sc, 1),
		g.span(func(x run) int64 { return x.uploads }), g.mb(func(x run) int64 { return x.upBytes }),
		g.mb(func(x run) int64 { return x.pulledBytes }), rss)
}

// runsCell is the number of runs of g, with the failed ones.
func runsCell(g group) string {
	if len(g.all) == len(g.ok) {
		return strconv.Itoa(len(g.all))
	}
	return fmt.Sprintf("%d (%d failed)", len(g.all), len(g.all)-len(g.ok))
}

// pushedMismatches notes the successful brefimg runs g of scenario sc
// whose count of pushed blobs differs from the registry's uploads.
func pushedMismatches(sc string, g group) []string {
	var notes []string
	for _, x := range g.ok {
		if x.toolPushed >= 0 && x.toolPushed != x.uploads {
			notes = append(notes, fmt.Sprintf("brefimg %s run %d printed %d \"pushed blob\" lines; the registry counted %d uploads.", sc, x.n, x.toolPushed, x.uploads))
		}
	}
	return notes
}

// floorRow writes the side-by-side row of the floor (copy + pack), when
// both were measured; ref is brefimg's cold median, when refOK.
func (r *results) floorRow(w func(string, ...any), ref float64, refOK bool) {
	total, c, p, ok := r.floor()
	if !ok {
		return
	}
	vs := "—"
	if refOK && ref > 0 {
		vs = "floor/brefimg " + ratio(total/ref)
	}
	gc, gp := r.group(floorCopy, "cold", 1), r.group(floorPack, "cold", 1)
	rss := bothCell(gc, gp, group.peakMB, func(a, b float64) string { return fmt.Sprintf("%.0f", max(a, b)) })
	fast := bothCell(gc, gp, group.fastest, func(a, b float64) string { return secs(a + b) })
	cpu := bothCell(gc, gp, group.cpuMedian, func(a, b float64) string { return secs(a + b) })
	w("| floor | cold | %d + %d | %s (copy %s + tar\\|pigz %s) | %s | %s | %s | — | %s | %s | %s | %s |\n",
		len(gc.ok), len(gp.ok), secs(total), secs(c), secs(p), fast, cpu, vs,
		gc.span(func(x run) int64 { return x.uploads }), gc.mb(func(x run) int64 { return x.upBytes }),
		gc.mb(func(x run) int64 { return x.pulledBytes }), rss)
}

// bothCell formats the figures f gives for a and b with format, or is "—"
// when either has none.
func bothCell(a, b group, f func(group) (float64, bool), format func(x, y float64) string) string {
	x, ok := f(a)
	if !ok {
		return "—"
	}
	y, ok := f(b)
	if !ok {
		return "—"
	}
	return format(x, y)
}

// appendix writes the notes the script recorded and every measured run.
func (r *results) appendix(w func(string, ...any)) {
	if notes := r.env["note"]; len(notes) > 0 {
		w("\n## Notes from this run\n\n")
		for _, n := range notes {
			w("- %s\n", n)
		}
	}
	if r.raw != "" {
		w("\n## Every run\n\n<details><summary>The measurements this report was made from (tab-separated; seconds are wall time, cpu_seconds user + system, rss_kb the peak RSS in KiB; -1 or - when not known)</summary>\n\n```tsv\n%s```\n\n</details>\n", r.raw)
	}
}

// scales returns the app scales measured, ascending.
func (r *results) scales() []int {
	var s []int
	for _, x := range r.runs {
		if x.tool == "brefimg" || x.tool == "crane" {
			if !slices.Contains(s, x.scale) {
				s = append(s, x.scale)
			}
		}
	}
	slices.Sort(s)
	return s
}

// scaleTable writes the table of brefimg and crane at every app scale,
// when more than one was measured.
func (r *results) scaleTable(w func(string, ...any)) {
	scales := r.scales()
	if len(scales) < 2 {
		return
	}
	w("## Warm rebuild against app size\n\n")
	w("One file of `app/` changed, the previous image in the target and the tool's local state kept (median of the warm runs); cold is the first build of that app into an empty target.\n\n")
	w("| app scale | files | MB | brefimg cold s | brefimg warm s | brefimg warm CPU s | warm vs 1x | brefimg peak RSS MB | crane cold s | crane warm s |\n")
	w("|---|---|---|---|---|---|---|---|---|---|\n")
	warm1, ok1 := r.group("brefimg", "warm", 1).median()
	for _, s := range scales {
		cell := func(tool, sc string) string {
			if m, ok := r.group(tool, sc, s).median(); ok {
				return secs(m)
			}
			return "—"
		}
		vs := "—"
		if m, ok := r.group("brefimg", "warm", s).median(); ok && ok1 && warm1 > 0 {
			vs = ratio(m / warm1)
		}
		rss := "—"
		if p, ok := r.peakAt("brefimg", s); ok {
			rss = fmt.Sprintf("%.0f", p)
		}
		cpu := "—"
		if c, ok := r.group("brefimg", "warm", s).cpuMedian(); ok {
			cpu = secs(c)
		}
		w("| %dx | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s, orDash(r.envValue(fmt.Sprintf("app_files_%d", s))),
			mbString(r.envValue(fmt.Sprintf("app_bytes_%d", s))), cell("brefimg", "cold"), cell("brefimg", "warm"), cpu, vs, rss,
			cell("crane", "cold"), cell("crane", "warm"))
	}
	w("\n")
}

// peakAt is the largest peak RSS of a tool's successful runs at a scale.
func (r *results) peakAt(tool string, scale int) (float64, bool) {
	best, found := 0.0, false
	for _, sc := range append(slices.Clone(scenarios), "verify") {
		if p, ok := r.group(tool, sc, scale).peakMB(); ok {
			best, found = max(best, p), true
		}
	}
	return best, found
}

// goals states each goal of issue 6, met or missed, with the figure, or
// why it was not measured.
func (r *results) goals(w func(string, ...any)) {
	w("## Goals of issue 6, as measured by this run\n\n")
	goal := func(name string, figure string, met bool) {
		v := "**missed**"
		if met {
			v = "**met**"
		}
		w("- %s: %s: %s\n", name, figure, v)
	}
	missing := func(name string, tools ...string) {
		w("- %s: not measured (no successful %s runs)\n", name, strings.Join(tools, " or "))
	}
	med := func(tool, sc string) (float64, bool) { return r.group(tool, sc, 1).median() }

	bc, okb := med("brefimg", "cold")
	if total, _, _, ok := r.floor(); ok && okb {
		goal("cold ≤ 1.3× the floor", fmt.Sprintf("brefimg %s s = %.2f× the floor (%s s)", secs(bc), bc/total, secs(total)), bc <= 1.3*total)
	} else {
		missing("cold ≤ 1.3× the floor", "brefimg", "floor")
	}
	if cc, ok := med("crane", "cold"); ok && okb {
		goal("cold faster than the crane script", fmt.Sprintf("brefimg %s s, crane %s s (crane/brefimg %.2fx)", secs(bc), secs(cc), cc/bc), bc < cc)
	} else {
		missing("cold faster than the crane script", "brefimg", "crane")
	}
	if bu, ok := med("buildah", "cold"); ok && okb {
		goal("cold ≥ 15× faster than buildah", fmt.Sprintf("buildah/brefimg %.1fx (%s s vs %s s)", bu/bc, secs(bu), secs(bc)), bu/bc >= 15)
	} else {
		missing("cold ≥ 15× faster than buildah", "brefimg", "buildah")
	}
	bw, okw := med("brefimg", "warm")
	if bu, ok := med("buildah", "warm"); ok && okw {
		goal("warm ≥ 50× faster than buildah", fmt.Sprintf("buildah/brefimg %.1fx (%s s vs %s s)", bu/bw, secs(bu), secs(bw)), bu/bw >= 50)
	} else {
		missing("warm ≥ 50× faster than buildah", "brefimg", "buildah")
	}
	if cw, ok := med("crane", "warm"); ok && okw {
		goal("warm ≥ 4× faster than the crane script", fmt.Sprintf("crane/brefimg %.1fx (%s s vs %s s)", cw/bw, secs(cw), secs(bw)), cw/bw >= 4)
	} else {
		missing("warm ≥ 4× faster than the crane script", "brefimg", "crane")
	}
	bn, okn := med("brefimg", "no-op")
	if cn, ok := med("crane", "no-op"); ok && okn {
		goal("no-op ≥ 5× faster than the crane script", fmt.Sprintf("crane/brefimg %.1fx (%s s vs %s s)", cn/bn, secs(cn), secs(bn)), cn/bn >= 5)
	} else {
		missing("no-op ≥ 5× faster than the crane script", "brefimg", "crane")
	}
	if g := r.group("brefimg", "no-op", 1); len(g.ok) > 0 {
		var most int64
		for _, x := range g.ok {
			most = max(most, x.uploads)
		}
		goal("no-op uploads zero blobs", fmt.Sprintf("at most %d blob upload(s) in a run", most), most == 0)
		same := r.sameDigest("brefimg", "no-op", 1)
		goal("no-op gives the same digest as the build before", same, same == "yes")
	} else {
		missing("no-op uploads zero blobs, same digest", "brefimg")
	}
	scales := r.scales()
	top := 0
	if len(scales) > 0 {
		top = scales[len(scales)-1]
	}
	if p, ok := r.peakAt("brefimg", top); ok && top > 1 {
		goal(fmt.Sprintf("peak RSS ≤ 150 MB on the app at %dx", top), fmt.Sprintf("brefimg's largest is %.0f MB", p), p <= 150)
	} else {
		missing("peak RSS ≤ 150 MB on a large app", "brefimg (at a scale above 1x)")
	}
	if wt, ok := r.group("brefimg", "warm", top).median(); ok && okw && top > 1 {
		goal("warm cost grows with what changed, not with the size of the app",
			fmt.Sprintf("warm at %dx %s s vs at 1x %s s = %.1fx (this report's threshold: ≤ 2x)", top, secs(wt), secs(bw), wt/bw), wt <= 2*bw)
	} else {
		missing("warm cost against app size", "brefimg warm (at 1x and above)")
	}
	w("\n")
}

// busy says the machine was busy before the run started, when the
// 1-minute load average then exceeded half the CPUs: other work may have
// inflated some wall times.
func (r *results) busy() string {
	n, err := strconv.ParseFloat(r.envValue("nproc"), 64)
	if err != nil || n <= 0 {
		return ""
	}
	f := strings.Fields(r.envValue("load_start"))
	if len(f) == 0 {
		return ""
	}
	if l, err := strconv.ParseFloat(f[0], 64); err == nil && l > n/2 {
		return fmt.Sprintf("the machine was not idle when this run started (1-minute load average %.2f on %.0f CPUs): other work may have inflated some wall times; the fastest and CPU columns are less sensitive to it", l, n)
	}
	return ""
}

// orDash is s, or "—" when it is empty.
func orDash(s string) string {
	if s == "" {
		return "—"
	}
	return s
}

// mbString formats a byte count given as text in MB, or "—" when it is
// not a number.
func mbString(bytes string) string {
	n, err := strconv.ParseInt(bytes, 10, 64)
	if err != nil {
		return "—"
	}
	return fmt.Sprintf("%.1f", float64(n)/1e6)
}

const method = `## Method

- Two registries run in one process (` + "`internal/cmd/benchreg`" + `, the real distribution registry
  with filesystem storage, on loopback): the source holds the fixtures, every tool pulls from it
  (brefimg through ` + "`--mirror`" + `) and pushes to the target. Every tool builds the same job:
  the base, the redis and gmp extension images' ` + "`/opt`" + `, the app under ` + "`/var/task`" + `, CMD
  ` + "`public/index.php`" + `.
- **cold**: the target is emptied before each run (new storage) and the tool starts with no local
  state: brefimg gets a new ` + "`--cache-dir`" + ` (when it has the flag) and a new ` + "`XDG_CACHE_HOME`" + `,
  buildah a new storage root; crane keeps nothing anyway.
- **warm**: after the cold runs, each run first rewrites one file of ` + "`app/`" + ` with content never
  built before (same size), then builds; the previous image is in the target and the tool's
  local state is kept. **no-op**: the same build again, nothing changed.
- **same digest**: cold, all runs give one digest; warm, the last warm image equals a build of
  the same tree from nothing (empty target, no local state: the "verify" run); no-op, every run
  gives the digest of the build before it.
- **blobs uploaded**: upload sessions the target registry started (a cross-repository mount is not
  counted); **MB uploaded**: request bytes sent to blob uploads; **MB pulled from source**: blob
  bytes the source registry served. brefimg's own "pushed blob" lines (` + "`--progress plain`" + `) are
  checked against the registry's count.
- Wall time from bash's ` + "`EPOCHREALTIME`" + ` around the command; peak RSS is ` + "`/usr/bin/time -v`" + `'s
  "Maximum resident set size" (the largest process of the command, e.g. crane or buildah, not the
  sum). The registries run in the benchreg process, not counted in any RSS, but they share the CPUs.
- **crane script**: ` + "`crane export`" + ` of each extension image (their files as a tar), ` + "`tar`" + ` of the
  app under ` + "`var/task/`" + ` (sorted, owner 0, fixed mtime), ` + "`crane append`" + ` of the three tarballs on
  the base (source to target), then ` + "`crane mutate --cmd public/index.php`" + `.
- **buildah**: ` + "`buildah bud --isolation chroot --storage-driver vfs --tls-verify=false`" + ` on the Dockerfile
  below (context: the app), then ` + "`buildah push --tls-verify=false`" + ` to the target.
- **floor** (cold only): ` + "`crane copy`" + ` of the base from source to an empty target, plus
  ` + "`tar -cf - . | pigz`" + ` of the app to a file, medians added.

` + "```Dockerfile" + `
FROM $SOURCE/bref/php-80-fpm:1
COPY --from=$SOURCE/bref/extra-redis-php-80:0.10 /opt /opt
COPY --from=$SOURCE/bref/extra-gmp-php-80:0.10 /opt /opt
COPY . /var/task
CMD ["public/index.php"]
` + "```" + `
`
