package registry_test

import (
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/brefimg/brefimg/registry"
)

// refName is the annotation naming an image in an OCI layout.
const refName = "org.opencontainers.image.ref.name"

// randomImage is a small valid image, different on every call.
func randomImage(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(512, 2)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// digest is img's digest.
func digest(t *testing.T, img v1.Image) v1.Hash {
	t.Helper()
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// layoutEntries reads the OCI layout at dir and returns its index entries
// as "ref name=digest", checking that every image in it is valid.
func layoutEntries(t *testing.T, dir string) []string {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range m.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(img); err != nil {
			t.Errorf("image %s in %s: %v", d.Digest, dir, err)
		}
		out = append(out, d.Annotations[refName]+"="+d.Digest.String())
	}
	return out
}

// write writes img to the OCI layout at dir, naming it tags.
func write(t *testing.T, dir string, img v1.Image, tags ...string) {
	t.Helper()
	if err := (registry.Output{Kind: registry.OutputOCI, Path: dir}).Write(img, tags); err != nil {
		t.Fatal(err)
	}
}

// noTemporaries fails when a temporary file or directory is left under dir.
func noTemporaries(t *testing.T, dir string) {
	t.Helper()
	filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && strings.Contains(d.Name(), ".tmp-") {
			t.Errorf("left behind %s", p)
		}
		return nil
	})
}

// TestOCILayoutKeepsOtherImages checks that -o oci:DIR adds the image to an
// existing layout, replacing only the entry of the same ref name.
func TestOCILayoutKeepsOtherImages(t *testing.T) {
	t.Parallel()
	a, b, c := randomImage(t), randomImage(t), randomImage(t)
	da, db, dc := digest(t, a).String(), digest(t, b).String(), digest(t, c).String()
	type step struct {
		img  v1.Image
		tags []string
	}
	tests := []struct {
		name  string
		steps []step
		want  []string
	}{
		{name: "another tag is kept", steps: []step{{a, []string{"example.com/app:1"}}, {b, []string{"example.com/app:2"}}},
			want: []string{"example.com/app:1=" + da, "example.com/app:2=" + db}},
		{name: "the same tag is replaced", steps: []step{{a, []string{"example.com/app:1"}}, {b, []string{"example.com/app:2"}}, {c, []string{"example.com/app:1"}}},
			want: []string{"example.com/app:2=" + db, "example.com/app:1=" + dc}},
		{name: "every tag names the image", steps: []step{{a, []string{"example.com/app:1"}}, {b, []string{"example.com/app:1", "example.com/app:latest"}}},
			want: []string{"example.com/app:1=" + db, "example.com/app:latest=" + db}},
		{name: "a tag given twice names the image once", steps: []step{{a, []string{"example.com/app:1", "example.com/app:1"}}},
			want: []string{"example.com/app:1=" + da}},
		{name: "an untagged image is added once", steps: []step{{a, []string{"example.com/app:1"}}, {b, nil}, {b, nil}},
			want: []string{"example.com/app:1=" + da, "=" + db}},
		{name: "an untagged image keeps the others", steps: []step{{a, nil}, {b, nil}},
			want: []string{"=" + da, "=" + db}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "layout")
			for _, s := range tc.steps {
				write(t, dir, s.img, s.tags...)
			}
			if got := layoutEntries(t, dir); !slices.Equal(got, tc.want) {
				t.Errorf("layout holds\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(tc.want, "\n"))
			}
			noTemporaries(t, filepath.Dir(dir))
		})
	}
}

