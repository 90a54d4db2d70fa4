package main

import (
	"context"
	"flag"
	"os"
	"path/filepath"
	"runtime"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/brefimg/brefimg/builder"
	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/lockfile"
)

var updateGolden = flag.Bool("update-golden", false, "rewrite testdata/golden with the digests of this build")

// copyApp copies testdata/app into dst in one of two ways that must not
// change the image: plain (walk order, umask 022), or odd (reverse order,
// umask 002 modes, other mtimes, another owner when running as root).
func copyApp(t *testing.T, dst string, odd bool) {
	t.Helper()
	src := filepath.Join("..", "..", "testdata", "app")
	var paths []string
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		paths = append(paths, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if odd {
		sort.Sort(sort.Reverse(sort.StringSlice(paths)))
	}
	mtime := time.Date(2020, 5, 6, 7, 8, 9, 0, time.UTC)
	for i, rel := range paths {
		info, err := os.Lstat(filepath.Join(src, rel))
		if err != nil {
			t.Fatal(err)
		}
		target := filepath.Join(dst, rel)
		dirMode, fileMode := os.FileMode(0o755), os.FileMode(0o644)
		if odd {
			dirMode, fileMode = 0o775, 0o664
		}
		if info.Mode()&0o100 != 0 {
			fileMode |= 0o111
		}
		if info.IsDir() {
			if err := os.MkdirAll(target, dirMode); err != nil {
				t.Fatal(err)
			}
		} else {
			b, err := os.ReadFile(filepath.Join(src, rel))
			if err != nil {
				t.Fatal(err)
			}
			if err := os.MkdirAll(filepath.Dir(target), dirMode); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(target, b, fileMode); err != nil {
				t.Fatal(err)
			}
		}
		if err := os.Chmod(target, map[bool]os.FileMode{true: dirMode, false: fileMode}[info.IsDir()]); err != nil {
			t.Fatal(err)
		}
		if odd {
			if os.Geteuid() == 0 {
				if err := os.Lchown(target, 1000+i, 2000); err != nil {
					t.Fatal(err)
				}
			}
			if err := os.Chtimes(target, mtime.Add(time.Duration(i)*time.Hour), mtime); err != nil {
				t.Fatal(err)
			}
		}
	}
}

// buildDigest builds app with the seed's flags plus extra, into an OCI
// layout, and returns the printed digest.
func buildDigest(t *testing.T, host, app string, extra ...string) string {
	t.Helper()
	args := append([]string{"build", "--bref", "1", "--php", "8.0", "--ext", "redis,gmp", "--mirror", host,
		"--source-date-epoch", "1700000000", "-o", "oci:" + filepath.Join(t.TempDir(), "layout")}, extra...)
	code, stdout, stderr := brefimg(t, nil, append(args, app)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	return strings.TrimSpace(stdout)
}

func TestReproducible(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	plain := filepath.Join(t.TempDir(), "plain")
	odd := filepath.Join(t.TempDir(), "odd")
	copyApp(t, plain, false)
	copyApp(t, odd, true)
	want := buildDigest(t, reg.Host, plain)

	t.Run("copies made differently", func(t *testing.T) {
		if got := buildDigest(t, reg.Host, odd); got != want {
			t.Errorf("odd copy gives %s, plain copy %s", got, want)
		}
	})
	t.Run("GOMAXPROCS=1", func(t *testing.T) {
		prev := runtime.GOMAXPROCS(1)
		defer runtime.GOMAXPROCS(prev)
		if got := buildDigest(t, reg.Host, odd); got != want {
			t.Errorf("GOMAXPROCS=1 gives %s, want %s", got, want)
		}
	})
	t.Run("golden", func(t *testing.T) {
		golden := filepath.Join("..", "..", "testdata", "golden", "seed-bref1-php80-redis-gmp.digest")
		if *updateGolden {
			if err := os.WriteFile(golden, []byte(want+"\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
		b, err := os.ReadFile(golden)
		if err != nil {
			t.Fatalf("%v (run go test ./cmd/brefimg -run TestReproducible -update-golden to create it)", err)
		}
		if strings.TrimSpace(string(b)) != want {
			t.Errorf("the seed build's digest is %s, testdata/golden says %s: the image format changed; if on purpose, rerun with -update-golden and say so in the commit", want, strings.TrimSpace(string(b)))
		}
	})

	changes := []struct {
		name   string
		change func(t *testing.T, dir string)
		extra  []string
	}{
		{name: "same size, same mtime, other content", change: func(t *testing.T, dir string) {
			p := filepath.Join(dir, "src", "HelloController.php")
			info, err := os.Stat(p)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := os.ReadFile(p)
			b[len(b)-2] = 'X'
			if err := os.WriteFile(p, b, 0o644); err != nil {
				t.Fatal(err)
			}
			if err := os.Chtimes(p, info.ModTime(), info.ModTime()); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "renamed file", change: func(t *testing.T, dir string) {
			if err := os.Rename(filepath.Join(dir, "config", "app.php"), filepath.Join(dir, "config", "apps.php")); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "executable bit", change: func(t *testing.T, dir string) {
			if err := os.Chmod(filepath.Join(dir, "composer.json"), 0o755); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "other epoch", extra: []string{"--source-date-epoch", "1700000001"}},
	}
	for _, tc := range changes {
		t.Run(tc.name, func(t *testing.T) {
			dir := filepath.Join(t.TempDir(), "app")
			copyApp(t, dir, false)
			if tc.change != nil {
				tc.change(t, dir)
			}
			if got := buildDigest(t, reg.Host, dir, tc.extra...); got == want {
				t.Errorf("still %s after the change", got)
			}
		})
	}
}

func TestLock(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	app := neutralApp(t)
	lockPath := filepath.Join(app, lockfile.Name)
	flags := []string{"--bref", "1", "--php", "8.0", "--ext", "redis", "--mirror", reg.Host, "--source-date-epoch", "1"}
	buildArgs := func(extra ...string) []string {
		return append(append(append([]string{"build"}, flags...), extra...), "-t", reg.Host+"/locked:1", app)
	}

	code, stdout, stderr := brefimg(t, nil, append(append([]string{"lock"}, flags...), app)...)
	if code != exitOK || strings.TrimSpace(stdout) != lockPath {
		t.Fatalf("lock: exit %d, stdout %q, stderr %s", code, stdout, stderr)
	}
	lock, err := lockfile.Read(app)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{"bref/php-80-fpm:1", "bref/extra-redis-php-80:0.12"} {
		img, _ := fixtures.Get(ref)
		d, _ := img.Digest()
		if e, ok := lock.Lookup(ref, "linux/amd64"); !ok || e.Digest != d.String() {
			t.Errorf("lock entry for %s: %+v, want %s", ref, e, d)
		}
	}
	if lock.Bref != 1 || lock.PHP != "8.0" || len(lock.Images) != 2 {
		t.Errorf("lock %+v", lock)
	}

	code, first, stderr := brefimg(t, nil, buildArgs()...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.Contains(stderr, findings.IDUnpinned) {
		t.Errorf("a locked build warns about tags: %s", stderr)
	}
	if _, ok := files(t, pulled(t, first))["/var/task/"+lockfile.Name]; ok {
		t.Errorf("%s was copied into the app layer", lockfile.Name)
	}

	t.Run("--locked wants every reference pinned", func(t *testing.T) {
		code, _, stderr := brefimg(t, nil, append(buildArgs("--locked"), "--ext", "gmp")...)
		if code != exitUsage || !strings.Contains(stderr, "does not pin bref/extra-gmp-php-80:0.12") {
			t.Errorf("exit %d, stderr %s", code, stderr)
		}
	})
	// The tag moves to another image.
	moved, err := fixtures.Get("bref/php-80:1")
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag(reg.Host + "/bref/php-80-fpm:1")
	if err := remote.Write(tag, moved, remote.WithContext(context.Background())); err != nil {
		t.Fatal(err)
	}

	t.Run("the lock wins over a moved tag", func(t *testing.T) {
		code, again, stderr := brefimg(t, nil, buildArgs()...)
		if code != exitOK || again != first {
			t.Errorf("exit %d, digest %s, want %s; %s", code, again, first, stderr)
		}
	})
	t.Run("--locked builds the pinned image and warns of the move", func(t *testing.T) {
		code, again, stderr := brefimg(t, nil, buildArgs("--locked")...)
		if code != exitOK || again != first {
			t.Fatalf("exit %d, digest %s, want the pinned build %s; %s", code, again, first, stderr)
		}
		cf, err := pulled(t, again).ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if got := cf.Config.Labels[builder.AnnotationBaseDigest]; got != mustDigest(t, "bref/php-80-fpm:1") {
			t.Errorf("base digest label %s, want the pinned image's", got)
		}
		move := "bref/php-80-fpm:1 (linux/amd64) " + mustDigest(t, "bref/php-80-fpm:1") + " → " + mustDigest(t, "bref/php-80:1")
		if strings.Count(stderr, findings.IDLockStale) != 1 || !strings.Contains(stderr, move) || !strings.Contains(stderr, "brefimg lock --update") ||
			strings.Contains(stderr, "bref/extra-redis-php-80:0.12 (") {
			t.Errorf("want one %s warning naming only %q; stderr %s", findings.IDLockStale, move, stderr)
		}
	})
	t.Run("--locked --strict stops on the move and pushes nothing", func(t *testing.T) {
		target := reg.Host + "/strict:1"
		args := append(append(append([]string{"build"}, flags...), "--locked", "--strict"), "-t", target, app)
		code, stdout, stderr := brefimg(t, nil, args...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, findings.IDLockStale) || !strings.Contains(stderr, "bref/php-80-fpm:1") {
			t.Errorf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
		}
		if _, err := remote.Head(mustTag(t, target)); err == nil {
			t.Errorf("%s was pushed", target)
		}
	})
	t.Run("lock --update takes the move", func(t *testing.T) {
		code, _, stderr := brefimg(t, nil, append(append([]string{"lock", "--update"}, flags...), app)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		code, updated, stderr := brefimg(t, nil, buildArgs("--locked")...)
		if code != exitOK || updated == first {
			t.Errorf("exit %d, digest %s (before %s): %s", code, updated, first, stderr)
		}
		if cf, err := pulled(t, updated).ConfigFile(); err != nil || cf.Config.Labels[builder.AnnotationBaseDigest] != mustDigest(t, "bref/php-80:1") {
			t.Errorf("base digest label %v, want the moved image's", cf.Config.Labels)
		}
	})
	t.Run("--locked warns when a pinned tag is gone", func(t *testing.T) {
		redis := mustTag(t, reg.Host+"/bref/extra-redis-php-80:0.12")
		if err := remote.Delete(redis); err != nil {
			t.Fatal(err)
		}
		defer restore(t, redis, "bref/extra-redis-php-80:0.12")
		code, _, stderr := brefimg(t, nil, buildArgs("--locked")...)
		gone := "bref/extra-redis-php-80:0.12 (linux/amd64) " + mustDigest(t, "bref/extra-redis-php-80:0.12") + " → the tag could not be checked"
		if code != exitOK || strings.Count(stderr, findings.IDLockStale) != 1 || !strings.Contains(stderr, gone) {
			t.Errorf("exit %d, want a %s warning saying %q; stderr %s", code, findings.IDLockStale, gone, stderr)
		}
	})
	t.Run("--locked fails naming a pinned digest that is gone", func(t *testing.T) {
		pinned := mustDigest(t, "bref/php-80:1") // the base lock --update pinned
		if err := remote.Delete(tag.Context().Digest(pinned)); err != nil {
			t.Fatal(err)
		}
		defer restore(t, tag, "bref/php-80:1")
		code, stdout, stderr := brefimg(t, nil, buildArgs("--locked")...)
		if code != exitUsage || stdout != "" || !strings.Contains(stderr, "bref/php-80-fpm:1") || !strings.Contains(stderr, pinned) {
			t.Errorf("exit %d, stdout %q, want an error naming %s; stderr %s", code, stdout, pinned, stderr)
		}
	})
	t.Run("without a lock, one warning naming the tags", func(t *testing.T) {
		if err := os.Remove(lockPath); err != nil {
			t.Fatal(err)
		}
		code, _, stderr := brefimg(t, nil, buildArgs()...)
		if code != exitOK || strings.Count(stderr, findings.IDUnpinned) != 1 ||
			!strings.Contains(stderr, "bref/php-80-fpm:1, bref/extra-redis-php-80:0.12") || !strings.Contains(stderr, "brefimg lock") {
			t.Errorf("exit %d, stderr %s", code, stderr)
		}
		code, _, stderr = brefimg(t, nil, buildArgs("--locked")...)
		if code != exitUsage || !strings.Contains(stderr, "run brefimg lock first") {
			t.Errorf("--locked without a lock: exit %d, stderr %s", code, stderr)
		}
	})
}

func mustDigest(t *testing.T, ref string) string {
	t.Helper()
	img, err := fixtures.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

func mustTag(t *testing.T, ref string) name.Tag {
	t.Helper()
	tag, err := name.NewTag(ref)
	if err != nil {
		t.Fatal(err)
	}
	return tag
}

// restore pushes the fixture image of ref to tag again.
func restore(t *testing.T, tag name.Tag, ref string) {
	t.Helper()
	img, err := fixtures.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(tag, img, remote.WithContext(context.Background())); err != nil {
		t.Fatal(err)
	}
}
