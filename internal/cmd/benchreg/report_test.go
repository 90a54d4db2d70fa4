package main

import (
	"strings"
	"testing"
)

const sampleResults = "tool\tscenario\tscale\trun\tseconds\tcpu_seconds\trss_kb\tstatus\tdigest\tuploads\tupload_bytes\tpulled_bytes\ttool_pushed\n" +
	"brefimg\tcold\t1\t1\t1.000\t0.80\t50000\tok\tsha256:a\t8\t170000000\t150000000\t8\n" +
	"brefimg\tcold\t1\t2\t1.200\t0.96\t51000\tok\tsha256:a\t8\t170000000\t150000000\t8\n" +
	"brefimg\tcold\t1\t3\t1.100\t0.88\t52000\tok\tsha256:a\t8\t170000000\t150000000\t8\n" +
	"brefimg\twarm\t1\t1\t0.200\t0.16\t40000\tok\tsha256:b\t2\t10000\t0\t2\n" +
	"brefimg\twarm\t1\t2\t0.300\t0.24\t40000\tok\tsha256:c\t2\t10000\t0\t1\n" +
	"brefimg\tno-op\t1\t1\t0.100\t0.08\t40000\tok\tsha256:c\t0\t0\t0\t0\n" +
	"brefimg\tverify\t1\t1\t1.100\t0.88\t40000\tok\tsha256:c\t8\t170000000\t150000000\t8\n" +
	"brefimg\tcold\t10\t1\t9.000\t7.20\t160000\tok\tsha256:d\t8\t1\t1\t8\n" +
	"brefimg\twarm\t10\t1\t0.400\t0.32\t90000\tok\tsha256:e\t2\t1\t1\t2\n" +
	"crane\tcold\t1\t1\t2.200\t1.76\t20000\tok\tsha256:x\t9\t1\t1\t-1\n" +
	"crane\tcold\t1\t2\t2.400\t1.92\t20000\tok\tsha256:y\t9\t1\t1\t-1\n" +
	"crane\twarm\t1\t1\t1.500\t1.20\t20000\tok\tsha256:z\t3\t1\t1\t-1\n" +
	"crane\tno-op\t1\t1\t0.900\t0.72\t20000\tok\tsha256:z\t0\t0\t1\t-1\n" +
	"buildah\tcold\t1\t1\t30.000\t24.00\t100000\tfail\t-\t0\t0\t0\t-1\n" +
	"floor-copy\tcold\t1\t1\t0.600\t0.48\t15000\tok\tsha256:f\t5\t150000000\t150000000\t-1\n" +
	"floor-pack\tcold\t1\t1\t0.500\t0.40\t4000\tok\t-\t-1\t-1\t-1\t-1\n"

func TestReport(t *testing.T) {
	runs, err := parseRuns(strings.NewReader(sampleResults))
	if err != nil {
		t.Fatal(err)
	}
	res := &results{runs: runs, raw: sampleResults, env: parseEnv(strings.NewReader("date=today\nnproc=2\nnote=buildah failed\napp_files_10=83000\nload_start=3.10 2.00 1.00\n"))}
	md := res.markdown()
	for _, want := range []string{
		"| brefimg | cold | 3 | 1.10 | 1.00 | 0.88 | 1.0x | yes | 8 | 170.0 | 150.0 | 53 |",
		"| crane | cold | 2 | 2.30 | 2.20 | 1.84 | crane/brefimg 2.1x | no (2 distinct) | 9 |",
		"| buildah | cold | 1 (1 failed) | failed |",
		"| floor | cold | 1 + 1 | 1.10 (copy 0.60 + tar\\|pigz 0.50) | 1.10 | 0.88 | floor/brefimg 1.0x |",
		"| brefimg | warm | 2 | 0.25 | 0.20 | 0.20 | 1.0x | yes | 2 |",
		"| brefimg | no-op | 1 | 0.10 | 0.10 | 0.08 | 1.0x | yes | 0 |",
		"brefimg warm run 2 printed 1 \"pushed blob\" lines; the registry counted 2 uploads.",
		"| 10x | 83000 |",
		"cold ≤ 1.3× the floor: brefimg 1.10 s = 1.00× the floor (1.10 s): **met**",
		"cold ≥ 15× faster than buildah: not measured",
		"warm ≥ 4× faster than the crane script: crane/brefimg 6.0x (1.50 s vs 0.25 s): **met**",
		"no-op ≥ 5× faster than the crane script: crane/brefimg 9.0x",
		"peak RSS ≤ 150 MB on the app at 10x: brefimg's largest is 164 MB: **missed**",
		"warm at 10x 0.40 s vs at 1x 0.25 s = 1.6x (this report's threshold: ≤ 2x): **met**",
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