// TestOCILayoutOfAnotherTool checks that a layout written by another tool
// (go-containerregistry's layout package, as crane writes it) keeps its
// images and its index annotations.
func TestOCILayoutOfAnotherTool(t *testing.T) {
	t.Parallel()
	dir := filepath.Join(t.TempDir(), "layout")
	other, mine := randomImage(t), randomImage(t)
	p, err := layout.Write(dir, mutate.Annotations(empty.Index, map[string]string{"example.com/owner": "ci"}).(v1.ImageIndex))
	if err != nil {
		t.Fatal(err)
	}
	if err := p.AppendImage(other, layout.WithAnnotations(map[string]string{refName: "other:1"})); err != nil {
		t.Fatal(err)
	}
	write(t, dir, mine, "example.com/app:1")
	want := []string{"other:1=" + digest(t, other).String(), "example.com/app:1=" + digest(t, mine).String()}
	if got := layoutEntries(t, dir); !slices.Equal(got, want) {
		t.Errorf("layout holds %v, want %v", got, want)
	}
	idx, _ := p.ImageIndex()
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if m.Annotations["example.com/owner"] != "ci" {
		t.Errorf("the index lost its annotations: %v", m.Annotations)
	}
}

// TestOCIIntoExistingDirectory checks that -o oci:DIR writes into an
// existing empty directory without renaming it: a mount point or a bind
// mount in CI cannot be renamed over.
func TestOCIIntoExistingDirectory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		// prepare makes an existing empty directory that cannot be renamed,
		// under base, and returns the path to give -o.
		prepare func(t *testing.T, base string) string
	}{
		{name: "read-only parent", prepare: func(t *testing.T, base string) string {
			dir := filepath.Join(base, "parent", "layout")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			readOnly(t, filepath.Dir(dir))
			return dir
		}},
		{name: "a path the kernel refuses to rename (EBUSY, as a mount point)", prepare: func(t *testing.T, base string) string {
			dir := filepath.Join(base, "layout")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			return dir + string(filepath.Separator) + "."
		}},
		{name: "mount point", prepare: mountPoint},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			img := randomImage(t)
			dir := tc.prepare(t, t.TempDir())
			write(t, dir, img, "example.com/app:1")
			want := []string{"example.com/app:1=" + digest(t, img).String()}
			if got := layoutEntries(t, dir); !slices.Equal(got, want) {
				t.Errorf("layout holds %v, want %v", got, want)
			}
			noTemporaries(t, dir)
			// A second image goes into the same directory, beside the first.
			second := randomImage(t)
			write(t, dir, second, "example.com/app:2")
			want = append(want, "example.com/app:2="+digest(t, second).String())
			if got := layoutEntries(t, dir); !slices.Equal(got, want) {
				t.Errorf("layout holds %v, want %v", got, want)
			}
		})
	}
}

// readOnly makes dir read-only for the test, and skips the test when that
// does not stop this process from writing there (root).
func readOnly(t *testing.T, dir string) {
	t.Helper()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	if f, err := os.CreateTemp(dir, "probe-"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Skip("this process can write into a read-only directory (root)")
	}
}

// failingLayer is a layer whose compressed contents fail after a few bytes.
type failingLayer struct{ v1.Layer }

// errBrokenBlob is what a failingLayer's reader returns.
var errBrokenBlob = errors.New("the blob broke")

func (l failingLayer) Compressed() (io.ReadCloser, error) {
	rc, err := l.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{io.MultiReader(io.LimitReader(rc, 10), errReader{}), rc}, nil
}

type errReader struct{}

func (errReader) Read([]byte) (int, error) { return 0, errBrokenBlob }

