package main

import (
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/brefimg/brefimg/internal/testregistry"
)

// layoutImages returns the images of the OCI layout at dir, "ref name=digest"
// per index entry, checking each with validate.Image.
func layoutImages(t *testing.T, dir string) []string {
	t.Helper()
	p, err := layout.FromPath(dir)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for _, d := range m.Manifests {
		img, err := idx.Image(d.Digest)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(img); err != nil {
			t.Errorf("image %s in %s: %v", d.Digest, dir, err)
		}
		out = append(out, d.Annotations["org.opencontainers.image.ref.name"]+"="+d.Digest.String())
	}
	return out
}

// digestOf is the digest a build printed: the part after "@" of its digest
// reference, or all of it when nothing was pushed.
func digestOf(stdout string) string {
	s := strings.TrimSpace(stdout)
	if _, d, ok := strings.Cut(s, "@"); ok {
		return d
	}
	return s
}

// TestOCIOutputKeepsOtherImages checks that -o oci:DIR adds the image to an
// existing layout and keeps the images already there.
func TestOCIOutputKeepsOtherImages(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	dir := filepath.Join(t.TempDir(), "layout")
	var want []string
	for i, epoch := range []string{"1700000000", "1700000001"} {
		tag := reg.Host + "/app:" + epoch
		code, stdout, stderr := brefimg(t, nil, "build", "--bref", "1", "--php", "8.0", "--mirror", reg.Host,
			"--source-date-epoch", epoch, "-t", tag, "-o", "oci:"+dir, neutralApp(t))
		if code != exitOK {
			t.Fatalf("build %d: exit %d: %s", i+1, code, stderr)
		}
		want = append(want, tag+"="+digestOf(stdout))
	}
	if got := layoutImages(t, dir); !slices.Equal(got, want) {
		t.Errorf("layout holds %v, want %v", got, want)
	}
}

// TestOCIOutputIntoExistingDirectory checks that -o oci:DIR writes into an
// existing empty directory that cannot be renamed (a mount point in CI).
func TestOCIOutputIntoExistingDirectory(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	tests := []struct {
		name    string
		prepare func(t *testing.T, base string) string
	}{
		{name: "a path the kernel refuses to rename (EBUSY, as a mount point)", prepare: func(t *testing.T, base string) string {
			dir := filepath.Join(base, "layout")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			return dir + string(filepath.Separator) + "."
		}},
		{name: "read-only parent", prepare: func(t *testing.T, base string) string {
			dir := filepath.Join(base, "parent", "layout")
			if err := os.MkdirAll(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			readOnlyDir(t, filepath.Dir(dir))
			return dir
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			dir := tc.prepare(t, t.TempDir())
			code, stdout, stderr := brefimg(t, nil, "build", "--bref", "1", "--php", "8.0", "--mirror", reg.Host, "-o", "oci:"+dir, neutralApp(t))
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if got, want := layoutImages(t, dir), []string{"=" + digestOf(stdout)}; !slices.Equal(got, want) {
				t.Errorf("layout holds %v, want %v", got, want)
			}
		})
	}
}

// readOnlyDir makes dir read-only for the test, and skips the test when
// that does not stop this process from writing there (root).
func readOnlyDir(t *testing.T, dir string) {
	t.Helper()
	if err := os.Chmod(dir, 0o555); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { os.Chmod(dir, 0o755) })
	if f, err := os.CreateTemp(dir, "probe-"); err == nil {
		f.Close()
		os.Remove(f.Name())
		t.Skip("this process can write into a read-only directory (root)")
	}
}

