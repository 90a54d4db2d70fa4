package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// sampleResults are results as the script writes them: benchreg's
// registry (inproc), the one in its own process (ext), Dockerfile runs.
const sampleResults = "tool\tscenario\tscale\trun\tseconds\tcpu_seconds\trss_kb\tstatus\tdigest\tuploads\tupload_bytes\tpulled_bytes\ttool_pushed\tregistry\n" +
	"brefimg\tcold\t1\t1\t1.000\t0.80\t50000\tok\tsha256:a\t8\t170000000\t150000000\t8\tinproc\n" +
	"brefimg\tcold\t1\t2\t1.200\t0.96\t51000\tok\tsha256:a\t8\t170000000\t150000000\t8\tinproc\n" +
	"brefimg\tcold\t1\t3\t1.100\t0.88\t52000\tok\tsha256:a\t8\t170000000\t150000000\t8\tinproc\n" +
	"brefimg\twarm\t1\t1\t0.200\t0.16\t40000\tok\tsha256:b\t2\t10000\t0\t2\tinproc\n" +
	"brefimg\twarm\t1\t2\t0.300\t0.24\t40000\tok\tsha256:c\t2\t10000\t0\t1\tinproc\n" +
	"brefimg\tno-op\t1\t1\t0.100\t0.08\t40000\tok\tsha256:c\t0\t0\t0\t0\tinproc\n" +
	"brefimg\tverify\t1\t1\t1.100\t0.88\t40000\tok\tsha256:c\t8\t170000000\t150000000\t8\tinproc\n" +
	"crane\tcold\t1\t1\t2.200\t1.76\t20000\tok\tsha256:x\t9\t1\t1\t-1\tinproc\n" +
	"crane\tcold\t1\t2\t2.400\t1.92\t20000\tok\tsha256:y\t9\t1\t1\t-1\tinproc\n" +
	"crane\twarm\t1\t1\t1.500\t1.20\t20000\tok\tsha256:z\t3\t1\t1\t-1\tinproc\n" +
	"crane\tno-op\t1\t1\t0.900\t0.72\t20000\tok\tsha256:z\t0\t0\t1\t-1\tinproc\n" +
	"buildah\tcold\t1\t1\t30.000\t24.00\t100000\tfail\t-\t0\t0\t0\t-1\tinproc\n" +
	"floor-copy\tcold\t1\t1\t0.600\t0.48\t15000\tok\tsha256:f\t5\t150000000\t150000000\t-1\tinproc\n" +
	"floor-pack\tcold\t1\t1\t0.500\t0.40\t4000\tok\t-\t-1\t-1\t-1\t-1\tinproc\n" +
	"brefimg\tcold\t1\t1\t1.000\t0.80\t50000\tok\tsha256:a\t9\t-1\t150000000\t9\text\n" +
	"brefimg\twarm\t1\t1\t0.220\t0.16\t40000\tok\tsha256:c\t2\t-1\t2993\t2\text\n" +
	"brefimg\tno-op\t1\t1\t0.140\t0.08\t40000\tok\tsha256:c\t0\t-1\t2993\t0\text\n" +
	"brefimg\tverify\t1\t1\t1.100\t0.88\t40000\tok\tsha256:c\t8\t-1\t150000000\t8\text\n" +
	"brefimg-1l\tcold\t1\t1\t1.000\t0.80\t50000\tok\tsha256:o\t8\t-1\t150000000\t8\text\n" +
	"brefimg-1l\twarm\t1\t1\t0.800\t0.70\t50000\tok\tsha256:p\t2\t-1\t2993\t2\text\n" +
	"brefimg-1l\tno-op\t1\t1\t0.100\t0.08\t40000\tok\tsha256:p\t0\t-1\t2993\t0\text\n" +
	"brefimg-df\tcold\t1\t1\t1.400\t1.20\t60000\tok\tsha256:o\t8\t-1\t300000000\t8\text\n" +
	"brefimg-df\twarm\t1\t1\t0.880\t0.75\t50000\tok\tsha256:p\t2\t-1\t5224\t2\text\n" +
	"brefimg-df\tno-op\t1\t1\t0.130\t0.10\t40000\tok\tsha256:p\t0\t-1\t5224\t0\text\n" +
	"crane\twarm\t1\t1\t1.500\t1.20\t20000\tok\tsha256:z\t3\t-1\t1\t-1\text\n" +
	"floor-copy\tcold\t1\t1\t0.700\t0.48\t15000\tok\tsha256:f\t5\t-1\t150000000\t-1\text\n" +
	"floor-pack\tcold\t1\t1\t0.500\t0.40\t4000\tok\t-\t-1\t-1\t-1\t-1\text\n" +
	"brefimg\tcold\t10\t1\t9.000\t7.20\t160000\tok\tsha256:d\t8\t-1\t1\t8\text\n" +
	"brefimg\twarm\t10\t1\t0.400\t0.32\t90000\tok\tsha256:e\t2\t-1\t1\t2\text\n"

