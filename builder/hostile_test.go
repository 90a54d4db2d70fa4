package builder

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"io"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/internal/testregistry"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

// rawLayer writes headers as they are (no cleaning), as a hostile image would.
func rawLayer(t *testing.T, hdrs ...*tar.Header) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, h := range hdrs {
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(h.Linkname))
		}
		content := h.Linkname
		if h.Typeflag == tar.TypeReg {
			h.Linkname = ""
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if h.Typeflag == tar.TypeReg {
			io.WriteString(tw, content)
		}
	}
	tw.Close()
	gz.Close()
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil },
		tarball.WithMediaType(types.DockerLayer))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// reg is a file entry whose content is given in Linkname (rawLayer moves it).
func regEntry(name, content string) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeReg, Name: name, Mode: 0o644, Linkname: content}
}

func dirEntry(name string) *tar.Header {
	return &tar.Header{Typeflag: tar.TypeDir, Name: name, Mode: 0o755}
}

func TestHostileExtensionImages(t *testing.T) {
	reg, err := testregistry.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	ctx := context.Background()
	if err := fixtures.Seed(ctx, reg.Host); err != nil {
		t.Fatal(err)
	}
	src, err := registry.New(registry.WithMirror(reg.Host))
	if err != nil {
		t.Fatal(err)
	}
	push := func(t *testing.T, ref string, ls ...v1.Layer) {
		t.Helper()
		img, err := mutate.AppendLayers(empty.Image, ls...)
		if err != nil {
			t.Fatal(err)
		}
		cf, _ := img.ConfigFile()
		cf = cf.DeepCopy()
		cf.OS, cf.Architecture = "linux", "amd64"
		if img, err = mutate.ConfigFile(img, cf); err != nil {
			t.Fatal(err)
		}
		tag, _ := name.NewTag(reg.Host + "/" + ref)
		if err := remote.Write(tag, img); err != nil {
			t.Fatal(err)
		}
	}
	tests := []struct {
		name      string
		layers    []v1.Layer
		reused    bool
		present   map[string]string // path -> content that must be in the result
		absent    []string
		leftOut   string // a path the ext-outside-opt finding names
		wantError string
	}{
		{
			name:    "a whiteout would delete the base's files",
			layers:  []v1.Layer{rawLayer(t, dirEntry("opt/"), dirEntry("opt/bref/"), regEntry("opt/bref/.wh.etc", ""), regEntry("opt/bref/evil.so", "x"))},
			present: map[string]string{"/opt/bref/evil.so": "x", "/opt/bref/etc/php/conf.d/bref.ini": ""},
		},
		{
			name:    "dot-dot escapes /opt",
			layers:  []v1.Layer{rawLayer(t, dirEntry("opt/"), regEntry("opt/../etc/passwd", "root::0:0::/:/bin/sh\n"), regEntry("opt/ok.so", "ok"))},
			present: map[string]string{"/opt/ok.so": "ok"},
			leftOut: "/etc/passwd",
		},
		{
			name:    "absolute names",
			layers:  []v1.Layer{rawLayer(t, dirEntry("/opt/"), regEntry("/opt/abs.so", "abs"))},
			reused:  true,
			present: map[string]string{"/opt/abs.so": "abs"},
		},
		{
			name:      "a hard link to a file the image does not hold",
			layers:    []v1.Layer{rawLayer(t, dirEntry("opt/"), &tar.Header{Typeflag: tar.TypeLink, Name: "opt/shadow", Linkname: "etc/shadow"})},
			wantError: "which the image does not hold",
		},
		{
			// Appended as it is, the layer gives what unpacking it gives
			// (the last entry wins), as COPY --from would.
			name:    "duplicate entries",
			layers:  []v1.Layer{rawLayer(t, dirEntry("opt/"), regEntry("opt/dup.so", "first"), regEntry("opt/dup.so", "second"))},
			reused:  true,
			present: map[string]string{"/opt/dup.so": ""},
		},
		{
			name:    "/opt itself with other modes",
			layers:  []v1.Layer{rawLayer(t, &tar.Header{Typeflag: tar.TypeDir, Name: "opt/", Mode: 0o700}, regEntry("opt/m.so", "m"))},
			present: map[string]string{"/opt/m.so": "m"},
		},
	}
	for i, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ref := "bref/extra-evil" + strings.Repeat("x", i) + "-php-80:0.10"
			push(t, ref, tc.layers...)
			pl := plan.Plan{Base: "bref/php-80-fpm:1", Platform: amd64,
				Steps: []plan.Step{{Image: ref, Name: "evil", Src: "/opt", Dest: "/opt", CreatedBy: "COPY --from=" + ref + " /opt /opt"}}}
			res, err := build(t, src, pl)
			if tc.wantError != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantError) {
					t.Fatalf("error %v, want %s", err, tc.wantError)
				}
				return
			}
			if err != nil {
				t.Fatalf("the build failed instead of copying /opt safely: %v", err)
			}
			defer res.Close()
			last := res.Origins[len(res.Origins)-1]
			if last.Reused != tc.reused {
				t.Errorf("reused %v, want %v", last.Reused, tc.reused)
			}
			tree, err := fixtures.FileTree(res.Image)
			if err != nil {
				t.Fatal(err)
			}
			for p, content := range tc.present {
				f, ok := tree[strings.TrimPrefix(p, "/")]
				if !ok || (content != "" && f.Content != content) {
					t.Errorf("%s: %+v, want content %q", p, f, content)
				}
			}
			for _, p := range tc.absent {
				if _, ok := tree[strings.TrimPrefix(p, "/")]; ok {
					t.Errorf("%s is in the image", p)
				}
			}
			passwd := tree["etc/passwd"]
			if strings.HasPrefix(passwd.Content, "root::0:0") {
				t.Error("an extension image overwrote /etc/passwd")
			}
			if opt := tree["opt"]; opt.Mode != 0o755 {
				t.Errorf("/opt has mode %o", opt.Mode)
			}
			if tc.leftOut != "" {
				found := false
				for _, f := range res.Findings {
					found = found || (f.ID == findings.IDOutsideCopy && strings.Contains(f.Message, tc.leftOut))
				}
				if !found {
					t.Errorf("no finding names %s: %v", tc.leftOut, res.Findings)
				}
			}
		})
	}
}
