package layers

import (
	"bytes"
	"context"
	"encoding/gob"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/brefimg/brefimg/internal/fixtures"
)

func appTree(t *testing.T) string {
	t.Helper()
	return fixtures.WriteDir(t, map[string]string{
		"public/index.php":                 "<?php require __DIR__.'/../vendor/autoload.php';",
		"src/App.php":                      "<?php class App {}",
		"vendor/autoload.php":              "<?php // autoload",
		"vendor/acme/lib/src/Lib.php":      "<?php class Lib {}",
		"vendor/composer/installed.json":   "{}",
		"node_modules/left-pad/index.js":   "module.exports = 1",
		"public/build/app.js":              "console.log(1)",
		"public/build/nested/deep/file.js": "1",
	})
}

func digests(t *testing.T, ls []*Layer) []string {
	t.Helper()
	var out []string
	for _, l := range ls {
		d, _ := l.Digest()
		out = append(out, d.String())
	}
	return out
}

// ageStats makes the remembered stats look older than the racy window, as
// they are on any rebuild that comes seconds after the last.
func ageStats(t *testing.T, cacheDir string) {
	t.Helper()
	matches, _ := filepath.Glob(filepath.Join(cacheDir, "stat", "*.gob"))
	if len(matches) == 0 {
		t.Fatal("the cache remembered no stat")
	}
	for _, m := range matches {
		b, _ := os.ReadFile(m)
		var sf statFile
		if err := gob.NewDecoder(bytes.NewReader(b)).Decode(&sf); err != nil {
			t.Fatal(err)
		}
		sf.SavedAt = time.Now().Add(time.Hour).UnixNano()
		var out bytes.Buffer
		if err := gob.NewEncoder(&out).Encode(sf); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(m, out.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func build(t *testing.T, cacheDir, dir string, splits []string) ([]string, int) {
	t.Helper()
	c, err := OpenCache(cacheDir, 0)
	if err != nil {
		t.Fatal(err)
	}
	ls, err := FromDirSplit(context.Background(), dir, "/var/task", splits, WithCache(c))
	if err != nil {
		t.Fatal(err)
	}
	ds := digests(t, ls)
	for _, l := range ls {
		if err := l.Close(); err != nil {
			t.Fatal(err)
		}
	}
	if err := c.Close(); err != nil {
		t.Fatal(err)
	}
	return ds, c.Hits()
}

func TestCache(t *testing.T) {
	dir := appTree(t)
	cacheDir := t.TempDir()
	splits := []string{"vendor"}
	first, hits := build(t, cacheDir, dir, splits)
	if hits != 0 || len(first) != 2 {
		t.Fatalf("first build: %d hits, %d layers", hits, len(first))
	}
	nocache, err := FromDirSplit(context.Background(), dir, "/var/task", splits, WithTempDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(digests(t, nocache), " ") != strings.Join(first, " ") {
		t.Fatal("a cached build and an uncached one differ")
	}

	t.Run("unchanged: served from the cache", func(t *testing.T) {
		ageStats(t, cacheDir)
		again, hits := build(t, cacheDir, dir, splits)
		if hits != 2 || strings.Join(again, " ") != strings.Join(first, " ") {
			t.Errorf("%d hits, digests %v, want 2 and %v", hits, again, first)
		}
	})
	t.Run("same size and mtime, other content: never stale", func(t *testing.T) {
		ageStats(t, cacheDir)
		p := filepath.Join(dir, "src", "App.php")
		info, _ := os.Stat(p)
		if err := os.WriteFile(p, []byte("<?php class Xyz {}"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, info.ModTime(), info.ModTime()); err != nil {
			t.Fatal(err)
		}
		changed, hits := build(t, cacheDir, dir, splits)
		if changed[0] != first[0] || changed[1] == first[1] {
			t.Errorf("digests %v after a change in src/, were %v: want the vendor layer kept and the rest changed", changed, first)
		}
		if hits != 1 {
			t.Errorf("%d hits, want 1 (the vendor layer)", hits)
		}
		if err := os.WriteFile(p, []byte("<?php class App {}"), 0o644); err != nil {
			t.Fatal(err)
		}
	})
	t.Run("a corrupt entry is rebuilt, never used", func(t *testing.T) {
		blobs, _ := filepath.Glob(filepath.Join(cacheDir, "layers", "*.tar.gz"))
		for _, b := range blobs {
			data, _ := os.ReadFile(b)
			data[len(data)/2] ^= 0xff
			if err := os.WriteFile(b, data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		ageStats(t, cacheDir)
		rebuilt, hits := build(t, cacheDir, dir, splits)
		if hits != 0 || strings.Join(rebuilt, " ") != strings.Join(first, " ") {
			t.Errorf("%d hits, digests %v, want 0 and %v", hits, rebuilt, first)
		}
	})
	t.Run("pruned to its size", func(t *testing.T) {
		c, err := OpenCache(cacheDir, 1)
		if err != nil {
			t.Fatal(err)
		}
		if err := c.Close(); err != nil {
			t.Fatal(err)
		}
		blobs, _ := filepath.Glob(filepath.Join(cacheDir, "layers", "*.tar.gz"))
		if len(blobs) != 0 {
			t.Errorf("%d blobs left in a 1-byte cache", len(blobs))
		}
	})
	t.Run("two builds at once", func(t *testing.T) {
		c, err := OpenCache(cacheDir, 0)
		if err != nil {
			t.Fatal(err)
		}
		var wg sync.WaitGroup
		results := make([][]string, 4)
		for i := range results {
			wg.Add(1)
			go func() {
				defer wg.Done()
				ls, err := FromDirSplit(context.Background(), dir, "/var/task", splits, WithCache(c))
				if err != nil {
					t.Error(err)
					return
				}
				results[i] = digests(t, ls)
			}()
		}
		wg.Wait()
		c.Close()
		for _, r := range results {
			if strings.Join(r, " ") != strings.Join(first, " ") {
				t.Errorf("concurrent build gave %v, want %v", r, first)
			}
		}
	})
}

func TestSplit(t *testing.T) {
	dir := appTree(t)
	whole, err := FromDir(context.Background(), dir, "/var/task", WithTempDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		splits []string
		layers int
		first  []string // every path of the first layer
	}{
		{"vendor", []string{"vendor"}, 2, nil},
		{"nested split", []string{"public/build"}, 2, []string{"/var", "/var/task", "/var/task/public", "/var/task/public/build",
			"/var/task/public/build/app.js", "/var/task/public/build/nested", "/var/task/public/build/nested/deep", "/var/task/public/build/nested/deep/file.js"}},
		{"several", []string{"vendor", "node_modules"}, 3, nil},
		{"a split the app lacks", []string{"missing"}, 1, nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			ls, err := FromDirSplit(context.Background(), dir, "/var/task", tc.splits, WithTempDir(t.TempDir()))
			if err != nil {
				t.Fatal(err)
			}
			if len(ls) != tc.layers {
				t.Fatalf("%d layers, want %d", len(ls), tc.layers)
			}
			union := map[string]Entry{}
			for _, l := range ls {
				seen := map[string]bool{"/": true}
				for _, e := range l.Entries() {
					if !seen[filepathDir(e.Path)] {
						t.Errorf("%s has no parent entry before it in its layer", e.Path)
					}
					seen[e.Path] = true
					if prev, ok := union[e.Path]; ok && prev != e {
						t.Errorf("%s differs between layers: %v, %v", e.Path, prev, e)
					}
					union[e.Path] = e
				}
			}
			want := map[string]Entry{}
			for _, e := range whole.Entries() {
				want[e.Path] = e
			}
			if len(union) != len(want) {
				t.Errorf("the layers hold %d paths, one layer %d", len(union), len(want))
			}
			for p, e := range want {
				if union[p] != e {
					t.Errorf("%s: %v, want %v", p, union[p], e)
				}
			}
			if tc.first != nil {
				var got []string
				for _, e := range ls[0].Entries() {
					got = append(got, e.Path)
				}
				sort.Strings(got)
				if strings.Join(got, "\n") != strings.Join(tc.first, "\n") {
					t.Errorf("first layer:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tc.first, "\n"))
				}
			}
		})
	}
	if _, err := FromDirSplit(context.Background(), dir, "/var/task", []string{"../etc"}); err == nil {
		t.Error("a split outside the app was accepted")
	}
}

func filepathDir(p string) string { return filepath.Dir(p) }

// TestCacheAfterCheckout: a fresh checkout of the same app in the same
// place (every inode and ctime new, as in CI with a restored cache) hashes
// the files but compresses nothing.
func TestCacheAfterCheckout(t *testing.T) {
	dir := appTree(t)
	cacheDir := t.TempDir()
	first, _ := build(t, cacheDir, dir, []string{"vendor"})
	// Check the app out again: same path, new files.
	if err := os.RemoveAll(dir); err != nil {
		t.Fatal(err)
	}
	fresh := appTree(t)
	if err := os.Rename(fresh, dir); err != nil {
		t.Fatal(err)
	}
	again, hits := build(t, cacheDir, dir, []string{"vendor"})
	if hits != 2 || strings.Join(again, " ") != strings.Join(first, " ") {
		t.Errorf("%d hits, %v, want 2 and %v", hits, again, first)
	}
}

// TestCacheBitRot: a blob that went bad without its stat changing (bit rot)
// is caught when it is read, and its entry dropped; it is never served.
func TestCacheBitRot(t *testing.T) {
	dir := appTree(t)
	cacheDir := t.TempDir()
	build(t, cacheDir, dir, nil)
	blobs, _ := filepath.Glob(filepath.Join(cacheDir, "layers", "*.tar.gz"))
	if len(blobs) != 1 {
		t.Fatalf("%d blobs", len(blobs))
	}
	data, _ := os.ReadFile(blobs[0])
	data[len(data)/2] ^= 0xff
	if err := os.WriteFile(blobs[0], data, 0o644); err != nil {
		t.Fatal(err)
	}
	// Make the meta say this very file was checked: only reading tells.
	key := strings.TrimSuffix(filepath.Base(blobs[0]), ".tar.gz")
	c, err := OpenCache(cacheDir, 0)
	if err != nil {
		t.Fatal(err)
	}
	b, _ := os.ReadFile(c.metaPath(key))
	var m cacheMeta
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(blobs[0])
	st := statOf(info)
	m.Verified = &st
	c.writeMeta(key, m)
	ageStats(t, cacheDir)

	ls, err := FromDirSplit(context.Background(), dir, "/var/task", nil, WithCache(c))
	if err != nil {
		t.Fatal(err)
	}
	if c.Hits() != 1 {
		t.Fatalf("%d hits: the test needs the lazily checked path", c.Hits())
	}
	rc, err := ls[0].Compressed()
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.Copy(io.Discard, rc)
	rc.Close()
	if err == nil || !strings.Contains(err.Error(), "does not match its digest") {
		t.Errorf("reading a rotten blob: %v", err)
	}
	if _, err := os.Stat(blobs[0]); !os.IsNotExist(err) {
		t.Error("the rotten entry was kept")
	}
}
