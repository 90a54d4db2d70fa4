package layers

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestExclude: the paths WithExclude names are left out of FromDir layers
// and of ContextTree trees whatever the ignore patterns say, and reported
// as skipped; paths that are elsewhere or missing change nothing.
func TestExclude(t *testing.T) {
	app := t.TempDir()
	writeFile(t, app, "index.php", "<?php", 0o644)
	writeFile(t, app, "image.tar", "previous image", 0o644)
	writeFile(t, app, ".cache/layers/x.tar.gz", "cached", 0o644)
	writeFile(t, app, "out/digest.txt", "sha256:…", 0o644)
	outside := filepath.Join(t.TempDir(), "metadata.json")
	writeFile(t, filepath.Dir(outside), "metadata.json", "{}", 0o644)
	// The output spelt through a link to the app: the same file.
	link := filepath.Join(t.TempDir(), "applink")
	if err := os.Symlink(app, link); err != nil {
		t.Fatal(err)
	}
	exclude := WithExclude(filepath.Join(app, "image.tar"), filepath.Join(app, ".cache"), filepath.Join(link, "out", "digest.txt"), outside, filepath.Join(app, "missing.tar"), "")
	want := "/var/task/index.php /var/task/out"
	wantSkipped := ".cache image.tar out/digest.txt"

	t.Run("FromDir", func(t *testing.T) {
		l, err := FromDir(context.Background(), app, "/var/task", WithTempDir(t.TempDir()), WithIgnorePatterns([]string{"nothing-matches"}), exclude)
		if err != nil {
			t.Fatal(err)
		}
		defer closeLayer(t, l)
		var got []string
		for _, e := range l.Entries() {
			if strings.HasPrefix(e.Path, "/var/task/") {
				got = append(got, e.Path)
			}
		}
		if strings.Join(got, " ") != want {
			t.Errorf("entries %q, want %s", got, want)
		}
		checkExcluded(t, l.Skipped(), wantSkipped)
	})
	t.Run("ContextTree", func(t *testing.T) {
		tree, skipped, err := ContextTree(context.Background(), app, WithTempDir(t.TempDir()), exclude)
		if err != nil {
			t.Fatal(err)
		}
		defer tree.Close()
		var got []string
		tree.Walk(func(e Entry) error {
			got = append(got, "/var/task"+e.Path)
			return nil
		})
		if strings.Join(got, " ") != want {
			t.Errorf("entries %q, want %s", got, want)
		}
		checkExcluded(t, skipped, wantSkipped)
	})
}

// checkExcluded fails unless skipped lists exactly the paths of want
// (space-separated), each marked Excluded.
func checkExcluded(t *testing.T, skipped []Skipped, want string) {
	t.Helper()
	var got []string
	for _, s := range skipped {
		if !s.Excluded || !strings.Contains(s.Reason, "brefimg's own file") {
			t.Errorf("skipped %+v, want it excluded as brefimg's own file", s)
		}
		got = append(got, s.Path)
	}
	slices.Sort(got)
	if strings.Join(got, " ") != want {
		t.Errorf("skipped %q, want %s", got, want)
	}
}
