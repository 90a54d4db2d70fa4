package layers

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/gob"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"sync/atomic"
)

// The cache remembers, for each group of host files that makes a layer
// (an app's split directory, the rest of the app, the files of a
// Dockerfile step from the build context), two things:
//
//   - a stat file: each file's stat (size, mtime, ctime, inode, device)
//     with the sha256 of its content, so that a file whose stat did not
//     change is not read again;
//   - a key file: the stat key of the layer the group last made (a hash
//     of every entry and every file's stat) with that layer's cache key,
//     so that when no file's stat changed the layer is found without
//     loading the stat file at all, which on a big app costs more than
//     reading every stat.
//
// Both are trusted only for files that did not change within racyWindow
// before the build that hashed them started (see [Cache]).

// statFile is the remembered stat and content hash of a group's files.
type statFile struct {
	// SavedAt is when the build that hashed these files started (unix ns):
	// a file whose ctime is later, or within racyWindow before, may have
	// changed after it was hashed, and is hashed again.
	SavedAt int64
	Files   map[string]statEntry // by relative path
	dirty   bool
	seen    map[string]bool // the files this build walked
}

// keyFile is a group's last stat key and the cache key of its layer.
// Racy holds the sha256 of the files that changed within racyWindow before
// SavedAt, by relative path: their stat cannot be trusted, but hashing
// them (a file saved just before the build, typically) is enough to know
// the layer; beyond maxRacy such files the stat file is used instead.
type keyFile struct {
	Stat    string            `json:"stat"`
	Key     string            `json:"key"`
	SavedAt int64             `json:"savedAt"`
	Racy    map[string]string `json:"racy,omitempty"`
}

// maxRacy bounds the racy files a key file records.
const maxRacy = 64

// hostFile is a regular file of a host directory that a layer holds: its
// path relative to the directory, slash-separated, and its stat.
type hostFile struct {
	rel string
	st  statEntry
}

// statGroup is a group of files of one host directory whose layer the
// cache keeps (see the comment above): a handle on its stat and key files.
type statGroup struct {
	c    *Cache
	root string // the host directory, as walked
	base string // the stat and key files, without their extension
}

// group returns the handle of the group name of the host directory root.
func (c *Cache) group(root, name string) *statGroup {
	if abs, err := filepath.Abs(root); err == nil {
		root = abs
	}
	if real, err := filepath.EvalSymlinks(root); err == nil {
		root = real
	}
	h := sha256.Sum256([]byte(root + "\x00" + name))
	return &statGroup{c: c, root: root, base: filepath.Join(c.dir, "stat", hex.EncodeToString(h[:16]))}
}

// stats loads the group's stat file, once per cache (c.mu held).
func (g *statGroup) stats() *statFile {
	p := g.base + ".gob"
	if sf := g.c.stats[p]; sf != nil {
		return sf
	}
	sf := &statFile{Files: map[string]statEntry{}, seen: map[string]bool{}}
	if f, err := os.Open(p); err == nil {
		var loaded statFile
		if gob.NewDecoder(bufio.NewReader(f)).Decode(&loaded) == nil && loaded.Files != nil {
			sf.SavedAt, sf.Files = loaded.SavedAt, loaded.Files
		}
		f.Close()
	}
	g.c.stats[p] = sf
	return sf
}

// trusted reports whether st, remembered by a build that started at
// savedAt (unix ns), may be trusted: the platform gives ctimes, and the
// file had not changed within racyWindow before then.
func trusted(st statEntry, savedAt int64) bool {
	return st.Ctime != 0 && st.Ctime <= savedAt-int64(racyWindow) && st.Mtime <= savedAt-int64(racyWindow)
}

// knownSums returns the remembered content hash of each of files ("" when
// its stat changed or is racy), and whether the cache knows the group at
// all (a first build gains nothing from hashing ahead).
func (g *statGroup) knownSums(files []hostFile) ([]string, bool) {
	g.c.mu.Lock()
	defer g.c.mu.Unlock()
	sf := g.stats()
	sums := make([]string, len(files))
	for i, f := range files {
		sf.seen[f.rel] = true
		e, ok := sf.Files[f.rel]
		st := f.st
		if !ok || e.Sum == "" || e.Size != st.Size || e.Mtime != st.Mtime || e.Ctime != st.Ctime || e.Ino != st.Ino || e.Dev != st.Dev || !trusted(st, sf.SavedAt) {
			continue
		}
		sums[i] = e.Sum
	}
	return sums, len(sf.Files) > 0
}

// remember records the content hashes of files (sums, by index; "" for
// none); hashed says whether this build read any of them (then the stats
// are saved with this build's time, so that files found racy this time
// are trusted next time).
func (g *statGroup) remember(files []hostFile, sums []string, hashed bool) {
	g.c.mu.Lock()
	defer g.c.mu.Unlock()
	sf := g.stats()
	sf.dirty = sf.dirty || hashed
	for i, f := range files {
		if sums[i] == "" {
			continue
		}
		sf.seen[f.rel] = true
		e := f.st
		e.Sum = sums[i]
		if sf.Files[f.rel] != e {
			sf.Files[f.rel] = e
			sf.dirty = true
		}
	}
}

