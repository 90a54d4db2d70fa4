//go:build unix

package layers

import (
	"context"
	"net"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"syscall"
	"testing"
	"time"
)

// makeUnwalkable creates under dir a chain of directories whose full path is
// longer than the system allows (PATH_MAX), so that walking into it fails
// with ENAMETOOLONG even for root. It works through os.Root, one short
// relative name at a time.
func makeUnwalkable(t *testing.T, dir string) {
	t.Helper()
	r, err := os.OpenRoot(dir)
	if err != nil {
		t.Fatal(err)
	}
	name := strings.Repeat("d", 200)
	for range 25 { // 25 * 201 > 4096
		if err := r.Mkdir(name, 0o755); err != nil {
			t.Fatal(err)
		}
		sub, err := r.OpenRoot(name)
		if err != nil {
			t.Fatal(err)
		}
		r.Close()
		r = sub
	}
	if err := r.WriteFile("f", []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	r.Close()
}

// TestFromDirIgnoreSkipsDirEntirely checks that an excluded directory is not
// even read: walking the same tree without the pattern fails.
func TestFromDirIgnoreSkipsDirEntirely(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "index.php", "x", 0o644)
	mkdir(t, dir, "node_modules")
	makeUnwalkable(t, filepath.Join(dir, "node_modules"))

	tests := []struct {
		name     string
		patterns []string
		want     []string
		wantErr  string
	}{
		{name: "not ignored", wantErr: `reading app `},
		{name: "ignored", patterns: []string{"node_modules"}, want: []string{"index.php"}},
		{name: "ignored with an exception elsewhere", patterns: []string{"node_modules", "!other/x"}, want: []string{"index.php"}},
		{name: "ignored with an exception inside", patterns: []string{"node_modules", "!node_modules/" + strings.Repeat("d", 200)}, wantErr: "file name too long"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tmp := t.TempDir()
			l, err := FromDir(context.Background(), dir, "/var/task", WithIgnorePatterns(tc.patterns), WithTempDir(tmp))
			if tc.wantErr != "" {
				if err == nil {
					l.Close()
					t.Fatal("FromDir succeeded, want an error")
				}
				if !strings.Contains(err.Error(), tc.wantErr) || !strings.Contains(err.Error(), "node_modules/ddd") {
					t.Errorf("error %q, want it to contain %q and name the path", err, tc.wantErr)
				}
				emptyDir(t, tmp)
				return
			}
			if err != nil {
				t.Fatalf("FromDir: %v", err)
			}
			closeLayer(t, l)
			if got := names(l.Entries(), "/var/task"); !slices.Equal(got, tc.want) {
				t.Errorf("entries %q, want %q", got, tc.want)
			}
		})
	}
}

func TestFromDirSkipsSpecialFiles(t *testing.T) {
	dir := t.TempDir()
	writeFile(t, dir, "index.php", "x", 0o644)
	mkdir(t, dir, "run")
	ln, err := net.Listen("unix", filepath.Join(dir, "run", "php.sock"))
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	if err := syscall.Mkfifo(filepath.Join(dir, "run", "pipe"), 0o644); err != nil {
		t.Fatal(err)
	}

	l, err := FromDir(context.Background(), dir, "/var/task")
	if err != nil {
		t.Fatalf("FromDir: %v", err)
	}
	closeLayer(t, l)
	if got, want := names(l.Entries(), "/var/task"), []string{"index.php", "run/"}; !slices.Equal(got, want) {
		t.Errorf("entries %q, want %q", got, want)
	}
	want := []Skipped{
		{Path: "run/php.sock", Reason: "socket: cannot be stored in an image"},
		{Path: "run/pipe", Reason: "named pipe: cannot be stored in an image"},
	}
	if got := l.Skipped(); !slices.Equal(got, want) {
		t.Errorf("Skipped() = %v, want %v", got, want)
	}
}

func TestFromDirUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("running as root: root can read files without read permission")
	}
	tests := []struct {
		name     string
		path     string
		isDir    bool
		patterns []string
		wantErr  string
	}{
		{name: "file", path: "private/key", wantErr: `reading app file "` + "%s" + `/private/key": permission denied: make it readable (chmod a+r) or list it in .dockerignore`},
		{name: "directory", path: "private/keys", isDir: true, wantErr: `reading app directory "` + "%s" + `/private/keys": permission denied: make it readable (chmod a+rx) or list it in .dockerignore`},
		{name: "ignored file", path: "private/key", patterns: []string{"private/key"}},
		{name: "ignored directory", path: "private/keys", isDir: true, patterns: []string{"private"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			writeFile(t, dir, "index.php", "x", 0o644)
			p := filepath.Join(dir, filepath.FromSlash(tc.path))
			if tc.isDir {
				mkdir(t, dir, tc.path)
				writeFile(t, dir, tc.path+"/a", "x", 0o644)
				if err := os.Chmod(p, 0o000); err != nil {
					t.Fatal(err)
				}
				t.Cleanup(func() { os.Chmod(p, 0o755) })
			} else {
				writeFile(t, dir, tc.path, "secret", 0o000)
			}
			tmp := t.TempDir()
			l, err := FromDir(context.Background(), dir, "/var/task", WithIgnorePatterns(tc.patterns), WithTempDir(tmp))
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("FromDir: %v", err)
				}
				l.Close()
				return
			}
			if err == nil {
				l.Close()
				t.Fatal("FromDir succeeded, want an error")
			}
			if want := strings.ReplaceAll(tc.wantErr, "%s", dir); err.Error() != want {
				t.Errorf("error\n %q, want\n %q", err, want)
			}
			emptyDir(t, tmp)
		})
	}
}

// makeApp creates the same app in dir, creating its files in the given order
// under the given umask, setting every mtime to mtime; with linked, b.php is
// a hard link to a.php rather than a copy.
func makeApp(t *testing.T, dir string, reverse bool, umask int, mtime time.Time, linked bool) {
	t.Helper()
	files := []struct {
		name string
		perm os.FileMode
	}{
		{"a.php", 0o666},
		{"bin/console", 0o777},
		{"public/index.php", 0o666},
		{"public/assets/app.css", 0o666},
		{"vendor/autoload.php", 0o666},
		{"vendor/bin/phpunit", 0o777},
		{"z.txt", 0o666},
	}
	if reverse {
		slices.Reverse(files)
	}
	old := syscall.Umask(umask)
	defer syscall.Umask(old)
	for _, f := range files {
		p := filepath.Join(dir, filepath.FromSlash(f.name))
		if err := os.MkdirAll(filepath.Dir(p), 0o777); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("content of "+f.name), f.perm); err != nil {
			t.Fatal(err)
		}
	}
	if linked {
		if err := os.Link(filepath.Join(dir, "a.php"), filepath.Join(dir, "b.php")); err != nil {
			t.Fatal(err)
		}
	} else if err := os.WriteFile(filepath.Join(dir, "b.php"), []byte("content of a.php"), 0o666); err != nil {
		t.Fatal(err)
	}
	err := filepath.WalkDir(dir, func(p string, _ os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if os.Geteuid() == 0 {
			// Owners must not matter either.
			if err := os.Lchown(p, 1234, 5678); err != nil {
				return err
			}
		}
		return os.Chtimes(p, mtime, mtime)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func TestFromDirReproducible(t *testing.T) {
	dirA, dirB := t.TempDir(), t.TempDir()
	makeApp(t, dirA, false, 0o022, time.Unix(1, 0), false)
	makeApp(t, dirB, true, 0o077, time.Date(2024, 5, 6, 7, 8, 9, 123456789, time.UTC), true)

	var digests, diffIDs []string
	for _, d := range []string{dirA, dirB, dirA} {
		l, err := FromDir(context.Background(), d, "/var/task", WithTempDir(t.TempDir()))
		if err != nil {
			t.Fatalf("FromDir(%s): %v", d, err)
		}
		closeLayer(t, l)
		checkParents(t, l.Entries())
		digests = append(digests, digestOf(t, l).String())
		diffID, _ := l.DiffID()
		diffIDs = append(diffIDs, diffID.String())
	}
	for i := 1; i < len(digests); i++ {
		if digests[i] != digests[0] || diffIDs[i] != diffIDs[0] {
			t.Errorf("build %d: digest %s diffID %s, want %s %s", i, digests[i], diffIDs[i], digests[0], diffIDs[0])
		}
	}
}
