package layers

import (
	"archive/tar"
	"bytes"
	"io"
	"path"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// FuzzList: no layer content, however hostile, panics List, and every path
// it returns is absolute and clean.
func FuzzList(f *testing.F) {
	var seed bytes.Buffer
	tw := tar.NewWriter(&seed)
	for _, h := range []*tar.Header{
		{Typeflag: tar.TypeDir, Name: "./opt/", Mode: 0o755},
		{Typeflag: tar.TypeReg, Name: "opt/../etc/passwd", Mode: 0o644},
		{Typeflag: tar.TypeSymlink, Name: "/opt/link", Linkname: "../../etc"},
		{Typeflag: tar.TypeLink, Name: "opt/hard", Linkname: "opt/link"},
		{Typeflag: tar.TypeReg, Name: "opt/.wh..wh..opq", Mode: 0o644},
	} {
		tw.WriteHeader(h)
	}
	tw.Close()
	f.Add(seed.Bytes())
	f.Add([]byte{})
	f.Fuzz(func(t *testing.T, b []byte) {
		l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
		if err != nil {
			return
		}
		es, err := List(l)
		if err != nil {
			return
		}
		for _, e := range es {
			if !path.IsAbs(e.Path) || path.Clean(e.Path) != e.Path {
				t.Errorf("List returned %q, not an absolute clean path", e.Path)
			}
		}
	})
}
