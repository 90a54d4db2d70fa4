package checks_test

import (
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brefimg/brefimg/checks"
	"github.com/brefimg/brefimg/flagplan"
)

var update = flag.Bool("update", false, "rewrite testdata/apps/want/*.findings from this build (review every change by hand)")

// corpus lists the real-shaped apps of testdata/apps (see its README for
// where each comes from) and the flags each is checked with.
var corpus = []struct {
	name  string // the golden file: testdata/apps/want/<name>.findings
	app   string
	flags flagplan.Flags
}{
	{name: "laravel-bref1", app: "laravel-bref1"},
	{name: "laravel-bref2-nolock", app: "laravel-bref2-nolock"},
	{name: "laravel-bref3-nolock", app: "laravel-bref3-nolock"},
	{name: "laravel-no-bref", app: "laravel-no-bref"},
	{name: "symfony-bref2", app: "symfony-bref2"},
	{name: "symfony-demo", app: "symfony-demo"},
	// PHP >= 8.4 on a line whose newest PHP is 8.2: one php-unsatisfiable,
	// not one finding per package.
	{name: "symfony-demo.bref1", app: "symfony-demo", flags: flagplan.Flags{Line: 1}},
	{name: "symfony-sqs-bref0", app: "symfony-sqs-bref0"},
	{name: "symfony-sqs-bref0.bref1", app: "symfony-sqs-bref0", flags: flagplan.Flags{Line: 1}},
}

// TestCorpus plans each app of testdata/apps as brefimg build does without
// flags (or with the few given), runs the app checks on the plan, and
// compares the line, the PHP version, where they came from and every
// finding with the golden file. Run with -update to rewrite them.
func TestCorpus(t *testing.T) {
	for _, tc := range corpus {
		t.Run(tc.name, func(t *testing.T) {
			tc.flags.AppDir = filepath.Join("..", "testdata", "apps", tc.app)
			got := checkApp(t, tc.flags)
			file := filepath.Join("..", "testdata", "apps", "want", tc.name+".findings")
			if *update {
				if err := os.WriteFile(file, []byte(got), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			want, err := os.ReadFile(file)
			if err != nil {
				t.Fatalf("%v (run go test ./checks -run TestCorpus -update to write it)", err)
			}
			if got != string(want) {
				t.Errorf("%s differs (rerun with -update if on purpose):\n--- got\n%s--- want\n%s", file, got, want)
			}
		})
	}
}

// checkApp renders what the flag front end and the app checks say about an
// app: the plan's line and PHP version with their sources, or the error
// planning it, then each finding on a line.
func checkApp(t *testing.T, flags flagplan.Flags) string {
	t.Helper()
	pl, err := flagplan.Plan(flags)
	if err != nil {
		return fmt.Sprintf("error: %v\n", err)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "Bref %d (%s), PHP %s (%s): FROM %s\n", pl.Line, pl.LineSource, pl.PHP, pl.PHPSource, pl.Base)
	fs, err := checks.RunPlan(pl, nil)
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range fs {
		fmt.Fprintln(&b, f)
	}
	return b.String()
}
