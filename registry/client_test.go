package registry

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"

	"github.com/brefimg/brefimg/internal/testregistry"
)

func TestSource(t *testing.T) {
	tests := []struct {
		name     string
		opts     []Option
		ref      string
		want     string
		scheme   string
		wantErr  string
		optErr   string
		asTarget bool
	}{
		{name: "docker hub without mirror", ref: "bref/php-80-fpm:1", want: "index.docker.io/bref/php-80-fpm:1", scheme: "https"},
		{name: "docker hub through mirror", opts: []Option{WithMirror("mirror.example.com")}, ref: "bref/php-80-fpm:1", want: "mirror.example.com/bref/php-80-fpm:1", scheme: "https"},
		{name: "mirror with prefix and scheme", opts: []Option{WithMirror("https://mirror.example.com/hub/")}, ref: "docker.io/bref/extra-redis-php-80:0.10", want: "mirror.example.com/hub/bref/extra-redis-php-80:0.10", scheme: "https"},
		{name: "official image through mirror", opts: []Option{WithMirror("mirror.example.com")}, ref: "alpine:3", want: "mirror.example.com/library/alpine:3", scheme: "https"},
		{name: "digest through mirror", opts: []Option{WithMirror("mirror.example.com")}, ref: "bref/php-80-fpm@sha256:" + strings.Repeat("a", 64), want: "mirror.example.com/bref/php-80-fpm@sha256:" + strings.Repeat("a", 64), scheme: "https"},
		{name: "other registries untouched", opts: []Option{WithMirror("mirror.example.com")}, ref: "public.ecr.aws/bref/php-80-fpm:1", want: "public.ecr.aws/bref/php-80-fpm:1", scheme: "https"},
		{name: "insecure mirror", opts: []Option{WithMirror("registry.internal:5000"), WithInsecure("registry.internal:5000")}, ref: "bref/php-80-fpm:1", want: "registry.internal:5000/bref/php-80-fpm:1", scheme: "http"},
		{name: "insecure target", opts: []Option{WithInsecure("registry.internal:5000")}, ref: "registry.internal:5000/app:1", want: "registry.internal:5000/app:1", scheme: "http", asTarget: true},
		{name: "target never mirrored", opts: []Option{WithMirror("mirror.example.com")}, ref: "bref/app:1", want: "index.docker.io/bref/app:1", scheme: "https", asTarget: true},
		{name: "target digest", ref: "example.com/app@sha256:" + strings.Repeat("b", 64), wantErr: "names a digest", asTarget: true},
		{name: "malformed", ref: "UPPER::case", wantErr: `"UPPER::case" is not an image reference`},
		{name: "bad mirror", opts: []Option{WithMirror("not a host")}, optErr: "--mirror"},
		{name: "bad insecure host", opts: []Option{WithInsecure("host/path")}, optErr: "--insecure-registry"},
		{name: "zero jobs", opts: []Option{WithJobs(0)}, optErr: "jobs must be greater than zero"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c, err := New(tc.opts...)
			if tc.optErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.optErr) {
					t.Fatalf("New: %v, want an error about %s", err, tc.optErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			parse := c.Source
			if tc.asTarget {
				parse = c.Target
			}
			ref, err := parse(tc.ref)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %s", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if ref.Name() != tc.want || ref.Context().Scheme() != tc.scheme {
				t.Errorf("got %s (%s), want %s (%s)", ref.Name(), ref.Context().Scheme(), tc.want, tc.scheme)
			}
		})
	}
}

func TestImageAndPush(t *testing.T) {
	reg, err := testregistry.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	c, err := New()
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	ctx := context.Background()
	a, _ := c.Target(reg.Host + "/app:a")
	b, _ := c.Target(reg.Host + "/other:b")
	refs, err := c.Push(ctx, img, []name.Reference{a, b})
	if err != nil {
		t.Fatal(err)
	}
	if len(refs) != 2 || refs[0].String() != reg.Host+"/app@"+want.String() || refs[1].String() != reg.Host+"/other@"+want.String() {
		t.Errorf("pushed %v", refs)
	}
	got, res, err := c.Image(ctx, reg.Host+"/app:a", v1.Platform{OS: "linux", Architecture: "amd64"})
	if err == nil {
		// random.Image has no platform in its config: it must be refused, not guessed.
		d, _ := got.Digest()
		t.Fatalf("read %s (%+v) without a platform check", d, res)
	}
	var rerr *Error
	if !errors.As(err, &rerr) || !rerr.IsInput() || !strings.Contains(err.Error(), "linux/amd64") {
		t.Errorf("error %v, want an input error naming the platform", err)
	}
	_, _, err = c.Image(ctx, reg.Host+"/missing:1", v1.Platform{OS: "linux", Architecture: "amd64"})
	if !IsInput(err) || !strings.Contains(err.Error(), "no such image") || !strings.Contains(err.Error(), reg.Host) {
		t.Errorf("missing image: %v", err)
	}
}

func TestOutputs(t *testing.T) {
	img, err := random.Image(256, 1)
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name    string
		spec    string
		prepare func(dir string) error
		wantErr string
	}{
		{name: "oci", spec: "oci:layout"},
		{name: "oci replaces an earlier layout", spec: "oci:layout", prepare: func(dir string) error {
			return (Output{Kind: "oci", Path: filepath.Join(dir, "layout")}).Write(img, nil)
		}},
		{name: "oci refuses a foreign dir", spec: "oci:layout", prepare: func(dir string) error {
			return os.MkdirAll(filepath.Join(dir, "layout", "src"), 0o755)
		}, wantErr: "not an OCI layout"},
		{name: "tar", spec: "tar:image.tar"},
		{name: "tar into a missing dir", spec: "tar:missing/image.tar", wantErr: "writing"},
		{name: "unknown scheme", spec: "zip:x", wantErr: "unknown output"},
		{name: "no path", spec: "oci:", wantErr: "unknown output"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.prepare != nil {
				if err := tc.prepare(dir); err != nil {
					t.Fatal(err)
				}
			}
			out, err := ParseOutput(tc.spec)
			if err == nil {
				out.Path = filepath.Join(dir, out.Path)
				err = out.Write(img, []string{"example.com/app:1"})
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %s", err, tc.wantErr)
				}
			} else if err != nil {
				t.Fatal(err)
			}
			entries, _ := os.ReadDir(dir)
			for _, e := range entries {
				if strings.Contains(e.Name(), ".tmp-") {
					t.Errorf("left behind %s", e.Name())
				}
			}
			if tc.wantErr == "" {
				if _, err := os.Stat(out.Path); err != nil {
					t.Errorf("output missing: %v", err)
				}
			}
		})
	}
}

func TestHugeConfigRefused(t *testing.T) {
	reg, err := testregistry.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	img, err := random.Image(16, 1)
	if err != nil {
		t.Fatal(err)
	}
	cf, _ := img.ConfigFile()
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	cf.Config.Labels = map[string]string{"padding": strings.Repeat("x", MaxConfigSize)}
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	c, _ := New()
	ref, _ := c.Target(reg.Host + "/huge:1")
	if _, err := c.Push(context.Background(), img, []name.Reference{ref}); err != nil {
		t.Fatal(err)
	}
	_, _, err = c.Image(context.Background(), reg.Host+"/huge:1", v1.Platform{OS: "linux", Architecture: "amd64"})
	if !IsInput(err) || !strings.Contains(err.Error(), "more than any image needs") {
		t.Errorf("error %v, want the huge config refused", err)
	}
}
