package layers

import (
	"archive/tar"
	"bufio"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"runtime"
	"slices"
	"sync"
	"time"

	"github.com/klauspost/pgzip"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Entry is one tar entry of a layer.
type Entry struct {
	// Path is absolute in the image and cleaned, without a trailing slash:
	// "/var/task/public/index.php", "/var/task". The root is "/".
	Path string
	// Type is the tar type flag: tar.TypeReg, tar.TypeDir, tar.TypeSymlink,
	// tar.TypeLink, ...
	Type byte
	// Mode holds the permission bits of the tar header (with setuid, setgid
	// and sticky), e.g. 0o644; file-type bits some tools add are dropped.
	Mode int64
	// Size is the size of the content; 0 for anything but regular files.
	Size int64
	// Linkname is the target of a symbolic link as stored, or, for a hard
	// link, the absolute path of the entry it links to.
	Linkname string
	// UID and GID are the numeric owner and group.
	UID, GID int
}

// String describes the entry in one line, like `ls -l`:
// "-rw-r--r-- 0:0 14 /var/task/index.php", "lrwxrwxrwx 0:0 0 /opt/x -> y".
func (e Entry) String() string {
	kind := "?"
	switch e.Type {
	case tar.TypeReg:
		kind = "-"
	case tar.TypeDir:
		kind = "d"
	case tar.TypeSymlink:
		kind = "l"
	case tar.TypeLink:
		kind = "h"
	case tar.TypeChar:
		kind = "c"
	case tar.TypeBlock:
		kind = "b"
	case tar.TypeFifo:
		kind = "p"
	}
	s := fmt.Sprintf("%s%s %d:%d %d %s", kind, fs.FileMode(e.Mode & 0o777).String()[1:], e.UID, e.GID, e.Size, e.Path)
	switch e.Type {
	case tar.TypeSymlink:
		s += " -> " + e.Linkname
	case tar.TypeLink:
		s += " => " + e.Linkname
	}
	return s
}

// Skipped is a file of the source directory that was left out of a layer,
// and why.
type Skipped struct {
	// Path is relative to the source directory, slash-separated.
	Path string
	// Reason says why, e.g. "socket: cannot be stored in an image".
	Reason string
	// Excluded is true for a path [WithExclude] names (brefimg's own
	// file), false for a special file (socket, pipe, device).
	Excluded bool
}

// The compression every layer this package writes uses; part of the digest
// contract: changing any of them changes every digest.
const (
	// GzipLevel is the deflate level (klauspost/pgzip, as gzip's default).
	GzipLevel = 6
	// GzipBlockSize is the size of the blocks compressed in parallel.
	GzipBlockSize = 1 << 20
)

// Layer is a layer made by this package. It implements [v1.Layer] and is
// backed by a gzip file written exactly once, whose digest and diffID were
// computed while it was written. Call [Layer.Close] when the layer is no
// longer needed.
type Layer struct {
	path      string
	digest    v1.Hash
	diffID    v1.Hash
	size      int64
	mediaType types.MediaType
	entries   []Entry
	skipped   []Skipped

	mu     sync.Mutex
	closed bool
	cached bool // the file belongs to a Cache: Close leaves it
	// corrupt, when set, means the file is checked against the digest as
	// it is read; a mismatch calls it (dropping the cache entry).
	corrupt func()
}

var _ v1.Layer = (*Layer)(nil)

// Digest returns the sha256 of the compressed layer.
func (l *Layer) Digest() (v1.Hash, error) { return l.digest, nil }

// DiffID returns the sha256 of the uncompressed layer (the tar stream).
func (l *Layer) DiffID() (v1.Hash, error) { return l.diffID, nil }

// Size returns the size of the compressed layer in bytes.
func (l *Layer) Size() (int64, error) { return l.size, nil }

// MediaType returns the media type set with [WithMediaType].
func (l *Layer) MediaType() (types.MediaType, error) { return l.mediaType, nil }

// Compressed opens the layer's gzip file.
func (l *Layer) Compressed() (io.ReadCloser, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil, fmt.Errorf("reading layer %s: the layer was closed", l.digest)
	}
	f, err := os.Open(l.path)
	if err != nil {
		return nil, fmt.Errorf("reading layer %s: %w", l.digest, err)
	}
	if l.corrupt != nil {
		return &verifyingReader{f: f, h: sha256.New(), l: l}, nil
	}
	return f, nil
}

// verifyingReader checks a cached layer against its digest as it is read;
// a mismatch fails the read at its end and drops the cache entry.
type verifyingReader struct {
	f *os.File
	h hash.Hash
	l *Layer
}

