package layers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
)

// spool is an append-only temporary file holding the contents a tree read
// from image layers and archives. It is created when first written and
// removed by close.
type spool struct {
	dir    string
	mu     sync.Mutex
	f      *os.File
	off    int64
	closed bool
}

// write appends r's bytes to the spool and returns where they are.
func (s *spool) write(r io.Reader) (spanContent, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.closed {
		return spanContent{}, errors.New("writing to the spool: the tree was closed")
	}
	if s.f == nil {
		dir := s.dir
		if dir == "" {
			dir = os.TempDir()
		}
		f, err := os.CreateTemp(dir, tempPattern(spoolPrefix))
		if err != nil {
			return spanContent{}, fmt.Errorf("creating spool file in %q: %w", dir, err)
		}
		s.f = f
	}
	if _, err := s.f.Seek(s.off, io.SeekStart); err != nil {
		return spanContent{}, fmt.Errorf("writing spool file: %w", err)
	}
	n, err := io.Copy(s.f, r)
	if err != nil {
		return spanContent{}, fmt.Errorf("writing spool file: %w", err)
	}
	c := spanContent{sp: s, off: s.off, n: n}
	s.off += n
	return c, nil
}

// close removes the spool file.
func (s *spool) close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.closed = true
	if s.f == nil {
		return nil
	}
	name := s.f.Name()
	err := s.f.Close()
	s.f = nil
	if rerr := os.Remove(name); rerr != nil && !errors.Is(rerr, os.ErrNotExist) {
		err = errors.Join(err, rerr)
	}
	if err != nil {
		return fmt.Errorf("removing spool file: %w", err)
	}
	return nil
}

// spanContent is content in a spool file.
type spanContent struct {
	sp  *spool
	off int64
	n   int64
}

func (c spanContent) open(context.Context) (io.ReadCloser, error) {
	c.sp.mu.Lock()
	f := c.sp.f
	c.sp.mu.Unlock()
	if f == nil {
		return nil, errors.New("reading spooled content: the tree was closed")
	}
	return io.NopCloser(io.NewSectionReader(f, c.off, c.n)), nil
}

// hostContent is a file of the build context, read from the disk: rel
// (slash-separated) under root, the directory walked; st is its stat when
// the walk found it, which the cache compares to know it did not change.
type hostContent struct {
	root string
	rel  string
	st   statEntry
}

// path is the file's path on the host.
func (c *hostContent) path() string {
	return filepath.Join(c.root, filepath.FromSlash(c.rel))
}

func (c *hostContent) open(context.Context) (io.ReadCloser, error) {
	f, err := os.Open(c.path())
	if err != nil {
		return nil, fmt.Errorf("reading %q: %w", c.path(), unwrapPathError(err))
	}
	return f, nil
}
