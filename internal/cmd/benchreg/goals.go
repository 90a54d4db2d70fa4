package main

import (
	"fmt"
	"strings"
)

// goalList writes goals, each met or missed with its figure, or why it was
// not measured.
type goalList struct{ w writer }

// goal writes one goal and its figure, met or missed.
func (g goalList) goal(name, figure string, met bool) {
	v := "**missed**"
	if met {
		v = "**met**"
	}
	g.w("- %s: %s: %s\n", name, figure, v)
}

// missing writes a goal that could not be measured.
func (g goalList) missing(name string, what ...string) {
	g.w("- %s: not measured (no successful %s runs)\n", name, strings.Join(what, " or "))
}

// Issue 19's thresholds.
const (
	noopGoal       = 0.15 // s, brefimg no-op at 1x
	warmGoal       = 0.25 // s, brefimg warm at 1x
	warmCraneGoal  = 6    // crane warm / brefimg warm
	warm10xGoal    = 0.6  // s, brefimg warm at 10x
	dockerfileGoal = 1.2  // Dockerfile / flags --split none, warm and no-op
	floorGoal      = 1.3  // brefimg cold / the floor
	rssGoal        = 150  // MB, at the largest scale
	// pulledGoal bounds the bytes a rebuild pulls from the source: the
	// image configs (a few kB) and no layer blob (the smallest is larger).
	pulledGoal = 100_000
)

// goals19 states each goal of issue 19 (against the registry in its own
// process, and the floor against both).
func (r *results) goals19(w writer) {
	w("## Goals of issue 19, as measured by this run\n\n")
	g := goalList{w}
	reg := regExt
	if !strings.Contains(strings.Join(r.registries(), " "), regExt) {
		reg = regInproc
		w("The registry in its own process was not measured: these are against benchreg's.\n\n")
	}
	med := func(tool, sc string) (float64, bool) { return r.group(reg, tool, sc, 1).median() }
	where := " (" + regShort(reg) + ")"
	if bn, ok := med("brefimg", "no-op"); ok {
		g.goal("no-op ≤ 0.15 s"+where, fmt.Sprintf("brefimg %s s", secs(bn)), bn <= noopGoal)
	} else {
		g.missing("no-op ≤ 0.15 s", "brefimg no-op")
	}
	bw, okw := med("brefimg", "warm")
	if okw {
		g.goal("warm ≤ 0.25 s"+where, fmt.Sprintf("brefimg %s s", secs(bw)), bw <= warmGoal)
	} else {
		g.missing("warm ≤ 0.25 s", "brefimg warm")
	}
	if cw, ok := med("crane", "warm"); ok && okw {
		g.goal("warm ≥ 6× faster than the crane script"+where, fmt.Sprintf("crane/brefimg %.1fx (%s s vs %s s)", cw/bw, secs(cw), secs(bw)), cw/bw >= warmCraneGoal)
	} else {
		g.missing("warm ≥ 6× faster than the crane script", "brefimg", "crane")
	}
	sreg := r.scaleRegistry()
	if m, ok := r.group(sreg, "brefimg", "warm", 10).median(); ok {
		g.goal("app at 10x: warm ≤ 0.6 s ("+regShort(sreg)+")", fmt.Sprintf("brefimg %s s", secs(m)), m <= warm10xGoal)
	} else {
		g.missing("app at 10x: warm ≤ 0.6 s", "brefimg warm at 10x")
	}
	r.dockerfileGoals(g, reg, where)
	for _, rg := range r.registries() {
		bc, okb := r.group(rg, "brefimg", "cold", 1).median()
		name := "cold ≤ 1.3× the floor (" + regShort(rg) + ")"
		if total, _, _, ok := r.floor(rg); ok && okb {
			g.goal(name, fmt.Sprintf("brefimg %s s = %.2f× the floor (%s s)", secs(bc), bc/total, secs(total)), bc <= floorGoal*total)
		} else {
			g.missing(name, "brefimg", "floor")
		}
	}
	scales := r.scales(sreg)
	if len(scales) > 0 && scales[len(scales)-1] > 1 {
		top := scales[len(scales)-1]
		if p, ok := r.peakAt(sreg, "brefimg", top); ok {
			g.goal(fmt.Sprintf("peak RSS ≤ 150 MB on the app at %dx", top), fmt.Sprintf("brefimg's largest is %.0f MB", p), p <= rssGoal)
		}
	} else {
		g.missing("peak RSS ≤ 150 MB on a large app", "brefimg (at a scale above 1x)")
	}
	r.noopGoals(g)
	w("\n")
}

