package pipeline_test

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/pipeline"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

// failingBuilder returns err, and counts the builds asked of it.
type failingBuilder struct {
	err    error
	builds int
}

func (b *failingBuilder) Build(context.Context, plan.Plan) (*plan.Result, error) {
	b.builds++
	return nil, b.err
}

// TestRunWithoutImages: a check-only run that cannot read the images runs
// the checks that need none (the front end's findings, the app checks)
// and says which it skipped and why; a run that builds fails instead.
func TestRunWithoutImages(t *testing.T) {
	t.Parallel()
	unreachable := &registry.Error{Op: "pulling", Ref: "bref/php-84:3", Registry: "127.0.0.1:1", Err: errors.New("connection refused")}
	untagged := findings.Finding{ID: findings.IDUntagged, Severity: findings.Warning, Path: "Dockerfile", Line: 2, Message: "untagged"}
	dockerfile := func(base, dir string) plan.Plan {
		return plan.Plan{File: "Dockerfile", Base: base, Platform: v1.Platform{OS: "linux", Architecture: "amd64"},
			Steps: []plan.Step{{Kind: plan.StepCopy, Name: "context", Dir: dir, Sources: []string{"."}, Dest: plan.AppDest, Ignore: []string{}}}}
	}
	flags := func(dir string) plan.Plan {
		return plan.Plan{Line: 3, PHP: "8.4", Base: "bref/php-84:3", Platform: v1.Platform{OS: "linux", Architecture: "amd64"},
			Steps: []plan.Step{{Kind: plan.StepCopy, Name: "app", Dir: dir, Dest: plan.AppDest, Ignore: []string{}}}}
	}
	tests := []struct {
		name     string
		plan     func(dir string) plan.Plan
		opts     []pipeline.Option
		buildErr error
		builds   int
		err      string   // part of the error, "" for none
		skipped  []string // parts of Report.Skipped, line by line
		findings []string // IDs found
	}{
		{name: "a Dockerfile without its images", plan: func(dir string) plan.Plan { return dockerfile("bref/php-84:3", dir) },
			opts:     []pipeline.Option{pipeline.CheckOnly(), pipeline.WithoutImages("registry 127.0.0.1:1 is unreachable")},
			skipped:  []string{"image checks skipped (handler-missing, ext-not-loaded, not-world-readable, tmp-path, ext-outside-opt, unpinned-refs, lock-stale, lambda-*): registry 127.0.0.1:1 is unreachable"},
			findings: []string{findings.IDUntagged, findings.IDVendorMissing}},
		{name: "and its app checks skipped too", plan: func(dir string) plan.Plan { return dockerfile("php:8.4-cli", dir) },
			opts:     []pipeline.Option{pipeline.CheckOnly(), pipeline.WithoutImages("registry 127.0.0.1:1 is unreachable")},
			skipped:  []string{"image checks skipped (", "app checks skipped: the base image php:8.4-cli is not a Bref image"},
			findings: []string{findings.IDUntagged}},
		{name: "a registry that cannot be reached while building", plan: flags, opts: []pipeline.Option{pipeline.CheckOnly()},
			buildErr: unreachable, builds: 1,
			skipped:  []string{"image checks skipped (tmp-path, ext-outside-opt, unpinned-refs, lock-stale, lambda-*): pulling bref/php-84:3 from 127.0.0.1:1: connection refused"},
			findings: []string{findings.IDUntagged, findings.IDHandlerMissing, findings.IDVendorMissing}},
		{name: "a build fails on it", plan: flags, buildErr: unreachable, builds: 1, err: "connection refused"},
		{name: "WithoutImages needs CheckOnly", plan: flags, opts: []pipeline.Option{pipeline.WithoutImages("offline")}, err: "needs CheckOnly"},
		{name: "WithoutImages needs a reason", plan: flags, opts: []pipeline.Option{pipeline.CheckOnly(), pipeline.WithoutImages("")}, err: "needs a reason"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			b := &failingBuilder{err: tc.buildErr}
			rep, err := pipeline.Run(context.Background(), b, tc.plan(t.TempDir()), []findings.Finding{untagged}, tc.opts...)
			if b.builds != tc.builds {
				t.Errorf("%d builds, want %d", b.builds, tc.builds)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Errorf("error %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if rep.Result != nil {
				t.Error("a result without a build")
			}
			lines := strings.Split(rep.Skipped, "\n")
			if len(lines) != len(tc.skipped) {
				t.Fatalf("Skipped %q, want %d lines", rep.Skipped, len(tc.skipped))
			}
			for i, want := range tc.skipped {
				if !strings.HasPrefix(lines[i], want) {
					t.Errorf("Skipped line %d %q does not start with %q", i+1, lines[i], want)
				}
			}
			var ids []string
			for _, f := range rep.Findings {
				ids = append(ids, f.ID)
			}
			if !slices.Equal(ids, tc.findings) {
				t.Errorf("findings %q, want %q", ids, tc.findings)
			}
		})
	}
}
