//go:build unix

package layers

import (
	"errors"
	"syscall"
)

// alive reports whether a process with this pid runs (or may: one we may
// not signal runs all the same).
func alive(pid int) bool {
	err := syscall.Kill(pid, 0)
	return err == nil || errors.Is(err, syscall.EPERM)
}
