package build

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/internal/testregistry"
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

func writeTree(t *testing.T, files map[string]string) string {
	t.Helper()
	dir := t.TempDir()
	for p, content := range files {
		full := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(full), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(full, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func TestFindings(t *testing.T) {
	src := source(t)
	app := writeTree(t, map[string]string{"public/index.php": "<?php echo 1;", "cache/warm.txt": "x"})
	tests := []struct {
		name    string
		plan    Plan
		want    []string // "id path" of every finding, in order
		wantErr bool
	}{
		{
			name: "clean",
			plan: Plan{Base: "bref/php-80-fpm:1", Platform: "linux/amd64", Handler: "public/index.php",
				Steps: []Step{{Dir: app, Dest: "/var/task", CreatedBy: "COPY . /var/task"}}},
		},
		{
			name: "handler missing",
			plan: Plan{Base: "bref/php-80-fpm:1", Platform: "linux/amd64", Handler: "index.php",
				Steps: []Step{{Dir: app, Dest: "/var/task"}}},
			want: []string{FindingHandler + " /var/task/index.php"},
		},
		{
			name: "a directory is not a handler",
			plan: Plan{Base: "bref/php-80-fpm:1", Platform: "linux/amd64", Handler: "public",
				Steps: []Step{{Dir: app, Dest: "/var/task"}}},
			want: []string{FindingHandler + " /var/task/public"},
		},
		{
			name: "files under /tmp",
			plan: Plan{Base: "bref/php-80-fpm:1", Platform: "linux/amd64",
				Steps: []Step{{Dir: app, Dest: "/tmp/app"}}},
			want: []string{FindingTmp + " /tmp/app", FindingTmp + " /tmp/app/cache", FindingTmp + " /tmp/app/cache/warm.txt",
				FindingTmp + " /tmp/app/public", FindingTmp + " /tmp/app/public/index.php"},
		},
		{
			name: "extension outside /opt",
			plan: Plan{Base: "bref/php-80-fpm:1", Platform: "linux/amd64",
				Steps: []Step{{Image: "bref/extra-newrelic-php-80:0.10", Name: "newrelic", Src: "/opt", Dest: "/opt"}}},
			want: []string{FindingOutsideCopy + " bref/extra-newrelic-php-80:0.10"},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Build(context.Background(), src, tc.plan)
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			var got []string
			for _, f := range res.Findings {
				if f.ID == FindingUnpinned {
					continue // every build from tags has it; TestLock covers it
				}
				got = append(got, f.ID+" "+f.Path)
				if f.Message == "" {
					t.Errorf("finding %s has no message", f.ID)
				}
				if f.ID == FindingTmp && f.Message != TmpMessage {
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
	app := writeTree(t, map[string]string{"index.php": "<?php"})
	tests := []struct {
		name  string
		plan  Plan
		input bool
		want  string
	}{
		{name: "bad platform", plan: Plan{Base: "bref/php-80-fpm:1", Platform: "amd64"}, input: true, want: "--platform"},
		{name: "base of another platform", plan: Plan{Base: "bref/php-80-fpm:1", Platform: "linux/arm64"}, input: true, want: "linux/amd64"},
		{name: "missing base", plan: Plan{Base: "bref/php-99-fpm:1", Platform: "linux/amd64"}, input: true, want: "bref/php-99-fpm:1"},
		{name: "missing app dir", plan: Plan{Base: "bref/php-80-fpm:1", Platform: "linux/amd64", Steps: []Step{{Dir: filepath.Join(app, "nope"), Dest: "/var/task"}}}, input: true, want: "nope"},
		{name: "extension for another arch", plan: Plan{Base: "bref/arm-php-82-fpm:2", Platform: "linux/arm64", Steps: []Step{{Image: "bref/extra-redis-php-82:1", Src: "/opt", Dest: "/opt"}}}, input: true, want: "linux/amd64"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			res, err := Build(context.Background(), src, tc.plan)
			if err == nil {
				res.Close()
				t.Fatal("no error")
			}
			var in *InputError
			if errors.As(err, &in) != tc.input {
				t.Errorf("input error %v, want %v: %v", !tc.input, tc.input, err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
		})
	}
}

func TestNewPlan(t *testing.T) {
	app := writeTree(t, map[string]string{"public/index.php": "<?php", ".dockerignore": "tests/\n"})
	epoch := time.Unix(42, 0)
	tests := []struct {
		name    string
		flags   Flags
		base    string
		images  []string
		cmd     string
		env     []string
		wantErr string
	}{
		{name: "seed", flags: Flags{Line: 1, PHP: "8.0", Exts: []string{"redis,gmp"}, AppDir: app},
			base: "bref/php-80-fpm:1", images: []string{"bref/extra-redis-php-80:0.10", "bref/extra-gmp-php-80:0.10"}, cmd: "public/index.php"},
		{name: "defaults", flags: Flags{AppDir: app}, base: "bref/php-85:3", cmd: "public/index.php", env: []string{"BREF_RUNTIME=fpm"}},
		{name: "function runtime on v2 arm", flags: Flags{Line: 2, PHP: "83", Runtime: "function", Platform: "linux/arm64", AppDir: app},
			base: "bref/arm-php-83:2", cmd: "index.php"},
		{name: "tag override and --base", flags: Flags{Line: 1, PHP: "8.1", Exts: []string{"redis@0.12"}, Base: "example.com/base:7", Cmd: "web/app.php", AppDir: app},
			base: "example.com/base:7", images: []string{"bref/extra-redis-php-81:0.12"}, cmd: "web/app.php"},
		{name: "bad cmd", flags: Flags{Cmd: " ", AppDir: app}, wantErr: "--cmd"},
		{name: "duplicate ext", flags: Flags{Line: 1, PHP: "8.0", Exts: []string{"redis", "redis"}, AppDir: app}, wantErr: "redis"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.flags.Epoch = epoch
			plan, err := NewPlan(tc.flags)
			if tc.wantErr != "" {
				var in *InputError
				if err == nil || !errors.As(err, &in) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want an input error about %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if plan.Base != tc.base || plan.Handler != tc.cmd || strings.Join(plan.Config.Cmd, " ") != tc.cmd ||
				strings.Join(plan.Config.Env, " ") != strings.Join(tc.env, " ") || !plan.Epoch.Equal(epoch) {
				t.Errorf("plan %+v", plan)
			}
			var images []string
			for _, s := range plan.Steps[:len(plan.Steps)-1] {
				images = append(images, s.Image)
				if s.Src != "/opt" || s.Dest != "/opt" {
					t.Errorf("step %+v does not copy /opt", s)
				}
			}
			if strings.Join(images, " ") != strings.Join(tc.images, " ") {
				t.Errorf("images %v, want %v", images, tc.images)
			}
			last := plan.Steps[len(plan.Steps)-1]
			if last.Dir != app || last.Dest != "/var/task" || strings.Join(last.Ignore, ",") != "tests,brefimg.lock,brefimg.yaml" {
				t.Errorf("app step %+v", last)
			}
		})
	}
}
