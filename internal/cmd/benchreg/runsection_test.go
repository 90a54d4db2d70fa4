package main

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func TestStamp(t *testing.T) {
	var out, log bytes.Buffer
	n := 0
	now := func() time.Time {
		n++
		return time.Unix(100, int64(n)*1000)
	}
	if err := stamp(strings.NewReader("a\nb\nno newline"), &out, &log, now); err != nil {
		t.Fatal(err)
	}
	if got := out.String(); got != "a\nb\nno newline" {
		t.Errorf("copied %q", got)
	}
	if got, want := log.String(), "100.000001\ta\n100.000002\tb\n100.000003\tno newline\n"; got != want {
		t.Errorf("stamped %q, want %q", got, want)
	}
}

// wholeLines are the progress lines of a warm build on the whole path.
const wholeLines = `1000.10	buildkit: [internal] load build definition from Dockerfile
1000.20	buildkit: [context bref/php-80-fpm:1] OCI load from client
1000.60	buildkit: [stage-0 1/5] COPY --from=bref/extra-redis-php-80:0.10 /opt /opt
1000.61	buildkit: [stage-0 1/5] COPY --from=bref/extra-redis-php-80:0.10 /opt /opt: cached
1000.70	buildkit: [stage-0 3/5] COPY . /var/task
1005.60	buildkit: [stage-0 4/5] RUN cd /var/task && find vendor
1005.70	  | some output
1007.40	buildkit: exporting to oci image format
1017.50	base bref/php-80-fpm:1 -> sha256:5a14
1017.60	pushed blob sha256:0453d8b91eb1 186.0 kB (run)
`

func TestPhases(t *testing.T) {
	dir := t.TempDir()
	f := filepath.Join(dir, "warm.log")
	if err := os.WriteFile(f, []byte(wholeLines), 0o644); err != nil {
		t.Fatal(err)
	}
	lines, err := readStamped(f)
	if err != nil {
		t.Fatal(err)
	}
	p, ok := phases(lines, 1000, 1018)
	if !ok {
		t.Fatal("no phases")
	}
	want := []float64{0.10, 0.50, 5.00, 1.80, 10.10, 0.50}
	if len(p) != len(want) {
		t.Fatalf("phases %v, want %v", p, want)
	}
	for i := range want {
		if d := p[i] - want[i]; d > 1e-6 || d < -1e-6 {
			t.Errorf("phase %d: %.3f, want %.3f", i+1, p[i], want[i])
		}
	}
	// A build that never reached BuildKit's RUN has no phases.
	if _, ok := phases(lines[:3], 1000, 1018); ok {
		t.Error("phases of a build without RUN, want none")
	}
}

