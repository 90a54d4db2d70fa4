package main

import (
	"archive/tar"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/brefimg/brefimg/internal/fixtures"
)

// hostileDockerfile writes a Dockerfile copying /opt from ref onto the
// Bref 1 base, and returns its path.
func hostileDockerfile(t *testing.T, ref string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "Dockerfile")
	df := "FROM bref/php-80-fpm:1\nCOPY --from=" + ref + " /opt /opt\nCOPY . /var/task\nCMD [\"public/index.php\"]\n"
	if err := os.WriteFile(p, []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestHostileOptEscape: COPY --from=example/opt-escape:1 /opt /opt, whose
// layer holds opt/etc -> /etc and then opt/etc/passwd, must not append that
// layer as it is (a runtime would write the base's /etc/passwd): /opt is
// copied, the link kept, the base's /etc/passwd untouched.
func TestHostileOptEscape(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	if err := fixtures.Push(context.Background(), reg.Host, []string{fixtures.OptEscapeRef}); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := brefimg(t, nil, "build", "-f", hostileDockerfile(t, fixtures.OptEscapeRef), "--mirror", reg.Host,
		"-t", reg.Host+"/escape:1", neutralApp(t))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	img := pulled(t, stdout)
	if err := validate.Image(img); err != nil {
		t.Fatalf("invalid image: %v", err)
	}
	hostile, err := fixtures.Get(fixtures.OptEscapeRef)
	if err != nil {
		t.Fatal(err)
	}
	bad := layerDigests(t, hostile)[0]
	for _, d := range layerDigests(t, img) {
		if d == bad {
			t.Errorf("the hostile layer %s was appended as it is: unpacked, it overwrites /etc/passwd", d)
		}
	}
	base, err := fixtures.Files("bref/php-80-fpm:1")
	if err != nil {
		t.Fatal(err)
	}
	tree := files(t, img)
	if tree["/etc/passwd"] != base["etc/passwd"] {
		t.Errorf("/etc/passwd is %+v, want the base's", tree["/etc/passwd"])
	}
	if l := tree["/opt/etc"]; l.Type != tar.TypeSymlink || l.Linkname != "/etc" {
		t.Errorf("/opt/etc is %+v, want the link to /etc", l)
	}
	for p := range tree {
		if strings.HasPrefix(p, "/opt/etc/") {
			t.Errorf("%s lies under the link /opt/etc", p)
		}
	}
}

// TestHostileEmptyExtension: an extension image with no layer, or only
// empty ones, is refused (exit 2, naming it).
func TestHostileEmptyExtension(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	refs := []string{fixtures.EmptyExtRef, fixtures.EmptyLayersRef}
	if err := fixtures.Push(context.Background(), reg.Host, refs); err != nil {
		t.Fatal(err)
	}
	for _, ref := range refs {
		t.Run(ref, func(t *testing.T) {
			code, _, stderr := brefimg(t, nil, "build", "-f", hostileDockerfile(t, ref), "--mirror", reg.Host, neutralApp(t))
			if code != exitUsage || !strings.Contains(stderr, ref) {
				t.Errorf("exit %d, want %d naming %s: %s", code, exitUsage, ref, stderr)
			}
		})
	}
}

// TestOwnFilesNotBaked: a cache, -o tarball, digest and metadata file in
// the app directory are left out of the app layer (own-file-skipped), so
// building twice gives the same digest, in a flag build and a Dockerfile
// build.
func TestOwnFilesNotBaked(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	for _, tc := range []struct {
		name string
		args []string
	}{
		{name: "flags", args: []string{"--bref", "1", "--php", "8.0"}},
		{name: "Dockerfile", args: []string{"-f", dockerfilePath("seed-opt")}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			app := neutralApp(t)
			args := append([]string{"build", "--mirror", reg.Host, "-t", reg.Host + "/own:" + strings.ToLower(tc.name),
				"--cache-dir", filepath.Join(app, ".cache"), "-o", "tar:" + filepath.Join(app, "image.tar"),
				"--digest-file", filepath.Join(app, "out", "digest.txt"), "--metadata-file", filepath.Join(app, "meta.json")}, tc.args...)
			args = append(args, app)
			if err := os.Mkdir(filepath.Join(app, "out"), 0o755); err != nil {
				t.Fatal(err)
			}
			var digests []string
			for i := range 2 {
				code, stdout, stderr := brefimg(t, nil, args...)
				if code != exitOK {
					t.Fatalf("build %d: exit %d: %s", i+1, code, stderr)
				}
				digests = append(digests, strings.TrimSpace(stdout))
				if i == 0 {
					continue
				}
				for _, want := range []string{"[own-file-skipped]", "image.tar", ".cache", "digest.txt", "meta.json"} {
					if !strings.Contains(stderr, want) {
						t.Errorf("build 2: stderr lacks %q:\n%s", want, stderr)
					}
				}
			}
			if digests[0] != digests[1] {
				t.Errorf("the second build gave %s, the first %s: the outputs of the first went into the second", digests[1], digests[0])
			}
			img := pulled(t, digests[1])
			if err := validate.Image(img); err != nil {
				t.Fatalf("invalid image: %v", err)
			}
			for p := range files(t, img) {
				for _, own := range []string{"/var/task/.cache", "/var/task/image.tar", "/var/task/out/digest.txt", "/var/task/meta.json"} {
					if p == own || strings.HasPrefix(p, own+"/") {
						t.Errorf("%s is in the image", p)
					}
				}
			}
		})
	}
}

