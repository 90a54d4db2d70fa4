package layers

import (
	"archive/tar"
	"bytes"
	"io"
	"path"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// tarBytes is a layer whose uncompressed content is b, as it is: List
// reads only Digest (for messages) and Uncompressed.
type tarBytes []byte

func (b tarBytes) Digest() (v1.Hash, error) { return v1.Hash{Algorithm: "sha256", Hex: "00"}, nil }
func (b tarBytes) DiffID() (v1.Hash, error) { return b.Digest() }
func (b tarBytes) Compressed() (io.ReadCloser, error) {
	return nil, io.ErrUnexpectedEOF
}
func (b tarBytes) Uncompressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(b)), nil
}
func (b tarBytes) Size() (int64, error)                { return int64(len(b)), nil }
func (b tarBytes) MediaType() (types.MediaType, error) { return types.OCIUncompressedLayer, nil }

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
		es, err := List(tarBytes(b))
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