// keyFor returns the cache key of the layer the group made when its stat
// key was stat, if that is the last one it made and every one of files
// (the layer's regular files, which stat covers) either has a trusted stat
// or is a racy file the key file recorded whose content did not change.
func (g *statGroup) keyFor(stat string, files []hostFile) (string, bool) {
	b, err := os.ReadFile(g.base + ".key")
	if err != nil {
		return "", false
	}
	var k keyFile
	if json.Unmarshal(b, &k) != nil || k.Stat != stat || k.Key == "" {
		return "", false
	}
	for _, f := range files {
		if trusted(f.st, k.SavedAt) {
			continue
		}
		want, ok := k.Racy[f.rel]
		if !ok {
			return "", false
		}
		got, err := hashFile(filepath.Join(g.root, filepath.FromSlash(f.rel)))
		if err != nil || got != want {
			return "", false
		}
	}
	return k.Key, true
}

// saveKey remembers that the group's layer with stat key stat has the
// cache key key, with the sha256 of those of files (sums, by index) whose
// stat this build cannot trust; failing to only costs speed.
func (g *statGroup) saveKey(stat, key string, files []hostFile, sums []string) {
	k := keyFile{Stat: stat, Key: key, SavedAt: g.c.opened}
	for i, f := range files {
		if trusted(f.st, k.SavedAt) {
			continue
		}
		if len(k.Racy) == maxRacy || sums[i] == "" {
			return // the stat file tells, next time
		}
		if k.Racy == nil {
			k.Racy = map[string]string{}
		}
		k.Racy[f.rel] = sums[i]
	}
	b, err := json.Marshal(k)
	if err != nil {
		return
	}
	g.c.writeFile(g.base+".key", func(w io.Writer) error { _, err := w.Write(b); return err })
}

// saveStats writes the stat files the build changed, dropping the files it
// did not meet (deleted, or ignored now); c.mu held.
func (c *Cache) saveStats() []error {
	var errs []error
	for p, sf := range c.stats {
		for rel := range sf.Files {
			if !sf.seen[rel] {
				delete(sf.Files, rel)
				sf.dirty = true
			}
		}
		if !sf.dirty {
			continue
		}
		sf.SavedAt = c.opened
		if err := c.writeFile(p, func(w io.Writer) error { return gob.NewEncoder(w).Encode(sf) }); err != nil {
			errs = append(errs, fmt.Errorf("saving the layer cache: %w", err))
		}
		sf.dirty = false
	}
	return errs
}

// keyHash hashes the fields of cache and stat keys, each unambiguously
// (strings with their length), through a buffer.
type keyHash struct {
	h   hash.Hash
	buf []byte
}

func newKeyHash() *keyHash { return &keyHash{h: sha256.New(), buf: make([]byte, 0, 32<<10)} }

// str adds a string.
func (k *keyHash) str(s string) {
	k.buf = binary.AppendUvarint(k.buf, uint64(len(s)))
	k.buf = append(k.buf, s...)
	k.flush(false)
}

// num adds an integer.
func (k *keyHash) num(n int64) {
	k.buf = binary.AppendVarint(k.buf, n)
	k.flush(false)
}

// flush hashes the buffer when it is full, or always.
func (k *keyHash) flush(always bool) {
	if always || len(k.buf) > 31<<10 {
		k.h.Write(k.buf)
		k.buf = k.buf[:0]
	}
}

// sum returns the hex digest of what was added.
func (k *keyHash) sum() string {
	k.flush(true)
	return hex.EncodeToString(k.h.Sum(nil))
}

// keyHeader adds what every layer's bytes depend on besides its entries:
// the format (see cacheFormat), the kind of key, the media type and the
// epoch.
func (o *options) keyHeader(k *keyHash, kind string) {
	k.str(cacheFormat)
	k.str(kind)
	k.str(string(o.mediaType))
	k.num(o.epoch.Unix())
}

// hashMissing hashes the files of root whose sum is "" (in parallel, as a
// fresh checkout has them all), and says whether it hashed any.
func hashMissing(root string, files []hostFile, sums []string) (bool, error) {
	var todo []int
	for i := range files {
		if sums[i] == "" {
			todo = append(todo, i)
		}
	}
	if len(todo) == 0 {
		return false, nil
	}
	workers := min(max(runtime.GOMAXPROCS(0), 1), 8, len(todo))
	var next atomic.Int64
	errs := make([]error, workers)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				n := int(next.Add(1)) - 1
				if n >= len(todo) || errs[w] != nil {
					return
				}
				i := todo[n]
				sums[i], errs[w] = hashFile(filepath.Join(root, filepath.FromSlash(files[i].rel)))
			}
		}()
	}
	wg.Wait()
	return true, errors.Join(errs...)
}

// addStat adds a file's stat to a stat key.
func addStat(k *keyHash, st statEntry) {
	k.num(st.Size)
	k.num(st.Mtime)
	k.num(st.Ctime)
	k.num(int64(st.Ino))
	k.num(int64(st.Dev))
}
