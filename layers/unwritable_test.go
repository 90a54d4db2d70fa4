package layers

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// TestCacheUnwritable: a cache that cannot be written costs speed only.
// One that cannot be written when opened is refused by OpenCache (the
// caller builds without it); one that fails during a build is left, said
// once, and the layers are written in the temporary directory, with the
// digests a build without cache gives.
func TestCacheUnwritable(t *testing.T) {
	t.Run("read-only when opened", func(t *testing.T) {
		if os.Geteuid() == 0 {
			t.Skip("root writes into a read-only directory")
		}
		dir := t.TempDir()
		c, err := OpenCache(dir, 0)
		if err != nil {
			t.Fatal(err)
		}
		c.Close()
		for _, sub := range append(cacheDirs, "") {
			if err := os.Chmod(filepath.Join(dir, sub), 0o555); err != nil {
				t.Fatal(err)
			}
			defer os.Chmod(filepath.Join(dir, sub), 0o755)
		}
		if _, err := OpenCache(dir, 0); err == nil || !strings.Contains(err.Error(), "cannot be written") {
			t.Errorf("OpenCache of a read-only cache: %v, want it refused", err)
		}
	})
	t.Run("not a directory", func(t *testing.T) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, "tmp"), nil, 0o644); err != nil {
			t.Fatal(err)
		}
		if _, err := OpenCache(dir, 0); err == nil {
			t.Error("OpenCache of a cache whose tmp is a file: no error")
		}
	})
	t.Run("writes fail during the build", func(t *testing.T) {
		app := appTree(t)
		tmp := t.TempDir()
		want, err := FromDirSplit(context.Background(), app, "/var/task", []string{"vendor"}, WithTempDir(t.TempDir()))
		if err != nil {
			t.Fatal(err)
		}
		cacheDir := t.TempDir()
		c, err := OpenCache(cacheDir, 0)
		if err != nil {
			t.Fatal(err)
		}
		var warnings []error
		c.OnDisable(func(err error) { warnings = append(warnings, err) })
		failIn(t, c.tempDir(), 100)
		got, err := FromDirSplit(context.Background(), app, "/var/task", []string{"vendor"}, WithTempDir(tmp), WithCache(c))
		if err != nil {
			t.Fatalf("a full cache failed the build: %v", err)
		}
		if g, w := strings.Join(digests(t, got), " "), strings.Join(digests(t, want), " "); g != w {
			t.Errorf("digests %s, want those of a build without cache %s", g, w)
		}
		for _, l := range append(got, want...) {
			checkLayer(t, l)
		}
		if len(warnings) != 1 || !errors.Is(warnings[0], syscall.ENOSPC) || !strings.Contains(warnings[0].Error(), cacheDir) {
			t.Errorf("warnings %v, want one, about %s being full", warnings, cacheDir)
		}
		emptyDir(t, c.tempDir())
		for _, l := range got {
			if !strings.HasPrefix(l.path, tmp+string(filepath.Separator)) {
				t.Errorf("layer file %s, want it in the temporary directory %s", l.path, tmp)
			}
			if err := l.Close(); err != nil {
				t.Error(err)
			}
		}
		for _, l := range want {
			closeLayer(t, l)
		}
		emptyDir(t, tmp)
		if err := c.Close(); err != nil {
			t.Errorf("closing a cache that could not be written: %v", err)
		}
	})
}

// failIn makes writes to layer files in dir fail with ENOSPC after n bytes,
// as on a full disk, for the rest of the test.
func failIn(t *testing.T, dir string, n int) {
	t.Helper()
	orig := layerFileWriter
	t.Cleanup(func() { layerFileWriter = orig })
	layerFileWriter = func(f *os.File) io.Writer {
		if filepath.Dir(f.Name()) != dir {
			return f
		}
		return &fullDisk{w: f, left: n}
	}
}

// fullDisk writes left bytes, then fails with ENOSPC.
type fullDisk struct {
	w    io.Writer
	left int
}

func (d *fullDisk) Write(p []byte) (int, error) {
	if len(p) > d.left {
		n, _ := d.w.Write(p[:d.left])
		d.left = 0
		return n, &os.PathError{Op: "write", Path: "layer", Err: syscall.ENOSPC}
	}
	d.left -= len(p)
	return d.w.Write(p)
}

// deadPID returns the pid of a process that has exited.
func deadPID(t *testing.T) int {
	t.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	if err := cmd.Run(); err != nil {
		t.Fatal(err)
	}
	return cmd.ProcessState.Pid()
}

// TestRemoveStaleTemp: temporary files killed builds left are removed,
// those of live builds and of other programs are not.
func TestRemoveStaleTemp(t *testing.T) {
	dead, live := deadPID(t), os.Getpid()
	tests := []struct {
		name    string
		age     time.Duration
		removed bool
	}{
		{fmt.Sprintf("brefimg-layer-%d-123.tar.gz", dead), 2 * time.Hour, true},
		{fmt.Sprintf("brefimg-spool-%d-456", dead), 2 * time.Hour, true},
		{fmt.Sprintf("brefimg-layer-%d-789.tar.gz", dead), 10 * time.Minute, false}, // maybe a process in another pid namespace
		{fmt.Sprintf("brefimg-layer-%d-123.tar.gz", live), 2 * time.Hour, false},    // a long build still pushing
		{fmt.Sprintf("brefimg-spool-%d-456", live), 25 * time.Hour, true},           // the pid was reused since
		{"brefimg-layer-123456.tar.gz", 2 * time.Hour, true},                        // an older brefimg's name, without pid
		{"brefimg-layer-123456.tar.gz-fresh", time.Minute, false},
		{"other-program-" + strconv.Itoa(dead), 48 * time.Hour, false},
	}
	dir := t.TempDir()
	now := time.Now()
	for _, tc := range tests {
		p := filepath.Join(dir, tc.name)
		if err := os.WriteFile(p, []byte("x"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, now.Add(-tc.age), now.Add(-tc.age)); err != nil {
			t.Fatal(err)
		}
	}
	n := RemoveStaleTemp(dir)
	want := 0
	for _, tc := range tests {
		_, err := os.Stat(filepath.Join(dir, tc.name))
		if removed := errors.Is(err, os.ErrNotExist); removed != tc.removed {
			t.Errorf("%s, %s old: removed %v, want %v", tc.name, tc.age, removed, tc.removed)
		}
		if tc.removed {
			want++
		}
	}
	if n != want {
		t.Errorf("RemoveStaleTemp says it removed %d, want %d", n, want)
	}
	if RemoveStaleTemp(filepath.Join(dir, "missing")) != 0 {
		t.Error("a missing directory: files removed")
	}
}

// TestTempNamesCarryThePID: the layer and spool files a build writes name
// its process, so that a later run can tell whether they are stale.
func TestTempNamesCarryThePID(t *testing.T) {
	dir := t.TempDir()
	o, err := makeOptions([]Option{WithTempDir(dir)})
	if err != nil {
		t.Fatal(err)
	}
	w, err := newLayerWriter(o, dir)
	if err != nil {
		t.Fatal(err)
	}
	defer w.abort()
	sp := &spool{dir: dir}
	if _, err := sp.write(strings.NewReader("x")); err != nil {
		t.Fatal(err)
	}
	defer sp.close()
	for _, name := range []string{filepath.Base(w.f.Name()), filepath.Base(sp.f.Name())} {
		if pid, ok := pidOf(name); !ok || pid != os.Getpid() {
			t.Errorf("%s names pid %d (%v), want %d", name, pid, ok, os.Getpid())
		}
	}
}
