package dockerfile_test

import (
	"strings"
	"testing"

	"github.com/brefimg/brefimg/dockerfile"
	"github.com/brefimg/brefimg/plan"
)

// TestRunSteps: with WithRunSteps, RUN is kept as a StepRun step at its
// line, and the plan's Solve says what BuildKit builds: the whole image
// when the target stage RUNs (itself or through its FROM stage, or from a
// stage BuildKit cannot name), else only the named stages that RUN.
func TestRunSteps(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name   string
		df     string
		opts   []dockerfile.Option
		solve  bool     // Solve set
		whole  bool     // Solve.Whole
		solved []string // the stages marked Solve
		runs   []int    // the lines of the target's StepRun steps
	}{
		{name: "no RUN", df: "FROM bref/php-84:3\nCOPY . /var/task\n"},
		{name: "RUN in the final stage",
			df:    "FROM bref/php-84:3\nCOPY . /var/task\nRUN composer install\n",
			solve: true, whole: true, runs: []int{3}},
		{name: "RUN only in a named builder stage",
			df:    "FROM composer:2 AS vendor\nRUN composer install\nFROM bref/php-84:3\nCOPY --from=vendor /app/vendor /var/task/vendor\n",
			solve: true, solved: []string{"vendor"}},
		{name: "RUN in a stage named by its index",
			df:    "FROM composer:2\nRUN composer install\nFROM bref/php-84:3\nCOPY --from=0 /app/vendor /var/task/vendor\n",
			solve: true, whole: true, solved: []string{"0"}},
		{name: "final stage FROM a stage that RUNs",
			df:    "FROM bref/php-84:3 AS base\nRUN yum install -y tool\nFROM base\nCOPY . /var/task\n",
			solve: true, whole: true, runs: []int{2}},
		{name: "RUN in a stage the target does not use",
			df: "FROM alpine:3 AS unused\nRUN make\nFROM bref/php-84:3\nCOPY . /var/task\n"},
		{name: "target stage that RUNs",
			df:    "FROM bref/php-84:3 AS app\nRUN echo hi\nFROM bref/php-84:3\nCOPY . /var/task\n",
			opts:  []dockerfile.Option{dockerfile.WithTarget("app")},
			solve: true, whole: true, runs: []int{2}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := t.TempDir()
			opts := append([]dockerfile.Option{dockerfile.WithContextDir(dir), dockerfile.WithImageConfigs(anyConfigs),
				dockerfile.WithRunSteps(), dockerfile.WithBuildArgs("A=1")}, tc.opts...)
			pl, _, err := dockerfile.Parse(strings.NewReader(tc.df), "Dockerfile", opts...)
			if err != nil {
				t.Fatal(err)
			}
			if (pl.Solve != nil) != tc.solve {
				t.Fatalf("Solve = %+v, want set: %v", pl.Solve, tc.solve)
			}
			var solved []string
			for _, st := range pl.Stages {
				if st.Solve {
					solved = append(solved, st.Name)
				}
			}
			if strings.Join(solved, ",") != strings.Join(tc.solved, ",") {
				t.Errorf("stages solved: %q, want %q", solved, tc.solved)
			}
			var runs []int
			for _, s := range pl.Steps {
				if s.Kind == plan.StepRun {
					runs = append(runs, s.Line)
					if !strings.HasPrefix(s.CreatedBy, "RUN ") {
						t.Errorf("RUN step's CreatedBy %q", s.CreatedBy)
					}
				}
			}
			if len(runs) != len(tc.runs) || (len(runs) > 0 && runs[0] != tc.runs[0]) {
				t.Errorf("RUN steps at lines %v, want %v", runs, tc.runs)
			}
			if pl.Solve == nil {
				return
			}
			if pl.Solve.Whole != tc.whole {
				t.Errorf("Whole = %v, want %v", pl.Solve.Whole, tc.whole)
			}
			if string(pl.Solve.Dockerfile) != tc.df || pl.Solve.ContextDir != dir || pl.Solve.BuildArgs["A"] != "1" {
				t.Errorf("Solve does not hold the Dockerfile, its context and its build args: %+v", pl.Solve)
			}
			if docker, err := pl.DockerSteps(); err != nil || !docker {
				t.Errorf("DockerSteps() = %v, %v", docker, err)
			}
		})
	}
}
