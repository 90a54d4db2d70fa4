package layers

import (
	"archive/tar"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// List reads the entries of any layer, in the order they are stored. It
// streams the layer's uncompressed tar (from l.Uncompressed, so gzip layers
// of any tool work) and never holds it in memory.
//
// Names are normalised to absolute, cleaned paths without a trailing slash:
// "./opt/x", "opt/x/" and "/opt/x" all become "/opt/x"; a "./" entry becomes
// "/". Hard-link targets are normalised the same way; symbolic-link targets
// are returned as stored. Whiteout entries (".wh.*") are listed as they are.
func List(l v1.Layer) ([]Entry, error) {
	name := "layer"
	if d, err := l.Digest(); err == nil {
		name = "layer " + d.String()
	}
	rc, err := l.Uncompressed()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	defer rc.Close()
	var entries []Entry
	tr := tar.NewReader(rc)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading %s: entry %d: %w", name, len(entries)+1, err)
		}
		entries = append(entries, entryFromHeader(hdr))
	}
	// Read to the end, so that a layer read from a registry is checked
	// against its digest before its entries are trusted (or remembered).
	if _, err := io.Copy(io.Discard, rc); err != nil {
		return nil, fmt.Errorf("reading %s: %w", name, err)
	}
	return entries, nil
}

// imagePath normalises a tar name to an absolute, cleaned image path.
func imagePath(name string) string {
	return path.Clean("/" + name)
}

// tarName turns an absolute image path into a tar name: relative, with a
// trailing slash for directories.
func tarName(p string, dir bool) string {
	name := strings.TrimPrefix(p, "/")
	if dir {
		name += "/"
	}
	return name
}

// entryFromHeader describes a tar header as an Entry.
func entryFromHeader(hdr *tar.Header) Entry {
	e := Entry{
		Path:     imagePath(hdr.Name),
		Type:     hdr.Typeflag,
		Mode:     hdr.Mode & 0o7777,
		Size:     hdr.Size,
		Linkname: hdr.Linkname,
		UID:      hdr.Uid,
		GID:      hdr.Gid,
	}
	if e.Type == tar.TypeLink {
		e.Linkname = imagePath(hdr.Linkname)
	}
	return e
}

// comparePaths orders absolute paths depth-first, the children of each
// directory in byte order of their names: the order of [filepath.WalkDir].
// A directory always comes before its contents ("/a" < "/a/x" < "/a-b").
func comparePaths(a, b string) int {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		ca, cb := a[i], b[i]
		if ca == cb {
			continue
		}
		if ca == '/' {
			return -1
		}
		if cb == '/' {
			return 1
		}
		if ca < cb {
			return -1
		}
		return 1
	}
	switch {
	case len(a) < len(b):
		return -1
	case len(a) > len(b):
		return 1
	}
	return 0
}

// within reports whether p is prefix or lies under it.
func within(p, prefix string) bool {
	return p == prefix || prefix == "/" || strings.HasPrefix(p, prefix+"/")
}