func TestRunSection(t *testing.T) {
	dir := t.TempDir()
	stampFile := filepath.Join(dir, "warm.log")
	if err := os.WriteFile(stampFile, []byte(wholeLines), 0o644); err != nil {
		t.Fatal(err)
	}
	row := func(tool, sc string, n int, secs float64, digest string, uploads, pushed int, dcpu string) string {
		pulled := 1000
		if tool == "brefimg-run-stage" {
			pulled = 3000
		}
		return fmt.Sprintf("%s\t%s\t1\t%d\t%.3f\t1.00\t60000\tok\t%s\t%d\t-1\t%d\t%d\text\t%s\n", tool, sc, n, secs, digest, uploads, pulled, pushed, dcpu)
	}
	tsv := "tool\tscenario\tscale\trun\tseconds\tcpu_seconds\trss_kb\tstatus\tdigest\tuploads\tupload_bytes\tpulled_bytes\ttool_pushed\tregistry\tdaemon_cpu_seconds\n" +
		row("brefimg-df", "warm", 1, 0.5, "sha256:d", 2, 2, "-1") +
		row("brefimg-run-final", "cold", 1, 20, "sha256:a", 10, 10, "20.00") +
		row("brefimg-run-final", "cold", 2, 32, "sha256:a", 10, 10, "22.00") +
		row("brefimg-run-final", "warm", 1, 18, "sha256:b", 3, 3, "11.00") +
		row("brefimg-run-final", "verify", 1, 31, "sha256:b", 10, 10, "21.00") +
		row("buildah-run-final", "cold", 1, 40, "sha256:x", 7, -1, "-1") +
		row("buildah-run-final", "warm", 1, 27, "sha256:y", 2, -1, "-1") +
		row("brefimg-run-stage", "cold", 1, 20, "sha256:s", 10, 9, "15.00") +
		row("buildah-run-stage", "cold", 1, 40, "sha256:z", 7, -1, "-1")
	runs, err := parseRuns(strings.NewReader(tsv))
	if err != nil {
		t.Fatal(err)
	}
	env := "buildkitd=v0.34.2 (overlayfs)\nrun_registry=ext\nrun_base=shell/bref/php-80-fpm:1@sha256:5a14\n" +
		"stamped=brefimg-run-final warm 1 1 ext 1000 1018 " + stampFile + "\n" +
		"stamped=brefimg-run-final cold 1 1 ext 1000 1018 " + filepath.Join(dir, "missing.log") + "\n"
	res := &results{runs: runs, raw: tsv, env: parseEnv(strings.NewReader(env))}
	md := res.markdown()
	for _, want := range []string{
		"buildkitd v0.34.2 (overlayfs)",
		"## Dockerfiles that RUN: brefimg with BuildKit against buildah (registry in its own process",
		"(shell/bref/php-80-fpm:1@sha256:5a14)",
		"| run-final | whole | cold | 2 | 26.00 | 20.00 | 1.00 + 21.00 | 1 | 40.00 | 40.00 | 1.00 | 1.5x | yes / — (1 run) | 10 / 7 | 0.0 / 0.0 |",
		"| run-final | whole | warm | 1 | 18.00 | 18.00 | 1.00 + 11.00 | 1 | 27.00 | 27.00 | 1.00 | 1.5x | yes / — (not checked) | 3 / 2 | 0.0 / 0.0 |",
		"| run-stage | stage | cold | 1 | 20.00 | 20.00 | 1.00 + 15.00 | 1 | 40.00 | 40.00 | 1.00 | 2.0x | — (1 run) / — (1 run) | 10 / 7 | 0.0 / 0.0 |",
		"Cold, on the stage path (run-stage), brefimg pulled 0.0 MB from the source registry, 3.0 times what buildah pulled (0.0 MB, each blob once)",
		"- brefimg-run-stage cold run 1 printed 9 \"pushed blob\" lines; the registry counted 10 uploads.",
		"On the whole path (run-final), brefimg with BuildKit took cold 26.00 s against buildah's 40.00 s (buildah/brefimg 1.5x); warm 18.00 s against buildah's 27.00 s (buildah/brefimg 1.5x); a warm rebuild costs 69% of a cold build.",
		"On the stage path (run-stage), brefimg with BuildKit took cold 20.00 s against buildah's 40.00 s (buildah/brefimg 2.0x).",
		"brefimg alone rebuilds the seed's Dockerfile in 0.50 s warm (table above): with the RUN on the whole path the warm rebuild takes 18.00 s, 36x as long",
		"| run-final | whole | warm | 1 | 0.10 | 0.50 | 5.00 | 1.80 | 10.10 | 0.50 | 18.00 |",
		"Runs of one scenario spread widely on this machine (brefimg run-final cold 20.00–32.00 s)",
		"brefimg-run-final\twarm\t1\t1\t18.000\t1.00\t60000\tok\tsha256:b\t3\t-1\t1000\t3\text\t11.00",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if strings.Contains(md, "| run-final | whole | cold | 1 | 0.") {
		t.Error("a run whose stamped file is missing got phases")
	}

	skipped := &results{env: parseEnv(strings.NewReader("run_skip=missing runc\n"))}
	if md := skipped.markdown(); !strings.Contains(md, "## Dockerfiles that RUN") || !strings.Contains(md, "Not measured: missing runc.") {
		t.Errorf("a skipped section is not reported as such:\n%s", md)
	}
	if md := (&results{env: map[string][]string{}}).markdown(); strings.Contains(md, "Dockerfiles that RUN") {
		t.Error("a report without the section has its heading")
	}
}