const sampleProfile = `File: brefimg.test
Showing nodes accounting for 2.5s, 100% of 2.5s total
      flat  flat%   sum%        cum   cum%
         0     0%     0%      2.00s 80.00%  github.com/brefimg/brefimg/cmd/brefimg.run
     0.10s  4.00%  4.00%      500ms 20.00%  github.com/brefimg/brefimg/layers.walkTree
         0     0%  4.00%      0.30s 12.00%  runtime.gcBgMarkWorker
`

func TestReport(t *testing.T) {
	runs, err := parseRuns(strings.NewReader(sampleResults))
	if err != nil {
		t.Fatal(err)
	}
	prof := filepath.Join(t.TempDir(), "profile.txt")
	if err := os.WriteFile(prof, []byte(sampleProfile), 0o644); err != nil {
		t.Fatal(err)
	}
	env := "date=today\nnproc=2\nnote=buildah failed\napp_files_10=83000\nload_start=3.10 2.00 1.00\next_registry=Debian's docker-registry 2.8.2\n" +
		"profile_no-op-1x=" + prof + "\nprofile_no-op-1x_bench=BenchmarkRebuild-2   	      20	  62413132 ns/op	        74.11 cpu-ms/op\nprofile_no-op-1x_registry=ext\n"
	res := &results{runs: runs, raw: sampleResults, env: parseEnv(strings.NewReader(env))}
	md := res.markdown()
	for _, want := range []string{
		"## Side by side: registry in its own process (Debian's docker-registry 2.8.2)",
		"## Side by side: registry in benchreg's process",
		"| brefimg | cold | 3 | 1.10 | 1.00 | 0.88 | 1.0x | yes | 8 | 170.0 | 150.0 | 53 |",
		"| crane | cold | 2 | 2.30 | 2.20 | 1.84 | crane / brefimg 2.1x | no (2 distinct) | 9 |",
		"| buildah | cold | 1 (1 failed) | failed |",
		"| floor | cold | 1 + 1 | 1.10 (copy 0.60 + tar\\|pigz 0.50) | 1.10 | 0.88 | floor/brefimg 1.0x |",
		"| brefimg | warm | 2 | 0.25 | 0.20 | 0.20 | 1.0x | yes | 2 |",
		"| brefimg | no-op | 1 | 0.10 | 0.10 | 0.08 | 1.0x | yes | 0 |",
		"| brefimg -f Dockerfile | warm | 1 | 0.88 |",
		"brefimg warm run 2 printed 1 \"pushed blob\" lines; the registry counted 2 uploads.",
		"| own process | no-op | 0.13 | 0.10 | 1.30x | yes | 0.14 |",
		"| 10x | 83000 |",
		"- no-op ≤ 0.15 s (own process): brefimg 0.14 s: **met**",
		"- warm ≤ 0.25 s (own process): brefimg 0.22 s: **met**",
		"- warm ≥ 6× faster than the crane script (own process): crane/brefimg 6.8x (1.50 s vs 0.22 s): **met**",
		"- app at 10x: warm ≤ 0.6 s (own process): brefimg 0.40 s: **met**",
		"- the seed's Dockerfile warm within 1.2× of the flag build (--split none) (own process): 0.88 s vs 0.80 s = 1.10×: **met**",
		"- the seed's Dockerfile no-op within 1.2× of the flag build (--split none) (own process): 0.13 s vs 0.10 s = 1.30×: **missed**",
		"- the seed's Dockerfile gives the flag build's image (own process): yes: **met**",
		"- a Dockerfile rebuild reads no base blob (own process): at most 5.2 kB pulled",
		"- cold ≤ 1.3× the floor (own process): brefimg 1.00 s = 0.83× the floor (1.20 s): **met**",
		"- cold ≤ 1.3× the floor (benchreg's process): brefimg 1.10 s = 1.00× the floor (1.10 s): **met**",
		"- peak RSS ≤ 150 MB on the app at 10x: brefimg's largest is 164 MB: **missed**",
		"- every no-op uploads zero blobs and gives the digest of the build before:",
		"## Goals of issue 6, as measured by this run (benchreg's process)",
		"- cold ≥ 15× faster than buildah: not measured",
		"- warm ≥ 4× faster than the crane script: crane/brefimg 6.0x (1.50 s vs 0.25 s): **met**",
		"- no-op ≥ 5× faster than the crane script: crane/brefimg 9.0x",
		"## Where a rebuild's time goes",
		"Per build: 62 ms wall, 74 ms CPU",
		"| the whole build, in-process (no process start-up) | 100.0 |",
		"| of which: walking the directory (readdir; lstat of the directories) | 25.0 |",
		"| garbage collection (on other threads) | 15.0 |",
		"- buildah failed",
		"```tsv\ntool\tscenario\t",
		"**Warning: the machine was not idle when this run started (1-minute load average 3.10 on 2 CPUs)",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("report lacks %q", want)
		}
	}
	if t.Failed() {
		t.Log(md)
	}
}