func (v *verifyingReader) Read(p []byte) (int, error) {
	n, err := v.f.Read(p)
	v.h.Write(p[:n])
	if err == io.EOF && hex.EncodeToString(v.h.Sum(nil)) != v.l.digest.Hex {
		v.l.corrupt()
		return n, fmt.Errorf("reading cached layer %s: its content does not match its digest (the cache entry was removed): run the build again", v.l.digest)
	}
	return n, err
}

func (v *verifyingReader) Close() error { return v.f.Close() }

// Uncompressed opens the layer's gzip file and decompresses it.
func (l *Layer) Uncompressed() (io.ReadCloser, error) {
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	zr, err := gzip.NewReader(rc)
	if err != nil {
		rc.Close()
		return nil, fmt.Errorf("decompressing layer %s: %w", l.digest, err)
	}
	return &gunzipReader{Reader: zr, zr: zr, file: rc}, nil
}

type gunzipReader struct {
	io.Reader
	zr   *gzip.Reader
	file io.Closer
}

func (r *gunzipReader) Close() error {
	return errors.Join(r.zr.Close(), r.file.Close())
}

// Entries returns the entries of the layer, in the order they were written.
func (l *Layer) Entries() []Entry { return slices.Clone(l.entries) }

// Skipped returns the files of the source directory that were left out
// because an image cannot hold them (sockets, named pipes, devices). Files
// left out by ignore patterns are not listed.
func (l *Layer) Skipped() []Skipped { return slices.Clone(l.skipped) }

// Close removes the layer's file. Reading the layer afterwards is an error.
// Calling Close again does nothing.
func (l *Layer) Close() error {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.closed {
		return nil
	}
	l.closed = true
	if l.cached {
		return nil
	}
	if err := os.Remove(l.path); err != nil && !errors.Is(err, os.ErrNotExist) {
		return fmt.Errorf("removing layer file: %w", err)
	}
	return nil
}

// layerWriter writes a layer in one pass: tar -> gzip -> file, hashing the
// tar stream (diffID) and the gzip stream (digest) on the way.
type layerWriter struct {
	f      *os.File
	buf    *bufio.Writer
	gz     *pgzip.Writer
	tw     *tar.Writer
	digest hash.Hash
	diffID hash.Hash
	size   countingWriter
	sink   *fileSink

	copyBuf []byte

	epoch     time.Time
	mediaType types.MediaType
	entries   []Entry
	skipped   []Skipped
}

type countingWriter struct{ n int64 }

func (c *countingWriter) Write(p []byte) (int, error) {
	c.n += int64(len(p))
	return len(p), nil
}

// fileSink is where a layer file's bytes go; it keeps the first error
// writing them (a full, read-only or failing disk), as opposed to an
// error reading what goes into the layer.
type fileSink struct {
	w   io.Writer
	err error
}

func (s *fileSink) Write(p []byte) (int, error) {
	n, err := s.w.Write(p)
	if err != nil && s.err == nil {
		s.err = err
	}
	return n, err
}

// layerFileWriter is what writes a layer file's bytes: the file itself;
// tests replace it to make the disk fail.
var layerFileWriter = func(f *os.File) io.Writer { return f }

// diskError is a failure to create or write a layer file in a directory:
// the directory, not the layer's sources, is at fault.
type diskError struct{ err error }

func (e *diskError) Error() string { return e.err.Error() }
func (e *diskError) Unwrap() error { return e.err }

// isDiskError reports whether err is a *diskError.
func isDiskError(err error) bool {
	var de *diskError
	return errors.As(err, &de)
}

// newLayerWriter starts a layer file in dir.
func newLayerWriter(o *options, dir string) (*layerWriter, error) {
	f, err := os.CreateTemp(dir, tempPattern(layerPrefix)+".tar.gz")
	if err != nil {
		return nil, &diskError{fmt.Errorf("creating layer file in %q: %w", dir, err)}
	}
	sink := &fileSink{w: layerFileWriter(f)}
	w := &layerWriter{
		f:         f,
		sink:      sink,
		buf:       bufio.NewWriterSize(sink, 256<<10),
		digest:    sha256.New(),
		diffID:    sha256.New(),
		epoch:     o.epoch,
		mediaType: o.mediaType,
	}
	// Pinned: the compressor, its level and its block size are part of the
	// digest contract (see the package doc). Blocks of GzipBlockSize bytes
	// are compressed in parallel, each with the previous block's tail as
	// its dictionary, so the output does not depend on how many run at once.
	// The gzip header is left empty: no name, no comment, zero ModTime.
	gz, err := pgzip.NewWriterLevel(io.MultiWriter(w.buf, w.digest, &w.size), GzipLevel)
	if err == nil {
		err = gz.SetConcurrency(GzipBlockSize, max(2, runtime.GOMAXPROCS(0)))
	}
	if err != nil {
		w.abort()
		return nil, fmt.Errorf("starting gzip: %w", err)
	}
	w.gz = gz
	w.tw = tar.NewWriter(io.MultiWriter(gz, w.diffID))
	return w, nil
}

