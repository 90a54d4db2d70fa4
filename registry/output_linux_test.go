package registry_test

import (
	"os"
	"path/filepath"
	"syscall"
	"testing"
)

// mountPoint mounts an empty tmpfs under base and returns its path; the
// test is skipped when this process may not mount (not root, or a
// container without CAP_SYS_ADMIN).
func mountPoint(t *testing.T, base string) string {
	t.Helper()
	dir := filepath.Join(base, "mnt")
	if err := os.Mkdir(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Mount("tmpfs", dir, "tmpfs", 0, "size=16m"); err != nil {
		t.Skipf("cannot mount a tmpfs here: %v", err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, 0); err != nil {
			t.Errorf("unmounting %s: %v", dir, err)
		}
	})
	return dir
}
