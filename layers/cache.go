package layers

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/debug"
	"sort"
	"strings"
	"sync"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// DefaultCacheSize bounds a cache's layers; the least recently used go first.
const DefaultCacheSize = 2 << 30

// cacheFormat names what a cached layer's bytes depend on besides its
// entries: the layer format, the compressor's settings (see GzipLevel) and
// the versions of the code that compresses (pgzip, klauspost/compress's
// deflate, Go), as the binary records them.
var cacheFormat = func() string {
	f := fmt.Sprintf("brefimg-layer-1 level %d block %d %s", GzipLevel, GzipBlockSize, runtime.Version())
	if bi, ok := debug.ReadBuildInfo(); ok {
		for _, m := range bi.Deps {
			if m.Path == "github.com/klauspost/pgzip" || m.Path == "github.com/klauspost/compress" {
				f += " " + m.Path + "@" + m.Version
			}
		}
	}
	return f
}()

// racyWindow: a file changed this close to when its content was hashed
// might have changed again within the same timestamp; it is hashed again.
const racyWindow = 2 * time.Second

// Cache keeps compressed layers between builds, keyed by everything their
// bytes depend on (entries, contents, format), so a layer whose inputs did
// not change is not compressed again. It also remembers each file's content
// hash with the file's size, mtime, ctime, inode and device: a file whose
// stat did not change is not read again. A content change always changes the
// ctime, which no tool can set back, so the cache never serves a stale
// layer; files changed within racyWindow of being hashed are hashed again.
// A cached blob is checked against its digest before use; a corrupt one is
// removed and rebuilt. Safe for concurrent builds: every file is written
// under a temporary name and renamed.
type Cache struct {
	dir     string
	maxSize int64

	opened int64 // unix ns, before any file was read: what SavedAt records

	mu    sync.Mutex
	stats map[string]*statFile // by stat file (see statGroup)
	hits  int
	// failed is why the cache stopped being written (nil while it works);
	// onDisable is told, once.
	failed    error
	onDisable func(error)
}

// cacheDirs are the subdirectories of a cache.
var cacheDirs = []string{"layers", "lists", "trees", "stat", "tmp"}

// OpenCache opens (creating it if needed) the cache in dir. maxSize bounds
// its layers in bytes (0 means DefaultCacheSize). A cache that cannot be
// written (read-only, full, not a directory) is an error: the caller
// builds without one. Temporary files that killed builds left in the
// cache are removed (see [RemoveStaleTemp]).
func OpenCache(dir string, maxSize int64) (*Cache, error) {
	if maxSize <= 0 {
		maxSize = DefaultCacheSize
	}
	for _, sub := range cacheDirs {
		if err := os.MkdirAll(filepath.Join(dir, sub), 0o755); err != nil {
			return nil, fmt.Errorf("opening layer cache %s: %w: choose another --cache-dir, or --no-cache", dir, err)
		}
	}
	for _, sub := range []string{"layers", "tmp"} {
		if err := probeWrite(filepath.Join(dir, sub)); err != nil {
			return nil, fmt.Errorf("opening layer cache %s: it cannot be written: %w: choose another --cache-dir, or --no-cache", dir, err)
		}
	}
	c := &Cache{dir: dir, maxSize: maxSize, stats: map[string]*statFile{}, opened: time.Now().UnixNano()}
	removeStale(c.tempDir(), func(string) bool { return true }, time.Now())
	return c, nil
}

// probeWrite checks that a file can be created and written in dir.
func probeWrite(dir string) error {
	f, err := os.CreateTemp(dir, ".probe-*")
	if err != nil {
		return unwrapPathError(err)
	}
	_, err = f.Write([]byte{0})
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	os.Remove(f.Name())
	return unwrapPathError(err)
}

// OnDisable sets f to be told, once, why the cache stopped being written
// during a build (a full or read-only disk): the build then goes on
// without it, in the temporary directory.
func (c *Cache) OnDisable(f func(error)) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.onDisable = f
}

// disable stops writing the cache, and says why once.
func (c *Cache) disable(err error) {
	c.mu.Lock()
	first := c.failed == nil
	if first {
		c.failed = err
	}
	f := c.onDisable
	c.mu.Unlock()
	if first && f != nil {
		f(fmt.Errorf("the layer cache %s cannot be written, building on without it: %w", c.dir, err))
	}
}