// dockerfileGoals states the Dockerfile goals: warm and no-op within 1.2×
// of the flag build that gives the same image, the same image, and no base
// blob read by a rebuild.
func (r *results) dockerfileGoals(g goalList, reg, where string) {
	for _, sc := range []string{"warm", "no-op"} {
		name := "the seed's Dockerfile " + sc + " within 1.2× of the flag build (--split none)" + where
		df, okd := r.group(reg, "brefimg-df", sc, 1).median()
		one, ok1 := r.group(reg, "brefimg-1l", sc, 1).median()
		if !okd || !ok1 {
			g.missing(name, "brefimg -f Dockerfile", "brefimg --split none")
			continue
		}
		g.goal(name, fmt.Sprintf("%s s vs %s s = %.2f×", secs(df), secs(one), df/one), df <= dockerfileGoal*one)
	}
	if same := r.sameImage(reg, "cold"); same != "—" {
		g.goal("the seed's Dockerfile gives the flag build's image"+where, same, same == "yes")
	} else {
		g.missing("the seed's Dockerfile gives the flag build's image", "brefimg -f Dockerfile", "brefimg --split none")
	}
	var most int64 = -1
	for _, sc := range []string{"warm", "no-op"} {
		for _, x := range r.group(reg, "brefimg-df", sc, 1).ok {
			most = max(most, x.pulledBytes)
		}
	}
	if most >= 0 {
		g.goal("a Dockerfile rebuild reads no base blob"+where, fmt.Sprintf("at most %.1f kB pulled from the source in a warm or no-op run (the image configs; the smallest layer blob is larger)", float64(most)/1e3), most < pulledGoal)
	}
}

// noopGoals states, for every brefimg build and registry, that a no-op
// uploads nothing and gives the digest of the build before.
func (r *results) noopGoals(g goalList) {
	var bad []string
	n := 0
	for _, reg := range r.registries() {
		for _, tool := range tools[:3] {
			gr := r.group(reg, tool, "no-op", 1)
			if len(gr.ok) == 0 {
				continue
			}
			n++
			var most int64
			for _, x := range gr.ok {
				most = max(most, x.uploads, x.toolPushed)
			}
			if most > 0 {
				bad = append(bad, fmt.Sprintf("%s (%s) uploaded %d blob(s)", toolName(tool), regShort(reg), most))
			}
			if same := r.sameDigest(reg, tool, "no-op", 1); same != "yes" {
				bad = append(bad, fmt.Sprintf("%s (%s) same digest: %s", toolName(tool), regShort(reg), same))
			}
		}
	}
	if n == 0 {
		g.missing("no-op uploads zero blobs and keeps the digest", "brefimg no-op")
		return
	}
	figure := fmt.Sprintf("%d brefimg builds × registries checked", n)
	if len(bad) > 0 {
		figure = strings.Join(bad, "; ")
	}
	g.goal("every no-op uploads zero blobs and gives the digest of the build before", figure, len(bad) == 0)
}

// goals6 states each goal of issue 6 (against benchreg's registry, as
// that issue measured them).
func (r *results) goals6(w writer) {
	reg := regInproc
	if !strings.Contains(strings.Join(r.registries(), " "), regInproc) {
		reg = regExt
	}
	w("## Goals of issue 6, as measured by this run (%s)\n\n", regShort(reg))
	g := goalList{w}
	med := func(tool, sc string) (float64, bool) { return r.group(reg, tool, sc, 1).median() }
	bc, okb := med("brefimg", "cold")
	if cc, ok := med("crane", "cold"); ok && okb {
		g.goal("cold faster than the crane script", fmt.Sprintf("brefimg %s s, crane %s s (crane/brefimg %.2fx)", secs(bc), secs(cc), cc/bc), bc < cc)
	} else {
		g.missing("cold faster than the crane script", "brefimg", "crane")
	}
	if bu, ok := med("buildah", "cold"); ok && okb {
		g.goal("cold ≥ 15× faster than buildah", fmt.Sprintf("buildah/brefimg %.1fx (%s s vs %s s)", bu/bc, secs(bu), secs(bc)), bu/bc >= 15)
	} else {
		g.missing("cold ≥ 15× faster than buildah", "brefimg", "buildah")
	}
	bw, okw := med("brefimg", "warm")
	if bu, ok := med("buildah", "warm"); ok && okw {
		g.goal("warm ≥ 50× faster than buildah", fmt.Sprintf("buildah/brefimg %.1fx (%s s vs %s s)", bu/bw, secs(bu), secs(bw)), bu/bw >= 50)
	} else {
		g.missing("warm ≥ 50× faster than buildah", "brefimg", "buildah")
	}
	if cw, ok := med("crane", "warm"); ok && okw {
		g.goal("warm ≥ 4× faster than the crane script", fmt.Sprintf("crane/brefimg %.1fx (%s s vs %s s)", cw/bw, secs(cw), secs(bw)), cw/bw >= 4)
	} else {
		g.missing("warm ≥ 4× faster than the crane script", "brefimg", "crane")
	}
	bn, okn := med("brefimg", "no-op")
	if cn, ok := med("crane", "no-op"); ok && okn {
		g.goal("no-op ≥ 5× faster than the crane script", fmt.Sprintf("crane/brefimg %.1fx (%s s vs %s s)", cn/bn, secs(cn), secs(bn)), cn/bn >= 5)
	} else {
		g.missing("no-op ≥ 5× faster than the crane script", "brefimg", "crane")
	}
	sreg := r.scaleRegistry()
	scales := r.scales(sreg)
	w1, ok1 := r.group(sreg, "brefimg", "warm", 1).median()
	if len(scales) > 0 && ok1 {
		top := scales[len(scales)-1]
		if wt, ok := r.group(sreg, "brefimg", "warm", top).median(); ok && top > 1 {
			g.goal("warm cost grows with what changed, not with the size of the app",
				fmt.Sprintf("warm at %dx %s s vs at 1x %s s = %.1fx, %s (this report's threshold: ≤ 2x)", top, secs(wt), secs(w1), wt/w1, regShort(sreg)), wt <= 2*w1)
		}
	}
	w("\n")
}

