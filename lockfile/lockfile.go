// Package lockfile reads and writes brefimg.lock: the digest each image
// reference of a build resolved to, per platform, so that later builds pull
// exactly the same bytes even when a tag such as bref/php-80-fpm:1 moves.
//
// The file is JSON: stable, sorted, and readable in a code review.
package lockfile

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"sort"
	"strings"
)

// Name is the lock file's name in the app directory.
const Name = "brefimg.lock"

// Version is the format version written to new lock files.
const Version = 1

// File is a lock file.
type File struct {
	// Version of the format.
	Version int `json:"version"`
	// Bref is the Bref line the lock was made for (0 when a --base was given).
	Bref int `json:"bref,omitempty"`
	// PHP is the PHP version the lock was made for.
	PHP string `json:"php,omitempty"`
	// Images are the pinned references, sorted by Ref then Platform.
	Images []Entry `json:"images"`
}

// Entry pins one reference on one platform.
type Entry struct {
	// Ref is the reference as the build names it, e.g. "bref/php-80-fpm:1".
	Ref string `json:"ref"`
	// Platform is "os/arch[/variant]".
	Platform string `json:"platform"`
	// Digest is the digest of the image manifest for that platform.
	Digest string `json:"digest"`
	// Index is the digest of the index Ref pointed at, when it was one.
	Index string `json:"index,omitempty"`
}

// Lookup returns the entry for ref on platform.
func (f *File) Lookup(ref, platform string) (Entry, bool) {
	if f == nil {
		return Entry{}, false
	}
	for _, e := range f.Images {
		if e.Ref == ref && e.Platform == platform {
			return e, true
		}
	}
	return Entry{}, false
}

// Set adds or replaces the entry for e.Ref on e.Platform.
func (f *File) Set(e Entry) {
	for i, old := range f.Images {
		if old.Ref == e.Ref && old.Platform == e.Platform {
			f.Images[i] = e
			return
		}
	}
	f.Images = append(f.Images, e)
}

// Marshal renders the file in its canonical form: sorted, indented, ending in a newline.
func (f *File) Marshal() ([]byte, error) {
	c := *f
	c.Version = Version
	c.Images = append([]Entry{}, f.Images...)
	sort.Slice(c.Images, func(i, j int) bool {
		a, b := c.Images[i], c.Images[j]
		if a.Ref != b.Ref {
			return a.Ref < b.Ref
		}
		return a.Platform < b.Platform
	})
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(c); err != nil {
		return nil, err
	}
	return buf.Bytes(), nil
}

// Read reads the lock file in dir. A missing file gives (nil, nil).
func Read(dir string) (*File, error) {
	p := filepath.Join(dir, Name)
	b, err := os.ReadFile(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", p, err)
	}
	return Parse(p, b)
}

// Parse parses lock file contents; name is used in errors.
func Parse(name string, b []byte) (*File, error) {
	var f File
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&f); err != nil {
		return nil, fmt.Errorf("%s is not a brefimg lock file (%v): fix it or delete it and run brefimg lock", name, err)
	}
	if f.Version != Version {
		return nil, fmt.Errorf("%s has version %d; this brefimg reads version %d: run brefimg lock --update", name, f.Version, Version)
	}
	for _, e := range f.Images {
		if e.Ref == "" || e.Platform == "" || !strings.HasPrefix(e.Digest, "sha256:") || len(e.Digest) != len("sha256:")+64 {
			return nil, fmt.Errorf("%s: entry %+v is incomplete: run brefimg lock --update", name, e)
		}
	}
	return &f, nil
}