// TestUnwritableCache: a --cache-dir that cannot be written costs speed
// only: a warning, and the build succeeds, with the digest a build without
// cache gives.
func TestUnwritableCache(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	app := neutralApp(t)
	build := func(t *testing.T, cacheArgs ...string) (int, string, string) {
		t.Helper()
		args := append([]string{"build", "-q", "--bref", "1", "--php", "8.0", "--mirror", reg.Host, "-o", "oci:" + filepath.Join(t.TempDir(), "layout")}, cacheArgs...)
		return brefimg(t, nil, append(args, app)...)
	}
	_, want, _ := build(t, "--no-cache")
	tests := []struct {
		name    string
		prepare func(t *testing.T, dir string)
	}{
		{name: "its tmp is a file", prepare: func(t *testing.T, dir string) {
			if err := os.WriteFile(filepath.Join(dir, "tmp"), nil, 0o644); err != nil {
				t.Fatal(err)
			}
		}},
		{name: "under a file", prepare: nil},
		{name: "read-only", prepare: func(t *testing.T, dir string) {
			if os.Geteuid() == 0 {
				t.Skip("root writes into a read-only directory")
			}
			if err := os.Chmod(dir, 0o555); err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { os.Chmod(dir, 0o755) })
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			cacheDir := filepath.Join(dir, "cache")
			if tc.prepare != nil {
				tc.prepare(t, dir)
				cacheDir = dir
			} else if err := os.WriteFile(filepath.Join(dir, "file"), nil, 0o644); err == nil {
				cacheDir = filepath.Join(dir, "file", "cache")
			}
			code, stdout, stderr := build(t, "--cache-dir", cacheDir)
			if code != exitOK || stdout != want {
				t.Fatalf("exit %d, digest %q (want %q without cache): %s", code, stdout, want, stderr)
			}
			if strings.Count(stderr, "warning: building without a layer cache") != 1 || !strings.Contains(stderr, cacheDir) {
				t.Errorf("stderr, want one warning naming %s:\n%s", cacheDir, stderr)
			}
		})
	}
}

// TestStaleTempFiles: the layer and spool files a killed build left in
// TMPDIR, and the temporary files it left in the cache, are gone after the
// next build; those of live processes and other programs stay.
func TestStaleTempFiles(t *testing.T) {
	reg := seeded(t)
	tmp, cacheDir := t.TempDir(), t.TempDir()
	t.Setenv("TMPDIR", tmp)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	dead := cmd.ProcessState.Pid()
	if err := os.MkdirAll(filepath.Join(cacheDir, "tmp"), 0o755); err != nil {
		t.Fatal(err)
	}
	old := time.Now().Add(-3 * time.Hour)
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
		plant(filepath.Join(cacheDir, "tmp"), fmt.Sprintf("brefimg-layer-%d-3.tar.gz", dead)),
		plant(filepath.Join(cacheDir, "tmp"), "0123abcd.json-4"),
	}
	kept := []string{
		plant(tmp, fmt.Sprintf("brefimg-layer-%d-5.tar.gz", os.Getpid())),
		plant(tmp, "other-program.tmp"),
	}
	code, _, stderr := brefimg(t, nil, "build", "--bref", "1", "--php", "8.0", "--mirror", reg.Host, "--cache-dir", cacheDir,
		"-o", "oci:"+filepath.Join(t.TempDir(), "layout"), neutralApp(t))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, p := range gone {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s is still there", p)
		}
	}
	for _, p := range kept {
		if _, err := os.Stat(p); err != nil {
			t.Errorf("%s was removed: %v", p, err)
		}
	}
}