// contentError is a failure to read the content of an entry, as opposed to a
// failure to write the layer.
type contentError struct{ err error }

func (e *contentError) Error() string { return e.err.Error() }
func (e *contentError) Unwrap() error { return e.err }

// errRecorder passes reads through and keeps the first error other than EOF.
type errRecorder struct {
	r   io.Reader
	err error
}

func (r *errRecorder) Read(p []byte) (int, error) {
	n, err := r.r.Read(p)
	if err != nil && err != io.EOF && r.err == nil {
		r.err = err
	}
	return n, err
}

// add writes one entry. name is the tar name (relative, directories ending
// with "/"); hdr's owner names, times and PAX records are reset, and its
// ModTime set to the epoch. content is read for hdr.Size bytes; a failure to
// read it is returned as a *contentError.
func (w *layerWriter) add(hdr *tar.Header, content io.Reader) error {
	hdr.Uname, hdr.Gname = "", ""
	hdr.ModTime = w.epoch
	hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
	hdr.PAXRecords = nil
	hdr.Format = tar.FormatUnknown
	if err := w.tw.WriteHeader(hdr); err != nil {
		return w.failed(fmt.Errorf("writing layer entry %q: %w", hdr.Name, err))
	}
	if hdr.Size > 0 {
		src := &errRecorder{r: io.LimitReader(content, hdr.Size)}
		if w.copyBuf == nil {
			w.copyBuf = make([]byte, 64<<10)
		}
		// Hide tar.Writer's ReadFrom, which allocates a buffer per entry.
		n, err := io.CopyBuffer(struct{ io.Writer }{w.tw}, src, w.copyBuf)
		if src.err != nil {
			return &contentError{err: src.err}
		}
		if err != nil {
			return w.failed(fmt.Errorf("writing layer entry %q: %w", hdr.Name, err))
		}
		if n != hdr.Size {
			return &contentError{err: fmt.Errorf("it shrank while being read (%d of %d bytes)", n, hdr.Size)}
		}
		if f, ok := content.(fileReader); ok {
			var one [1]byte
			if k, _ := f.Read(one[:]); k > 0 {
				return &contentError{err: fmt.Errorf("it grew while being read (more than %d bytes): build again once nothing writes to it", hdr.Size)}
			}
		}
	}
	w.entries = append(w.entries, entryFromHeader(hdr))
	return nil
}

// fileReader is content read from a file, which add checks did not grow:
// an *os.File, or a wrapper that says it reads one.
type fileReader interface {
	io.Reader
	Stat() (os.FileInfo, error)
}

// finish completes the layer and returns it.
func (w *layerWriter) finish() (*Layer, error) {
	if err := w.tw.Close(); err != nil {
		w.abort()
		return nil, w.failed(fmt.Errorf("finishing layer tar: %w", err))
	}
	if err := w.gz.Close(); err != nil {
		w.abort()
		return nil, w.failed(fmt.Errorf("finishing layer gzip: %w", err))
	}
	if err := w.buf.Flush(); err != nil {
		w.abort()
		return nil, w.failed(fmt.Errorf("writing layer file %q: %w", w.f.Name(), err))
	}
	if err := w.f.Close(); err != nil {
		os.Remove(w.f.Name())
		return nil, &diskError{fmt.Errorf("writing layer file %q: %w", w.f.Name(), err)}
	}
	return &Layer{
		path:      w.f.Name(),
		digest:    v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(w.digest.Sum(nil))},
		diffID:    v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(w.diffID.Sum(nil))},
		size:      w.size.n,
		mediaType: w.mediaType,
		entries:   w.entries,
		skipped:   w.skipped,
	}, nil
}

// failed returns err, a *diskError when writing the layer file failed.
func (w *layerWriter) failed(err error) error {
	if w.sink.err != nil && !isDiskError(err) {
		return &diskError{err}
	}
	return err
}

// abort closes and removes the partial layer file.
func (w *layerWriter) abort() {
	w.f.Close()
	os.Remove(w.f.Name())
}
