package builder

import (
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/checks"
	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/layers"
	"github.com/brefimg/brefimg/plan"
)

// rebuildPlan is a Dockerfile plan like the seed's, on the fixtures: gmp's
// /opt reused, a file copied from an image, a file of gmp's /opt copied,
// and the build context copied to /var/task.
func rebuildPlan(dir string) plan.Plan {
	return dockerPlan(
		plan.Step{Image: "bref/extra-gmp-php-84:3", Name: "gmp", Sources: []string{"/opt"}, Dest: "/opt"},
		plan.Step{Image: "example/three:1", Name: "three", Sources: []string{"/c/z"}, Dest: "/var/task/z"},
		plan.Step{Image: "bref/extra-gmp-php-84:3", Name: "gmp", Sources: []string{"/opt/bref/etc"}, Dest: "/etc/copied"},
		plan.Step{Dir: dir, Name: "app", Sources: []string{"."}, Dest: "/var/task", Ignore: []string{"*.log", "docs", "!docs/keep.md"}},
	)
}

// TestDockerRebuildReadsNoLayer: with the cache, a Dockerfile rebuild
// reads no layer of the base or of any image it copies from (their file
// trees and the layers the steps made come from the cache), and gives the
// image an uncached build gives.
func TestDockerRebuildReadsNoLayer(t *testing.T) {
	dir := fixtures.WriteDir(t, map[string]string{
		"public/index.php": "<?php echo 1;", "vendor/autoload.php": "<?php", "debug.log": "x",
		"docs/guide.md": "g", "docs/keep.md": "k", "php/conf.d/app.ini": "memory_limit=1G\n",
	})
	src := newMemSource(t, map[string]v1.Image{
		"bref/php-84:3":           fixture(t, "bref/php-84:3"),
		"bref/extra-gmp-php-84:3": fixture(t, "bref/extra-gmp-php-84:3"),
		"example/three:1":         threeLayers(t),
	})
	cacheDir := t.TempDir()
	digest := func(opts ...Option) (v1.Hash, *plan.Result) {
		t.Helper()
		res, err := build(t, src, rebuildPlan(dir), opts...)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { res.Close() })
		d, err := res.Image.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d, res
	}
	cached := func() (v1.Hash, *plan.Result) {
		t.Helper()
		c, err := layers.OpenCache(cacheDir, 0)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		return digest(WithCache(c))
	}
	want, _ := digest()
	first, _ := cached()
	if first != want {
		t.Fatalf("the first cached build gives %s, an uncached one %s", first, want)
	}
	counts := src.counts()
	again, res := cached()
	if again != want {
		t.Errorf("the rebuild gives %s, want %s", again, want)
	}
	for k, n := range src.counts() {
		if n != counts[k] {
			t.Errorf("the rebuild read layer %s %d time(s)", k, n-counts[k])
		}
	}
	if res.Tree == nil {
		t.Fatal("no tree for the checks")
	}
	if b, err := res.Tree.ReadFile(t.Context(), "/var/task/php/conf.d/app.ini", 1<<20); err != nil || string(b) != "memory_limit=1G\n" {
		t.Errorf("the tree's ini: %q, %v", b, err)
	}
}

// TestDockerAppPaths: the app paths a Dockerfile build gives the checks
// (so that they do not walk the build context again) are what walking it
// gives.
func TestDockerAppPaths(t *testing.T) {
	dir := fixtures.WriteDir(t, map[string]string{
		"public/index.php": "<?php echo 1;", "vendor/acme/lib/Lib.php": "<?php", "debug.log": "x",
		"docs/guide.md": "g", "docs/keep.md": "k", "composer.json": "{}",
	})
	src := newMemSource(t, map[string]v1.Image{
		"bref/php-84:3":           fixture(t, "bref/php-84:3"),
		"bref/extra-gmp-php-84:3": fixture(t, "bref/extra-gmp-php-84:3"),
		"example/three:1":         threeLayers(t),
	})
	pl := rebuildPlan(dir)
	res, err := build(t, src, pl)
	if err != nil {
		t.Fatal(err)
	}
	defer res.Close()
	ignore := pl.Steps[len(pl.Steps)-1].Ignore
	walked, err := checks.LoadApp(dir, ignore)
	if err != nil {
		t.Fatal(err)
	}
	got := checks.NewApp(dir, res.AppPaths, ignore)
	if !slices.Equal(got.Paths, walked.Paths) {
		t.Errorf("app paths:\n%s\nwalking the context gives:\n%s", strings.Join(got.Paths, "\n"), strings.Join(walked.Paths, "\n"))
	}
}

// counts returns how often each layer was opened so far.
func (s *memSource) counts() map[string]int {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := map[string]int{}
	for k, n := range s.opened {
		out[k] = n
	}
	return out
}
