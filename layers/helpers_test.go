package layers

import (
	"archive/tar"
	"bytes"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// tarFile is one entry of a layer as read back, with its content.
type tarFile struct {
	hdr  *tar.Header
	data string
}

// readTar reads every header and content of l's uncompressed tar.
func readTar(t testing.TB, l v1.Layer) []tarFile {
	t.Helper()
	rc, err := l.Uncompressed()
	if err != nil {
		t.Fatalf("Uncompressed: %v", err)
	}
	defer rc.Close()
	var files []tarFile
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if err == io.EOF {
			return files
		}
		if err != nil {
			t.Fatalf("reading tar: %v", err)
		}
		data, err := io.ReadAll(tr)
		if err != nil {
			t.Fatalf("reading %q: %v", hdr.Name, err)
		}
		files = append(files, tarFile{hdr: hdr, data: string(data)})
	}
}

// writeFile creates name (slash-separated, under dir) with content and the
// exact permission bits perm, creating parent directories 0755.
func writeFile(t testing.TB, dir, name, content string, perm os.FileMode) {
	t.Helper()
	p := filepath.Join(dir, filepath.FromSlash(name))
	if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(p, []byte(content), perm); err != nil {
		t.Fatal(err)
	}
	if err := os.Chmod(p, perm); err != nil {
		t.Fatal(err)
	}
}

// mkdir creates name (slash-separated, under dir) and its parents.
func mkdir(t testing.TB, dir, name string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Join(dir, filepath.FromSlash(name)), 0o755); err != nil {
		t.Fatal(err)
	}
}

// names lists the entries' paths relative to under ("/var/task"), with a
// trailing slash for directories, leaving out under and its ancestors.
func names(entries []Entry, under string) []string {
	var out []string
	for _, e := range entries {
		rel, ok := strings.CutPrefix(e.Path, under+"/")
		if !ok {
			continue
		}
		if e.Type == tar.TypeDir {
			rel += "/"
		}
		out = append(out, rel)
	}
	return out
}

// checkParents fails unless every entry's parent directory is an entry
// written before it.
func checkParents(t testing.TB, entries []Entry) {
	t.Helper()
	seen := map[string]bool{"/": true}
	for _, e := range entries {
		parent := e.Path[:strings.LastIndex(e.Path, "/")]
		if parent == "" {
			parent = "/"
		}
		if !seen[parent] {
			t.Errorf("entry %q comes without its parent directory %q before it", e.Path, parent)
		}
		if e.Type == tar.TypeDir {
			seen[e.Path] = true
		}
	}
}

// checkEntries fails unless l.Entries and List(l) both equal want.
func checkEntries(t testing.TB, l *Layer, want []Entry) {
	t.Helper()
	if got := l.Entries(); !slices.Equal(got, want) {
		t.Errorf("Entries():\n got %v\nwant %v", got, want)
	}
	listed, err := List(l)
	if err != nil {
		t.Fatalf("List: %v", err)
	}
	if !slices.Equal(listed, want) {
		t.Errorf("List():\n got %v\nwant %v", listed, want)
	}
}

// digestOf returns l's digest.
func digestOf(t testing.TB, l v1.Layer) v1.Hash {
	t.Helper()
	d, err := l.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// closeLayer closes l at the end of the test.
func closeLayer(t testing.TB, l *Layer) {
	t.Cleanup(func() {
		if err := l.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
}

// checkLayer fails unless l's Digest and Size agree with its compressed
// bytes, and its DiffID with its uncompressed bytes.
func checkLayer(t testing.TB, l v1.Layer) {
	t.Helper()
	hashOf := func(open func() (io.ReadCloser, error)) (v1.Hash, int64) {
		rc, err := open()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		h, n, err := v1.SHA256(rc)
		if err != nil {
			t.Fatal(err)
		}
		return h, n
	}
	digest, size := hashOf(l.Compressed)
	diffID, _ := hashOf(l.Uncompressed)
	if got, _ := l.Digest(); got != digest {
		t.Errorf("Digest() = %s, compressed bytes hash to %s", got, digest)
	}
	if got, _ := l.Size(); got != size {
		t.Errorf("Size() = %d, compressed bytes are %d", got, size)
	}
	if got, _ := l.DiffID(); got != diffID {
		t.Errorf("DiffID() = %s, uncompressed bytes hash to %s", got, diffID)
	}
}

// tarEntry describes an entry of a hand-made layer.
type tarEntry struct {
	name     string
	typ      byte
	mode     int64
	uid, gid int
	uname    string
	link     string
	data     string
	mtime    time.Time
}

// tarLayer is a layer made from tar bytes by another tool: go-containerregistry
// compresses it with its own gzip.
type tarLayer []byte

func (b tarLayer) DiffID() (v1.Hash, error) {
	h, _, err := v1.SHA256(bytes.NewReader(b))
	return h, err
}

func (b tarLayer) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(b)), nil
}

func (b tarLayer) MediaType() (types.MediaType, error) { return types.DockerLayer, nil }

// layerOf makes a v1.Layer holding entries, in that order.
func layerOf(t testing.TB, entries ...tarEntry) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, e := range entries {
		hdr := &tar.Header{
			Name:     e.name,
			Typeflag: e.typ,
			Mode:     e.mode,
			Uid:      e.uid,
			Gid:      e.gid,
			Uname:    e.uname,
			Linkname: e.link,
			Size:     int64(len(e.data)),
			ModTime:  e.mtime,
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatalf("writing %q: %v", e.name, err)
		}
		if _, err := io.WriteString(tw, e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	l, err := partial.UncompressedToLayer(tarLayer(buf.Bytes()))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// emptyDir fails unless dir holds no files.
func emptyDir(t testing.TB, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("left behind in %s: %s", dir, e.Name())
	}
}
