package main

import (
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// sameDigest says whether the scenario gave the digest it should (see the
// report's method section).
func (r *results) sameDigest(reg, tool, scenario string, scale int) string {
	g := r.group(reg, tool, scenario, scale)
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
		v, ok := r.group(reg, tool, "verify", scale).last()
		if !ok {
			return "— (not checked)"
		}
		if v.digest == last.digest {
			return "yes"
		}
		return "no"
	case "no-op":
		prev, ok := r.group(reg, tool, "warm", scale).last()
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

// floor returns the floor's cold time against reg (copy + pack medians)
// and its parts.
func (r *results) floor(reg string) (total, copySecs, packSecs float64, ok bool) {
	c, okc := r.group(reg, floorCopy, "cold", 1).median()
	p, okp := r.group(reg, floorPack, "cold", 1).median()
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

// writer writes formatted Markdown.
type writer func(string, ...any)

// markdown renders the report.
func (r *results) markdown() string {
	var b strings.Builder
	w := writer(func(format string, a ...any) { fmt.Fprintf(&b, format, a...) })
	r.intro(w)
	if busy := r.busy(); busy != "" {
		w("**Warning: %s**\n\n", busy)
	}
	r.goals19(w)
	for _, reg := range r.registries() {
		r.sideBySide(w, reg)
	}
	r.dockerfileTable(w)
	r.runSection(w)
	r.scaleTable(w)
	r.profiles(w)
	r.goals6(w)
	w("%s", method)
	r.appendix(w)
	return b.String()
}

// registries returns the registries measured, the one in its own process
// first.
func (r *results) registries() []string {
	var out []string
	for _, reg := range []string{regExt, regInproc} {
		if slices.ContainsFunc(r.runs, func(x run) bool { return x.registry == reg }) {
			out = append(out, reg)
		}
	}
	return out
}

// registryName describes a registry for headings.
func (r *results) registryName(reg string) string {
	if reg == regExt {
		return "registry in its own process (" + orDash(r.envValue("ext_registry")) + ")"
	}
	return "registry in benchreg's process"
}

// intro writes the title and the environment of the run: date, machine,
// tool versions, settings and fixtures.
func (r *results) intro(w writer) {
	w("# Benchmarks\n\n")
	w("Written by `make bench` (`scripts/bench.sh`) on %s; every figure below comes from that one run.\n\n", r.envValue("date"))
	w("Machine: %s CPUs (`nproc`), %s memory, %s; %s; %s.\n", r.envValue("nproc"), r.envValue("mem"), r.envValue("cpu"), r.envValue("kernel"), r.envValue("go"))
	bk := ""
	if v := r.envValue("buildkitd"); v != "" {
		bk = "; buildkitd " + v
	}
	w("Tools: brefimg %s; crane %s; buildah %s; pigz %s%s. Registries: %s, and distribution v3 in benchreg's process.\n",
		orDash(r.envValue("brefimg")), orDash(r.envValue("crane")), orDash(r.envValue("buildah")), orDash(r.envValue("pigz")), bk, orDash(r.envValue("ext_registry")))
	w("brefimg `--cache-dir`: %s. Total time of the run: %s s. Load average (1, 5, 15 min) before the run: %s; at its end: %s.\n\n",
		orDash(r.envValue("cache_dir_flag")), orDash(r.envValue("total_seconds")), orDash(r.envValue("load_start")), orDash(r.envValue("load_end")))
	w("Fixtures (deterministic, `internal/benchfix`): `bref/php-80-fpm:1` shaped like Bref v1's base, with `bref/extra-redis-php-80:0.10` and `bref/extra-gmp-php-80:0.10`: %s MB of blobs in the source registry; the Laravel-like app at 1x: %s files, %s MB.\n\n",
		mbString(r.envValue("seed_bytes")), orDash(r.envValue("app_files_1")), mbString(r.envValue("app_bytes_1")))
}

// sideBySide writes the table of every tool and scenario at 1x against
// reg (with the floor after the cold runs), then the runs where brefimg's
// count of pushed blobs differs from the registry's.
func (r *results) sideBySide(w writer, reg string) {
	w("## Side by side: %s (app at 1x; median of the runs)\n\n", r.registryName(reg))
	w("| tool | scenario | runs | median s | fastest s | CPU s | vs brefimg | same digest | blobs uploaded | MB uploaded | MB pulled from source | peak RSS MB |\n")
	w("|---|---|---|---|---|---|---|---|---|---|---|---|\n")
	var pushedNotes []string
	for _, sc := range scenarios {
		ref, refOK := r.group(reg, "brefimg", sc, 1).median()
		for _, tool := range tools {
			g := r.group(reg, tool, sc, 1)
			if len(g.all) == 0 {
				continue
			}
			r.toolRow(w, reg, tool, sc, g, ref, refOK)
			if strings.HasPrefix(tool, "brefimg") {
				pushedNotes = append(pushedNotes, pushedMismatches(tool, sc, g)...)
			}
		}
		if sc == "cold" {
			r.floorRow(w, reg, ref, refOK)
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
func (r *results) toolRow(w writer, reg, tool, sc string, g group, ref float64, refOK bool) {
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
			vs = toolName(tool) + " / brefimg " + ratio(med/ref)
		}
	}
	if p, ok := g.peakMB(); ok {
		rss = fmt.Sprintf("%.0f", p)
	}
	w("| %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", toolName(tool), sc, runsCell(g), medS, fast, cpu, vs, r.sameDigest(reg, tool, sc, 1),
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

// pushedMismatches notes the successful runs g of a brefimg tool in
// scenario sc whose count of pushed blobs differs from the registry's
// uploads.
func pushedMismatches(tool, sc string, g group) []string {
	var notes []string
	for _, x := range g.ok {
		if x.toolPushed >= 0 && x.uploads >= 0 && x.toolPushed != x.uploads {
			notes = append(notes, fmt.Sprintf("%s %s run %d printed %d \"pushed blob\" lines; the registry counted %d uploads.", toolName(tool), sc, x.n, x.toolPushed, x.uploads))
		}
	}
	return notes
}

// floorRow writes the side-by-side row of the floor (copy + pack) against
// reg, when both were measured; ref is brefimg's cold median, when refOK.
func (r *results) floorRow(w writer, reg string, ref float64, refOK bool) {
	total, c, p, ok := r.floor(reg)
	if !ok {
		return
	}
	vs := "—"
	if refOK && ref > 0 {
		vs = "floor/brefimg " + ratio(total/ref)
	}
	gc, gp := r.group(reg, floorCopy, "cold", 1), r.group(reg, floorPack, "cold", 1)
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

// dockerfileTable writes the seed's Dockerfile against the flag build that
// gives the same image (--split none), per registry and scenario.
func (r *results) dockerfileTable(w writer) {
	var rows []string
	for _, reg := range r.registries() {
		for _, sc := range scenarios {
			df, okd := r.group(reg, "brefimg-df", sc, 1).median()
			one, ok1 := r.group(reg, "brefimg-1l", sc, 1).median()
			if !okd || !ok1 {
				continue
			}
			flags := "—"
			if f, ok := r.group(reg, "brefimg", sc, 1).median(); ok {
				flags = secs(f)
			}
			rows = append(rows, fmt.Sprintf("| %s | %s | %s | %s | %.2fx | %s | %s |", regShort(reg), sc, secs(df), secs(one), df/one,
				r.sameImage(reg, sc), flags))
		}
	}
	if len(rows) == 0 {
		return
	}
	w("## The seed's Dockerfile against the flag build\n\n")
	w("`brefimg -f testdata/dockerfiles/seed-opt/Dockerfile` (the seed's Dockerfile with `COPY --from=… /opt /opt`) against `brefimg --bref 1 --php 8.0 --ext redis@0.10,gmp@0.10 --split none`, which gives the same image (one `COPY . /var/task` is one app layer); the flag build with its default vendor/ split for reference (median seconds).\n\n")
	w("| registry | scenario | Dockerfile s | flags --split none s | Dockerfile / flags | same image | flags (vendor/ split) s |\n")
	w("|---|---|---|---|---|---|---|\n")
	for _, row := range rows {
		w("%s\n", row)
	}
	w("\n")
}

// regShort names a registry in a table cell.
func regShort(reg string) string {
	if reg == regExt {
		return "own process"
	}
	return "benchreg's process"
}

// sameImage says whether the Dockerfile's last run of scenario sc gave
// the digest of the --split none flag build's.
func (r *results) sameImage(reg, sc string) string {
	d, okd := r.group(reg, "brefimg-df", sc, 1).last()
	f, okf := r.group(reg, "brefimg-1l", sc, 1).last()
	if !okd || !okf {
		return "—"
	}
	// The warm runs change the app between runs: the last of each was
	// made of the same tree.
	if d.digest == f.digest {
		return "yes"
	}
	return "no"
}

// scaleRegistry is the registry of the scale runs (those above 1x).
func (r *results) scaleRegistry() string {
	for _, x := range r.runs {
		if x.scale > 1 {
			return x.registry
		}
	}
	return ""
}

// scales returns the app scales measured against reg, ascending.
func (r *results) scales(reg string) []int {
	var s []int
	for _, x := range r.runs {
		if x.registry == reg && (x.tool == "brefimg" || x.tool == "crane") && !slices.Contains(s, x.scale) {
			s = append(s, x.scale)
		}
	}
	slices.Sort(s)
	return s
}

// scaleTable writes the table of brefimg and crane at every app scale,
// when more than one was measured.
func (r *results) scaleTable(w writer) {
	reg := r.scaleRegistry()
	scales := r.scales(reg)
	if len(scales) < 2 {
		return
	}
	w("## Warm rebuild against app size (%s)\n\n", r.registryName(reg))
	w("One file of `app/` changed, the previous image in the target and the tool's local state kept (median of the warm runs); cold is the first build of that app into an empty target.\n\n")
	w("| app scale | files | MB | brefimg cold s | brefimg warm s | brefimg warm CPU s | warm vs 1x | brefimg peak RSS MB | crane cold s | crane warm s |\n")
	w("|---|---|---|---|---|---|---|---|---|---|\n")
	warm1, ok1 := r.group(reg, "brefimg", "warm", 1).median()
	for _, s := range scales {
		cell := func(tool, sc string) string {
			if m, ok := r.group(reg, tool, sc, s).median(); ok {
				return secs(m)
			}
			return "—"
		}
		vs := "—"
		if m, ok := r.group(reg, "brefimg", "warm", s).median(); ok && ok1 && warm1 > 0 {
			vs = ratio(m / warm1)
		}
		rss := "—"
		if p, ok := r.peakAt(reg, "brefimg", s); ok {
			rss = fmt.Sprintf("%.0f", p)
		}
		cpu := "—"
		if c, ok := r.group(reg, "brefimg", "warm", s).cpuMedian(); ok {
			cpu = secs(c)
		}
		w("| %dx | %s | %s | %s | %s | %s | %s | %s | %s | %s |\n", s, orDash(r.envValue(fmt.Sprintf("app_files_%d", s))),
			mbString(r.envValue(fmt.Sprintf("app_bytes_%d", s))), cell("brefimg", "cold"), cell("brefimg", "warm"), cpu, vs, rss,
			cell("crane", "cold"), cell("crane", "warm"))
	}
	w("\n")
}

// peakAt is the largest peak RSS of a tool's successful runs at a scale.
func (r *results) peakAt(reg, tool string, scale int) (float64, bool) {
	best, found := 0.0, false
	for _, sc := range append(slices.Clone(scenarios), "verify") {
		if p, ok := r.group(reg, tool, sc, scale).peakMB(); ok {
			best, found = max(best, p), true
		}
	}
	return best, found
}

// appendix writes the notes the script recorded and every measured run.
func (r *results) appendix(w writer) {
	if notes := r.env["note"]; len(notes) > 0 {
		w("\n## Notes from this run\n\n")
		for _, n := range notes {
			w("- %s\n", n)
		}
	}
	if r.raw != "" {
		w("\n## Every run\n\n<details><summary>The measurements this report was made from (tab-separated; seconds are wall time, cpu_seconds user + system, rss_kb the peak RSS in KiB; -1 or - when not known; registry ext is the one in its own process)</summary>\n\n```tsv\n%s```\n\n</details>\n", r.raw)
	}
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
