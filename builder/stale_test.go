package builder

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"
	"time"

	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/layers"
	"github.com/brefimg/brefimg/plan"
)

// TestStaleTempFilesRemoved: the temporary files a killed build left (in
// the temporary directory and in the cache) are gone after the next
// build; those of a live build and of other programs stay.
func TestStaleTempFilesRemoved(t *testing.T) {
	src := source(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead, live := cmd.ProcessState.Pid(), os.Getpid()
	tmp, cacheDir := t.TempDir(), t.TempDir()
	cache, err := layers.OpenCache(cacheDir, 0)
	if err != nil {
		t.Fatal(err)
	}
	cacheTmp := filepath.Join(cacheDir, "tmp")
	old := time.Now().Add(-2 * time.Hour)
	plant := func(dir, name string) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, []byte("partial"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
		return p
	}
	gone := []string{
		plant(tmp, fmt.Sprintf("brefimg-layer-%d-1.tar.gz", dead)),
		plant(tmp, fmt.Sprintf("brefimg-spool-%d-2", dead)),
		plant(cacheTmp, fmt.Sprintf("brefimg-layer-%d-3.tar.gz", dead)),
		plant(cacheTmp, "0123abcd.json-4"),
	}
	kept := []string{
		plant(tmp, fmt.Sprintf("brefimg-layer-%d-5.tar.gz", live)),
		plant(tmp, "other-program.tmp"),
	}
	app := fixtures.WriteDir(t, map[string]string{"index.php": "<?php"})
	pl := plan.Plan{Base: "bref/php-80-fpm:1", Platform: amd64, Steps: []plan.Step{{Dir: app, Dest: "/var/task", CreatedBy: "COPY . /var/task"}}}
	b, err := New(src, WithTempDir(tmp), WithCache(cache))
	if err != nil {
		t.Fatal(err)
	}
	res, err := b.Build(t.Context(), pl)
	if err != nil {
		t.Fatal(err)
	}
	res.Close()
	cache.Close()
	for _, p := range gone {
		if _, err := os.Stat(p); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("%s is still there (%v)", p, err)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
}
