package pipeline_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brefimg/brefimg/pipeline"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

// refusingBuilder fails the test if anything is built.
type refusingBuilder struct{ t *testing.T }

func (b refusingBuilder) Build(context.Context, plan.Plan) (*plan.Result, error) {
	b.t.Error("built although an output cannot be written")
	return nil, context.Canceled
}

// TestOutputsCheckedBeforeBuild checks that an output that cannot be
// written stops the run, as an input error, before anything is built.
func TestOutputsCheckedBeforeBuild(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "file")
	if err := os.WriteFile(file, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		out  registry.Output
		want string
	}{
		{name: "tarball on a directory", out: registry.Output{Kind: registry.OutputTar, Path: dir}, want: "is a directory"},
		{name: "tarball in a missing directory", out: registry.Output{Kind: registry.OutputTar, Path: filepath.Join(dir, "missing", "image.tar")}, want: "does not exist"},
		{name: "layout on a file", out: registry.Output{Kind: registry.OutputOCI, Path: file}, want: "not a directory"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := pipeline.Run(context.Background(), refusingBuilder{t}, plan.Plan{}, nil, pipeline.WithOutputs(tc.out))
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), tc.out.String()) {
				t.Errorf("error %v, want one naming %s and saying %q", err, tc.out, tc.want)
			}
			if !plan.IsInput(err) {
				t.Errorf("error %v is not an input error", err)
			}
		})
	}
}