// brokenImage is a valid image whose last layer fails to read.
func brokenImage(t *testing.T) v1.Image {
	t.Helper()
	l, err := random.Layer(4096, "application/vnd.docker.image.rootfs.diff.tar.gzip")
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(randomImage(t), failingLayer{l})
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// snapshot lists every file under dir with its contents.
func snapshot(t *testing.T, dir string) map[string]string {
	t.Helper()
	out := map[string]string{}
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			if errors.Is(err, os.ErrNotExist) && p == dir {
				return filepath.SkipAll
			}
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		if d.IsDir() {
			out[rel+"/"] = ""
			return nil
		}
		b, err := os.ReadFile(p)
		out[rel] = string(b)
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOCIFailedWriteChangesNothing checks that a write that fails (here a
// layer that cannot be read) leaves the destination as it was: no blob, no
// index entry, no temporary file.
func TestOCIFailedWriteChangesNothing(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string)
	}{
		{name: "no directory"},
		{name: "an empty directory", prepare: func(t *testing.T, dir string) {
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "an existing layout", prepare: func(t *testing.T, dir string) {
			write(t, dir, randomImage(t), "example.com/app:1")
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			parent := t.TempDir()
			dir := filepath.Join(parent, "layout")
			if tc.prepare != nil {
				tc.prepare(t, dir)
			}
			before, parentBefore := snapshot(t, dir), snapshot(t, parent)
			err := (registry.Output{Kind: registry.OutputOCI, Path: dir}).Write(brokenImage(t), []string{"example.com/app:2"})
			if !errors.Is(err, errBrokenBlob) {
				t.Fatalf("error %v, want %v", err, errBrokenBlob)
			}
			if after := snapshot(t, dir); !mapsEqual(before, after) {
				t.Errorf("the failed write changed the layout:\nbefore %v\nafter  %v", keys(before), keys(after))
			}
			if after := snapshot(t, parent); !mapsEqual(parentBefore, after) {
				t.Errorf("the failed write changed the parent:\nbefore %v\nafter  %v", keys(parentBefore), keys(after))
			}
		})
	}
}

func mapsEqual(a, b map[string]string) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if w, ok := b[k]; !ok || w != v {
			return false
		}
	}
	return true
}

func keys(m map[string]string) []string {
	var out []string
	for k := range m {
		out = append(out, k)
	}
	slices.Sort(out)
	return out
}

// TestReadLayout checks which image Read takes from an OCI layout: the one
// image, however many names it has; a layout of several images is refused
// rather than one of them guessed.
func TestReadLayout(t *testing.T) {
	t.Parallel()
	a, b := randomImage(t), randomImage(t)
	tests := []struct {
		name    string
		write   func(t *testing.T, dir string)
		want    v1.Hash
		wantErr string
	}{
		{name: "one image, two names", write: func(t *testing.T, dir string) {
			write(t, dir, a, "example.com/app:1", "example.com/app:latest")
		}, want: digest(t, a)},
		{name: "two images", write: func(t *testing.T, dir string) {
			write(t, dir, a, "example.com/app:1")
			write(t, dir, b, "example.com/app:2")
		}, wantErr: "holds 2 images (example.com/app:1, example.com/app:2)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "layout")
			tc.write(t, dir)
			img, err := (registry.Output{Kind: registry.OutputOCI, Path: dir}).Read()
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("error %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if d := digest(t, img); d != tc.want {
				t.Errorf("read %s, want %s", d, tc.want)
			}
		})
	}
}

// TestStaleOutputTempsRemoved: a killed run leaves ".NAME.tmp-*" next to
// its output; the next write of that output removes those older than an
// hour, and leaves a fresh one (a concurrent run's) alone.
func TestStaleOutputTempsRemoved(t *testing.T) {
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	for _, kind := range []registry.OutputKind{registry.OutputTar, registry.OutputOCI} {
		t.Run(string(kind), func(t *testing.T) {
			dir := t.TempDir()
			out := registry.Output{Kind: kind, Path: filepath.Join(dir, "ck.tar")}
			stale := filepath.Join(dir, ".ck.tar.tmp-111")
			fresh := filepath.Join(dir, ".ck.tar.tmp-222")
			for _, p := range []string{stale, fresh} {
				if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			old := time.Now().Add(-2 * time.Hour)
			if err := os.Chtimes(stale, old, old); err != nil {
				t.Fatal(err)
			}
			if err := out.Write(img, nil); err != nil {
				t.Fatal(err)
			}
			if _, err := os.Stat(stale); !os.IsNotExist(err) {
				t.Errorf("the stale temporary file is still there (%v)", err)
			}
			if _, err := os.Stat(fresh); err != nil {
				t.Errorf("a fresh temporary file was removed: %v", err)
			}
		})
	}
}
