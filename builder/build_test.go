package builder

import (
	"context"
	"errors"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/checks"
	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/internal/testregistry"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

// source is a registry client reading the fixtures from a real registry.
func source(t *testing.T) *registry.Client {
	t.Helper()
	reg, err := testregistry.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Close)
	if err := fixtures.Seed(context.Background(), reg.Host); err != nil {
		t.Fatal(err)
	}
	c, err := registry.New(registry.WithMirror(reg.Host))
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestFindings(t *testing.T) {
	src := source(t)
	app := fixtures.WriteDir(t, map[string]string{"public/index.php": "<?php echo 1;", "cache/warm.txt": "x"})
	tests := []struct {
		name    string
		pl      plan.Plan
		want    []string // "id path" of every finding, in order
		wantErr bool
	}{
		{
			name: "clean",
			pl: plan.Plan{Base: "bref/php-80-fpm:1", Platform: amd64, Handler: "public/index.php",
				Steps: []plan.Step{{Dir: app, Dest: "/var/task", CreatedBy: "COPY . /var/task"}}},
		},
		{
			name: "handler missing",
			pl: plan.Plan{Base: "bref/php-80-fpm:1", Platform: amd64, Handler: "index.php",
				Steps: []plan.Step{{Dir: app, Dest: "/var/task"}}},
			want: []string{findings.IDHandlerMissing + " index.php"},
		},
		{
			name: "a directory is not a handler",
			pl: plan.Plan{Base: "bref/php-80-fpm:1", Platform: amd64, Handler: "public",
				Steps: []plan.Step{{Dir: app, Dest: "/var/task"}}},
			want: []string{findings.IDHandlerMissing + " public"},
		},
		{
			name: "files under /tmp",
			pl: plan.Plan{Base: "bref/php-80-fpm:1", Platform: amd64,
				Steps: []plan.Step{{Dir: app, Dest: "/tmp/app"}}},
			want: []string{findings.IDTmp + " /tmp/app", findings.IDTmp + " /tmp/app/cache", findings.IDTmp + " /tmp/app/cache/warm.txt",
				findings.IDTmp + " /tmp/app/public", findings.IDTmp + " /tmp/app/public/index.php"},
		},
		{
			name: "extension outside /opt",
			pl: plan.Plan{Base: "bref/php-80-fpm:1", Platform: amd64,
				Steps: []plan.Step{{Image: fixtures.OutsideOptRef, Name: "outside-opt", Src: "/opt", Dest: "/opt"}}},
			want: []string{findings.IDOutsideCopy + " " + fixtures.OutsideOptRef},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := build(t, src, tc.pl)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			var got []string
			cf, err := res.Image.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			app, err := checks.RunPlan(tc.pl, res)
			if err != nil {
				t.Fatal(err)
			}
			all := append(res.Findings, checks.Build(context.Background(), tc.pl, res, cf.Config)...)
			for _, f := range app {
				if f.ID == findings.IDHandlerMissing {
					all = append(all, f)
				}
			}
			for _, f := range all {
				if f.ID == findings.IDUnpinned {
					continue // every build from tags has it; TestLock covers it
				}
				got = append(got, f.ID+" "+f.Path)
				if f.Message == "" {
					t.Errorf("finding %s has no message", f.ID)
				}
				if f.ID == findings.IDTmp && f.Message != checks.TmpMessage {
					t.Errorf("tmp finding says %q", f.Message)
				}
			}
			if strings.Join(got, "\n") != strings.Join(tc.want, "\n") {
				t.Errorf("findings:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
		})
	}
}

func TestBuildErrors(t *testing.T) {
	src := source(t)
	app := fixtures.WriteDir(t, map[string]string{"index.php": "<?php"})
	tests := []struct {
		name  string
		pl    plan.Plan
		input bool
		want  string
	}{
		{name: "base of another platform", pl: plan.Plan{Base: "bref/php-80-fpm:1", Platform: arm64}, input: true, want: "linux/amd64"},
		{name: "missing base", pl: plan.Plan{Base: "bref/php-99-fpm:1", Platform: amd64}, input: true, want: "bref/php-99-fpm:1"},
		{name: "missing app dir", pl: plan.Plan{Base: "bref/php-80-fpm:1", Platform: amd64, Steps: []plan.Step{{Dir: filepath.Join(app, "nope"), Dest: "/var/task"}}}, input: true, want: "nope"},
		{name: "extension for another arch", pl: plan.Plan{Base: "bref/arm-php-82-fpm:2", Platform: arm64, Steps: []plan.Step{{Image: "bref/extra-redis-php-82:1", Src: "/opt", Dest: "/opt"}}}, input: true, want: "linux/amd64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := build(t, src, tc.pl)
			if err == nil {
				res.Close()
				t.Fatal("no error")
			}
			var in *plan.InputError
			if errors.As(err, &in) != tc.input {
				t.Errorf("input error %v, want %v: %v", !tc.input, tc.input, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

var (
	amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = v1.Platform{OS: "linux", Architecture: "arm64"}
)

// build builds pl with a Builder reading src.
func build(t *testing.T, src Source, pl plan.Plan, opts ...Option) (*plan.Result, error) {
	t.Helper()
	b, err := New(src, append([]Option{WithTempDir(t.TempDir())}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return b.Build(context.Background(), pl)
}