// usable reports whether layers may be looked up in and written to c (a
// nil cache is not).
func (c *Cache) usable() bool {
	if c == nil {
		return false
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.failed == nil
}

// tempDir is where layers bound for the cache are written, on the same
// file system, so that storing one is a rename.
func (c *Cache) tempDir() string { return filepath.Join(c.dir, "tmp") }

// WithCache reuses and keeps in c the layers [FromDir], [FromDirSplit] and
// [Tree.WriteLayer] make, and the listings of the image layers [ReadTree]
// reads. A cache that turns out not to be writable is left for the rest of
// the build (see [Cache.OnDisable]).
func WithCache(c *Cache) Option {
	return func(o *options) error {
		if c == nil {
			return errors.New("cache must not be nil")
		}
		o.cache = c
		return nil
	}
}

// Dir returns the cache's directory.
func (c *Cache) Dir() string { return c.dir }

// Hits returns how many layers were taken from the cache.
func (c *Cache) Hits() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.hits
}

type statEntry struct {
	Size  int64  `json:"size"`
	Mtime int64  `json:"mtime"`
	Ctime int64  `json:"ctime"`
	Ino   uint64 `json:"ino"`
	Dev   uint64 `json:"dev"`
	Sum   string `json:"sum"`
}

// hashFile returns the sha256 of a file's content.
func hashFile(p string) (string, error) {
	f, err := os.Open(p)
	if err != nil {
		return "", err
	}
	defer f.Close()
	h := sha256.New()
	if _, err := io.Copy(h, f); err != nil {
		return "", err
	}
	return hex.EncodeToString(h.Sum(nil)), nil
}

type cacheMeta struct {
	Digest string `json:"digest"`
	DiffID string `json:"diffID"`
	Size   int64  `json:"size"`
	// Verified is the blob's stat when its digest was last checked.
	Verified *statEntry `json:"verified,omitempty"`
}

func (c *Cache) blobPath(key string) string { return filepath.Join(c.dir, "layers", key+".tar.gz") }
func (c *Cache) metaPath(key string) string { return filepath.Join(c.dir, "layers", key+".json") }

// lookup returns the cached layer for key, checked against its digest, or
// nil; entries gives its entries. A corrupt entry is removed.
func (c *Cache) lookup(key string, o *options, entries func() []Entry) *Layer {
	b, err := os.ReadFile(c.metaPath(key))
	if err != nil {
		return nil
	}
	var m cacheMeta
	if json.Unmarshal(b, &m) != nil {
		c.drop(key)
		return nil
	}
	digest, err1 := v1.NewHash(m.Digest)
	diffID, err2 := v1.NewHash(m.DiffID)
	if err1 != nil || err2 != nil {
		c.drop(key)
		return nil
	}
	// The blob is checked against its digest in full unless it is the very
	// file (same size, mtime, ctime, inode) checked before; then it is
	// checked as it is read, if it is: a corrupt blob is never used.
	info, err := os.Stat(c.blobPath(key))
	if err != nil {
		c.drop(key)
		return nil
	}
	st := statOf(info)
	lazy := m.Verified != nil && *m.Verified == st && st.Ctime != 0
	if !lazy {
		if !c.verify(c.blobPath(key), digest, m.Size) {
			c.drop(key)
			return nil
		}
		m.Verified = &st
		c.writeMeta(key, m)
	}
	now := time.Now()
	os.Chtimes(c.metaPath(key), now, now) // least recently used goes first
	c.mu.Lock()
	c.hits++
	c.mu.Unlock()
	l := &Layer{path: c.blobPath(key), digest: digest, diffID: diffID, size: m.Size, mediaType: o.mediaType, entries: entries(), cached: true}
	if lazy {
		l.corrupt = func() { c.drop(key) }
	}
	return l
}

// writeMeta writes a cache entry's meta file atomically; a failure only
// means the entry is not kept.
func (c *Cache) writeMeta(key string, m cacheMeta) {
	if b, err := json.Marshal(m); err == nil {
		c.writeFile(c.metaPath(key), func(w io.Writer) error { _, err := w.Write(b); return err })
	}
}

// writeFile writes path through a temporary file in the cache and a rename,
// so that concurrent builds only ever see whole files.
func (c *Cache) writeFile(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Join(c.dir, "tmp"), filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	bw := bufio.NewWriter(tmp)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
	}
	return err
}

// verify checks a cached blob's size and sha256.
func (c *Cache) verify(p string, digest v1.Hash, size int64) bool {
	f, err := os.Open(p)
	if err != nil {
		return false
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	return err == nil && n == size && hex.EncodeToString(h.Sum(nil)) == digest.Hex
}

func (c *Cache) drop(key string) {
	os.Remove(c.blobPath(key))
	os.Remove(c.metaPath(key))
}

// store moves a freshly written layer into the cache; the layer then reads
// from there and Close leaves it. Failing to cache is not an error: the
// cache is left for the rest of the build.
func (c *Cache) store(key string, l *Layer) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if err := os.Rename(l.path, c.blobPath(key)); err != nil {
		c.disable(err)
		return
	}
	l.path, l.cached = c.blobPath(key), true
	m := cacheMeta{Digest: l.digest.String(), DiffID: l.diffID.String(), Size: l.size}
	if info, err := os.Stat(l.path); err == nil {
		st := statOf(info) // written and hashed by this very build
		m.Verified = &st
	}
	c.writeMeta(key, m)
}

