package layers

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"testing"
	"time"
)

// TestHostileAppDirs: odd names, symlink loops and many files are stored
// exactly, never followed, and read back the same.
func TestHostileAppDirs(t *testing.T) {
	dir := t.TempDir()
	names := []string{"new\nline.php", "caf\xe9.php", "tab\there.php", "-dash.php", " space .php"}
	for _, n := range names {
		if err := os.WriteFile(filepath.Join(dir, n), []byte(n), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for _, l := range [][2]string{{"loop-a", "loop-b"}, {"loop-b", "loop-a"}, {"self", "self"}, {"up", "../../../../etc/passwd"}} {
		if err := os.Symlink(l[1], filepath.Join(dir, l[0])); err != nil {
			t.Fatal(err)
		}
	}
	if err := os.MkdirAll(filepath.Join(dir, "empty", "dirs"), 0o755); err != nil {
		t.Fatal(err)
	}
	l, err := FromDir(context.Background(), dir, "/var/task", WithTempDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	listed, err := List(l)
	if err != nil {
		t.Fatal(err)
	}
	have := map[string]Entry{}
	for _, e := range listed {
		have[e.Path] = e
	}
	for _, n := range names {
		if e, ok := have["/var/task/"+n]; !ok || e.Size != int64(len(n)) {
			t.Errorf("%q: %+v", n, e)
		}
	}
	for _, p := range []string{"/var/task/loop-a", "/var/task/self", "/var/task/up"} {
		if e := have[p]; e.Type != '2' {
			t.Errorf("%s is not stored as a symlink: %+v", p, e)
		}
	}
	if e := have["/var/task/up"]; e.Linkname != "../../../../etc/passwd" {
		t.Errorf("a symlink target was changed: %q", e.Linkname)
	}
	if e := have["/var/task/empty/dirs"]; e.Type != '5' {
		t.Errorf("the empty dir is missing: %+v", e)
	}
}

// TestManySmallFiles packs 100 000 files, in order, each once.
func TestManySmallFiles(t *testing.T) {
	if testing.Short() {
		t.Skip("-short: 100 000 files")
	}
	dir := t.TempDir()
	const dirs, per = 100, 1000
	for d := 0; d < dirs; d++ {
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", d))
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for f := 0; f < per; f++ {
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%04d.php", f)), []byte("<?php\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	start := time.Now()
	l, err := FromDir(context.Background(), dir, "/var/task", WithTempDir(t.TempDir()))
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	t.Logf("packed in %s", time.Since(start))
	es := l.Entries()
	if want := 2 + dirs + dirs*per; len(es) != want { // var/, var/task/, the dirs and files
		t.Fatalf("%d entries, want %d", len(es), want)
	}
	paths := make([]string, len(es))
	for i, e := range es {
		paths[i] = e.Path
	}
	if !slices.IsSortedFunc(paths, comparePaths) {
		t.Error("entries are not in order")
	}
}