const method = `## Method

- A source registry (` + "`internal/cmd/benchreg`" + `, the real distribution registry with filesystem
  storage, on loopback) holds the fixtures; every tool pulls from it (brefimg through
  ` + "`--mirror`" + `) and pushes to a target: a registry in its own process (Debian's
  ` + "`docker-registry`" + `, distribution 2.8, with the configuration Debian ships less its
  htpasswd auth, or, without it, ` + "`benchreg registry`" + `: distribution v3 alone in a process),
  and a registry in benchreg's process, next to the source. Every tool builds the same
  job: the base, the redis and gmp extension images' ` + "`/opt`" + `, the app under
  ` + "`/var/task`" + `, CMD ` + "`public/index.php`" + `.
- brefimg runs three ways: its flags (` + "`--bref 1 --php 8.0 --ext redis@0.10,gmp@0.10`" + `, vendor/ in
  a layer of its own); the same with ` + "`--split none`" + ` (one app layer); and ` + "`-f`" + ` the seed's
  Dockerfile in its ` + "`/opt`" + ` form (` + "`testdata/dockerfiles/seed-opt/Dockerfile`" + `), which gives the
  ` + "`--split none`" + ` image.
- **cold**: the target is emptied before each run (new storage; the registry in its own
  process is started again) and the tool starts with no local state: brefimg gets a new
  ` + "`--cache-dir`" + ` and a new ` + "`XDG_CACHE_HOME`" + `, buildah a new storage root; crane keeps nothing anyway.
- **warm**: after the cold runs, each run first rewrites one file of ` + "`app/`" + ` with content never
  built before (same size), then builds; the previous image is in the target and the tool's
  local state is kept. **no-op**: the same build again, nothing changed.
- **same digest**: cold, all runs give one digest; warm, the last warm image equals a build of
  the same tree from nothing (empty target, no local state: the "verify" run); no-op, every run
  gives the digest of the build before it.
- **blobs uploaded**: upload sessions the target started (a cross-repository mount is not
  counted); for the registry in its own process they are read from its access log, which
  does not give the bytes (MB uploaded "—"); **MB pulled from source**: blob bytes the source
  registry served (image configs are blobs too). brefimg's own "pushed blob" lines
  (` + "`--progress plain`" + `) are checked against the registry's count.
- Wall time from bash's ` + "`EPOCHREALTIME`" + ` around the command; peak RSS is ` + "`/usr/bin/time -v`" + `'s
  "Maximum resident set size" (the largest process of the command, e.g. crane or buildah, not the
  sum). The registries are not counted in any RSS, but they share the CPUs.
- **crane script**: ` + "`crane export`" + ` of each extension image (their files as a tar), ` + "`tar`" + ` of the
  app under ` + "`var/task/`" + ` (sorted, owner 0, fixed mtime), ` + "`crane append`" + ` of the three tarballs on
  the base (source to target), then ` + "`crane mutate --cmd public/index.php`" + `.
- **buildah** (benchreg's registry only): ` + "`buildah bud --isolation chroot --storage-driver vfs --tls-verify=false`" + `
  on the Dockerfile below (context: the app), then ` + "`buildah push --tls-verify=false`" + ` to the target.
- **floor** (cold only, per registry): ` + "`crane copy`" + ` of the base from source to an empty target,
  plus ` + "`tar -cf - . | pigz`" + ` of the app to a file, medians added.
- **where the time goes**: ` + "`go test ./cmd/brefimg -bench Rebuild`" + ` runs 20 rebuilds in-process
  (so without process start-up) against the registry in its own process with a CPU profile;
  each component's CPU time is its cumulative time in the profile, per build.

` + "```Dockerfile" + `
FROM $SOURCE/bref/php-80-fpm:1
COPY --from=$SOURCE/bref/extra-redis-php-80:0.10 /opt /opt
COPY --from=$SOURCE/bref/extra-gmp-php-80:0.10 /opt /opt
COPY . /var/task
CMD ["public/index.php"]
` + "```" + `
`
