//go:build !linux

package registry_test

import "testing"

// mountPoint skips the test: mounting is tested on Linux only.
func mountPoint(t *testing.T, _ string) string {
	t.Helper()
	t.Skip("mount points are tested on Linux only")
	return ""
}
