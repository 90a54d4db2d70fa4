package layers

import (
	"archive/tar"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestFileChangingWhileRead: a file that holds more or fewer bytes than
// its size said when its header was written fails the layer, naming why,
// rather than writing a wrong layer.
func TestFileChangingWhileRead(t *testing.T) {
	tests := []struct {
		name     string
		size     int64 // what the header says
		content  string
		wantText string
	}{
		{"grew", 4, "0123456789", "grew while being read"},
		{"shrank", 20, "0123456789", "shrank while being read"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			p := filepath.Join(t.TempDir(), "f")
			if err := os.WriteFile(p, []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			f, err := os.Open(p)
			if err != nil {
				t.Fatal(err)
			}
			defer f.Close()
			o, err := makeOptions([]Option{WithTempDir(t.TempDir())})
			if err != nil {
				t.Fatal(err)
			}
			w, err := newLayerWriter(o, o.tempDir)
			if err != nil {
				t.Fatal(err)
			}
			defer w.abort()
			err = w.add(&tar.Header{Typeflag: tar.TypeReg, Name: "var/task/f", Mode: 0o644, Size: tc.size}, f)
			var ce *contentError
			if !errors.As(err, &ce) || !strings.Contains(err.Error(), tc.wantText) {
				t.Errorf("error %v, want a content error saying %q", err, tc.wantText)
			}
		})
	}
}