// entries lists what dir holds, recursively.
func entries(t *testing.T, dir string) []string {
	t.Helper()
	var out []string
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		out = append(out, rel)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// TestOutputPathsCheckedFirst checks that an output path that cannot be
// written is refused with exit 2, naming the flag, before anything is
// built or pushed.
func TestOutputPathsCheckedFirst(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	app := neutralApp(t)
	mkdir := func(p string) func(t *testing.T) {
		return func(t *testing.T) {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	file := func(p, content string) func(t *testing.T) {
		return func(t *testing.T) {
			if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	out := t.TempDir()
	tests := []struct {
		name    string
		prepare func(t *testing.T)
		args    []string // after the image flags
		own     bool     // args are the whole command line after "build"
		want    []string
	}{
		{name: "--digest-file in a missing directory", args: []string{"-t", reg.Host + "/app:1", "--digest-file", filepath.Join(out, "missing", "digest")},
			want: []string{"--digest-file " + filepath.Join(out, "missing", "digest"), "directory " + filepath.Join(out, "missing") + " does not exist"}},
		{name: "--metadata-file is a directory", prepare: mkdir(filepath.Join(out, "meta")), args: []string{"-t", reg.Host + "/app:1", "--metadata-file", filepath.Join(out, "meta")},
			want: []string{"--metadata-file " + filepath.Join(out, "meta"), "is a directory"}},
		{name: "--digest-file under a file", prepare: file(filepath.Join(out, "plain"), "x"), args: []string{"--digest-file", filepath.Join(out, "plain", "digest")},
			want: []string{"--digest-file", filepath.Join(out, "plain") + " is not a directory"}},
		{name: "--digest-file in a read-only directory", prepare: func(t *testing.T) {
			mkdir(filepath.Join(out, "ro"))(t)
			readOnlyDir(t, filepath.Join(out, "ro"))
		}, args: []string{"--digest-file", filepath.Join(out, "ro", "digest")}, want: []string{"--digest-file", "cannot be written"}},
		{name: "-o tar: on a directory", prepare: mkdir(filepath.Join(out, "images")), args: []string{"-o", "tar:" + filepath.Join(out, "images")},
			want: []string{"-o tar:" + filepath.Join(out, "images"), "is a directory", "name a file"}},
		{name: "-o tar: in a missing directory", args: []string{"-o", "tar:" + filepath.Join(out, "missing", "image.tar")},
			want: []string{"-o tar:" + filepath.Join(out, "missing", "image.tar"), "does not exist"}},
		{name: "-o oci: in a missing directory", args: []string{"-o", "oci:" + filepath.Join(out, "missing", "layout")},
			want: []string{"-o oci:" + filepath.Join(out, "missing", "layout"), "does not exist"}},
		{name: "-o oci: on a file", prepare: file(filepath.Join(out, "notdir"), "x"), args: []string{"-o", "oci:" + filepath.Join(out, "notdir")},
			want: []string{"-o oci:" + filepath.Join(out, "notdir"), "not a directory"}},
		{name: "-o oci: on a directory that is no layout", prepare: mkdir(filepath.Join(out, "src", "x")), args: []string{"-o", "oci:" + filepath.Join(out, "src")},
			want: []string{"-o oci:" + filepath.Join(out, "src"), "not an OCI layout"}},
		{name: "-o oci: on a layout with a broken index", prepare: func(t *testing.T) {
			mkdir(filepath.Join(out, "broken"))(t)
			file(filepath.Join(out, "broken", "oci-layout"), `{"imageLayoutVersion": "1.0.0"}`)(t)
			file(filepath.Join(out, "broken", "index.json"), "{")(t)
		}, args: []string{"-o", "oci:" + filepath.Join(out, "broken")}, want: []string{"-o oci:" + filepath.Join(out, "broken"), "index.json"}},
		{name: "--images-file in a missing directory", own: true, args: []string{"--serverless", "--images-file", filepath.Join(out, "missing", "images.json"), app},
			want: []string{"--images-file " + filepath.Join(out, "missing", "images.json"), "does not exist"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.prepare != nil {
				tc.prepare(t)
			}
			args := append([]string{"build"}, tc.args...)
			if !tc.own {
				args = append([]string{"build", "--bref", "1", "--php", "8.0", "--mirror", reg.Host}, append(tc.args, app)...)
			}
			before := entries(t, out)
			reg.Reset()
			code, stdout, stderr := brefimg(t, nil, args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr: %s", code, exitUsage, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if r := reg.Requests(); len(r) > 0 {
				t.Errorf("the registry was asked %d request(s) before the path was checked, first %s %s", len(r), r[0].Method, r[0].Path)
			}
			if after := entries(t, out); !slices.Equal(before, after) {
				t.Errorf("the output directory changed from %v to %v", before, after)
			}
		})
	}
}

// afterManifestPut is a registry in front of reg that calls after once a
// manifest has been pushed, before the client gets the answer.
func afterManifestPut(t *testing.T, reg *testregistry.Registry, after func()) string {
	t.Helper()
	u, err := url.Parse(reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	proxy := httputil.NewSingleHostReverseProxy(u)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		proxy.ServeHTTP(w, r)
		if r.Method == http.MethodPut && strings.Contains(r.URL.Path, "/manifests/") {
			after()
		}
	}))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// TestOutputFileFailsAfterPush checks that a file that cannot be written
// after the push (its directory removed meanwhile) fails the build with
// exit 1 and says that the image was pushed, and where.
func TestOutputFileFailsAfterPush(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	for _, flag := range []string{"--digest-file", "--metadata-file"} {
		t.Run(flag, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(t.TempDir(), "out")
			if err := os.Mkdir(dir, 0o755); err != nil {
				t.Fatal(err)
			}
			// A repository per subtest: a registry that has the manifest
			// already is not sent it again.
			repo := "/app-" + strings.TrimPrefix(flag, "--")
			host := afterManifestPut(t, reg, func() { os.RemoveAll(dir) })
			code, stdout, stderr := brefimg(t, nil, "build", "--bref", "1", "--php", "8.0", "--mirror", reg.Host,
				"-t", host+repo+":1", flag, filepath.Join(dir, "file"), neutralApp(t))
			if code != exitBuild {
				t.Fatalf("exit %d, want %d; stderr: %s", code, exitBuild, stderr)
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			ref, err := name.NewTag(reg.Host + repo + ":1")
			if err != nil {
				t.Fatal(err)
			}
			img, err := remote.Image(ref)
			if err != nil {
				t.Fatalf("the image was not pushed: %v", err)
			}
			if err := validate.Image(img); err != nil {
				t.Errorf("pushed image: %v", err)
			}
			d, err := img.Digest()
			if err != nil {
				t.Fatal(err)
			}
			want := host + repo + "@" + d.String()
			for _, w := range []string{flag, "the image was pushed", want} {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
		})
	}
}

// TestReferencesCheckedFirst checks that a bad reference in -t, --base or
// --mirror is refused with exit 2, naming the flag and the value, before
// anything is built or pushed.
func TestReferencesCheckedFirst(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	app := neutralApp(t)
	tests := []struct {
		name string
		args []string
		want []string
	}{
		{name: "-t with a port out of range", args: []string{"-t", "localhost:99999/app:1"}, want: []string{`-t "localhost:99999/app:1"`, "port 99999"}},
		{name: "-t with port 0", args: []string{"-t", reg.Host + "/app:1", "-t", "localhost:0/app:1"}, want: []string{`-t "localhost:0/app:1"`, "port 0"}},
		{name: "-t given twice in a row", args: []string{"-t", "-t"}, want: []string{`-t "-t"`, "takes a reference"}},
		{name: "-t with an empty path component", args: []string{"-t", reg.Host + "//app:1"}, want: []string{`-t "` + reg.Host + `//app:1"`, "path component"}},
		{name: "-t with a component starting with a dash", args: []string{"-t", reg.Host + "/-app:1"}, want: []string{`-t "` + reg.Host + `/-app:1"`, "path component"}},
		{name: "--base with a port out of range", args: []string{"--base", "localhost:70000/base:1"}, want: []string{`--base "localhost:70000/base:1"`, "port 70000"}},
		{name: "--base with an empty path component", args: []string{"--base", "bref//php-80-fpm:1"}, want: []string{`--base "bref//php-80-fpm:1"`, "empty path component"}},
		{name: "--mirror with a port out of range", args: []string{"--mirror", "localhost:99999"}, want: []string{`--mirror "localhost:99999"`, "port 99999"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			args := append([]string{"build", "--bref", "1", "--php", "8.0", "--mirror", reg.Host, "-o", "oci:" + filepath.Join(out, "layout"),
				"--digest-file", filepath.Join(out, "digest")}, append(tc.args, app)...)
			reg.Reset()
			code, stdout, stderr := brefimg(t, nil, args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr: %s", code, exitUsage, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if r := reg.Requests(); len(r) > 0 {
				t.Errorf("the registry was asked %d request(s) before the reference was checked, first %s %s", len(r), r[0].Method, r[0].Path)
			}
			if e := entries(t, out); len(e) > 1 {
				t.Errorf("a refused build wrote %v", e)
			}
		})
	}
}
