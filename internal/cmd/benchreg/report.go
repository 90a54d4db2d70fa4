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

// The tools and scenarios of the report, in table order: brefimg with its
// flags, with --split none (one app layer, the image the seed's Dockerfile
// gives) and on the seed's Dockerfile; the crane script; buildah.
var (
	tools     = []string{"brefimg", "brefimg-1l", "brefimg-df", "crane", "buildah"}
	scenarios = []string{"cold", "warm", "no-op"}
)

// The registries the tools push to: one in a process of its own (Debian's
// docker-registry, or benchreg registry), and one in benchreg's process.
const (
	regExt    = "ext"
	regInproc = "inproc"
)

// toolName is how the report names a tool.
func toolName(tool string) string {
	switch tool {
	case "brefimg-1l":
		return "brefimg --split none"
	case "brefimg-df":
		return "brefimg -f Dockerfile"
	}
	return tool
}

// Floor component rows: copying the base blobs, and tar | pigz of the app.
const (
	floorCopy = "floor-copy"
	floorPack = "floor-pack"
)

// run is one measured run, one line of the results file the script writes:
// tool scenario scale run seconds cpu_seconds rss_kb status digest uploads
// upload_bytes pulled_bytes tool_pushed registry daemon_cpu_seconds,
// tab-separated, with a header line (results without the registry column
// are benchreg's; without daemon_cpu_seconds, no run had a daemon).
type run struct {
	tool, scenario string
	registry       string
	scale, n       int
	secs           float64
	cpu            float64 // user + system seconds of the command; -1 when unknown
	rssKB          int64   // -1 when unknown
	ok             bool
	digest         string
	uploads        int64
	upBytes        int64
	pulledBytes    int64
	toolPushed     int64   // the tool's own count of blobs pushed; -1 when it has none
	daemonCPU      float64 // CPU seconds of the BuildKit daemon during the run; -1 when none
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
		if len(f) < 13 || len(f) > 15 {
			return nil, fmt.Errorf("line %d: %d fields, want 15", line, len(f))
		}
		reg := regInproc
		if len(f) >= 14 {
			reg = f[13]
		}
		daemonCPU := -1.0
		if len(f) == 15 {
			if v, err := strconv.ParseFloat(f[14], 64); err == nil && v >= 0 {
				daemonCPU = v
			}
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
			tool: f[0], scenario: f[1], registry: reg, scale: int(num(f[2])), n: int(num(f[3])),
			secs: secs, cpu: cpu, rssKB: num(f[6]), ok: f[7] == "ok", digest: f[8],
			uploads: num(f[9]), upBytes: num(f[10]), pulledBytes: num(f[11]), toolPushed: num(f[12]),
			daemonCPU: daemonCPU,
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

// group returns the runs of tool in scenario at scale against registry reg.
func (r *results) group(reg, tool, scenario string, scale int) group {
	var g group
	for _, x := range r.runs {
		if x.registry == reg && x.tool == tool && x.scenario == scenario && x.scale == scale {
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