// Close saves what the cache learnt of the apps' files and prunes the
// least recently used layers beyond the cache's size.
func (c *Cache) Close() error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.failed != nil {
		return nil // it cannot be written; the build said so
	}
	errs := c.saveStats()
	return errors.Join(append(errs, c.prune())...)
}

// prune removes the least recently used layers beyond maxSize, and
// stale temporary files (left by builds that were killed).
func (c *Cache) prune() error {
	dir := filepath.Join(c.dir, "layers")
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("pruning the layer cache: %w", err)
	}
	type blob struct {
		key  string
		size int64
		used time.Time
	}
	var blobs []blob
	var total int64
	for _, e := range entries {
		key, ok := strings.CutSuffix(e.Name(), ".tar.gz")
		if !ok {
			continue
		}
		info, err := e.Info()
		if err != nil {
			continue
		}
		used := info.ModTime()
		if meta, err := os.Stat(c.metaPath(key)); err == nil {
			used = meta.ModTime() // touched at each use
		}
		blobs = append(blobs, blob{key, info.Size(), used})
		total += info.Size()
	}
	sort.Slice(blobs, func(i, j int) bool { return blobs[i].used.Before(blobs[j].used) })
	for _, b := range blobs {
		if total <= c.maxSize {
			break
		}
		c.drop(b.key)
		total -= b.size
	}
	removeStale(c.tempDir(), func(string) bool { return true }, time.Now())
	return nil
}

// List is List(l) remembered by the layer's digest: the entries of a blob
// never change, so an extension layer listed once is not downloaded again
// just to list it. A nil cache lists l.
func (c *Cache) List(l v1.Layer) ([]Entry, error) {
	if c == nil {
		return List(l)
	}
	d, err := l.Digest()
	if err != nil {
		return nil, err
	}
	p := filepath.Join(c.dir, "lists", d.Algorithm+"-"+d.Hex+".json")
	if b, err := os.ReadFile(p); err == nil {
		var es []Entry
		if json.Unmarshal(b, &es) == nil {
			return es, nil
		}
	}
	es, err := List(l)
	if err != nil {
		return nil, err
	}
	// Failing to remember the listing only means listing again next time.
	c.writeFile(p, func(w io.Writer) error { return json.NewEncoder(w).Encode(es) })
	return es, nil
}

// listingFormat names the format of the layer listings the cache keeps;
// changing it makes the cache read every layer again.
const listingFormat = "brefimg-listing-1"

// listing returns what ReadTree keeps of l (see readListing): from the
// cache, by l's digest and the capture prefixes, when it holds it, else
// read from l, and then kept. A blob's entries never change, so a base
// image read once is not downloaded again to read its file tree. Each
// listing is kept with its own sha256: one that went bad is read again.
// A nil cache reads l.
func (c *Cache) listing(ctx context.Context, l v1.Layer, capture []string) (*layerListing, error) {
	if c == nil {
		return readListing(ctx, l, capture)
	}
	d, err := l.Digest()
	if err != nil {
		return readListing(ctx, l, capture)
	}
	k := newKeyHash()
	k.str(listingFormat)
	for _, p := range capture {
		k.str(p)
	}
	p := filepath.Join(c.dir, "trees", d.Algorithm+"-"+d.Hex+"-"+k.sum()[:16]+".gob")
	if b, err := os.ReadFile(p); err == nil && len(b) > sha256.Size {
		body, sum := b[:len(b)-sha256.Size], b[len(b)-sha256.Size:]
		var ls layerListing
		if h := sha256.Sum256(body); bytes.Equal(h[:], sum) && gob.NewDecoder(bytes.NewReader(body)).Decode(&ls) == nil {
			return &ls, nil
		}
	}
	ls, err := readListing(ctx, l, capture)
	if err != nil {
		return nil, err
	}
	if c.usable() {
		var body bytes.Buffer
		if gob.NewEncoder(&body).Encode(ls) == nil {
			h := sha256.Sum256(body.Bytes())
			// Failing to keep the listing only means reading the layer again.
			c.writeFile(p, func(w io.Writer) error {
				if _, err := w.Write(body.Bytes()); err != nil {
					return err
				}
				_, err := w.Write(h[:])
				return err
			})
		}
	}
	return ls, nil
}