func TestParseRunsRejectsShortLines(t *testing.T) {
	if _, err := parseRuns(strings.NewReader("brefimg\tcold\t1\n")); err == nil {
		t.Error("a line of 3 fields was accepted")
	}
}

// TestParseRunsWithoutRegistry: results from before the registry column
// are benchreg's registry's.
func TestParseRunsWithoutRegistry(t *testing.T) {
	runs, err := parseRuns(strings.NewReader("brefimg\tcold\t1\t1\t1.0\t0.8\t1\tok\tsha256:a\t8\t1\t1\t8\n"))
	if err != nil || len(runs) != 1 || runs[0].registry != regInproc {
		t.Errorf("%v, %v", runs, err)
	}
}

// TestCountUploads: uploads are read from an access log as the target
// registries count them: sessions and monolithic uploads, not mounts.
func TestCountUploads(t *testing.T) {
	log := `127.0.0.1 - - [02/Dec/2026:03:00:27 +0000] "HEAD /v2/x/blobs/sha256:64 HTTP/1.1" 404 157 "" "crane"
127.0.0.1 - - [02/Dec/2026:03:00:27 +0000] "POST /v2/x/blobs/uploads/?from=a&mount=sha256%3A64 HTTP/1.1" 202 0 "" "crane"
127.0.0.1 - - [02/Dec/2026:03:00:27 +0000] "POST /v2/x/blobs/uploads/?from=a&mount=sha256%3A65 HTTP/1.1" 201 0 "" "crane"
127.0.0.1 - - [02/Dec/2026:03:00:27 +0000] "POST /v2/x/blobs/uploads/?digest=sha256%3A66 HTTP/1.1" 201 0 "" "crane"
127.0.0.1 - - [02/Dec/2026:03:00:27 +0000] "PATCH /v2/x/blobs/uploads/u1 HTTP/1.1" 202 0 "" "crane"
127.0.0.1 - - [02/Dec/2026:03:00:27 +0000] "PUT /v2/x/manifests/1 HTTP/1.1" 201 0 "" "crane"
`
	n, err := countUploads(strings.NewReader(log))
	if err != nil || n != 2 {
		t.Errorf("%d uploads (%v), want 2: the session and the monolithic upload", n, err)
	}
}

func TestParseBenchLine(t *testing.T) {
	b, ok := parseBenchLine("BenchmarkRebuild-2   	      30	  62413132 ns/op	        74.11 cpu-ms/op")
	if !ok || b.n != 30 || b.wallNs != 62413132 || b.cpuMsPerOp != 74.11 {
		t.Errorf("%+v, %v", b, ok)
	}
	if _, ok := parseBenchLine("--- FAIL: BenchmarkRebuild"); ok {
		t.Error("a failure was parsed")
	}
}
