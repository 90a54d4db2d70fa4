package layers

import (
	"strings"
	"syscall"
	"unsafe"
)

// atSymlinkNoFollow is AT_SYMLINK_NOFOLLOW: lstat, not stat.
const atSymlinkNoFollow = 0x100

// fstatat lstats name relative to the directory fd (syscall exports no
// Fstatat on linux/amd64).
func fstatat(fd int, name string, st *syscall.Stat_t) error {
	// The name, NUL-terminated, on the stack: a walk stats every file.
	var buf [256]byte
	var p *byte
	if len(name) < len(buf) && strings.IndexByte(name, 0) < 0 {
		copy(buf[:], name)
		p = &buf[0]
	} else {
		var err error
		if p, err = syscall.BytePtrFromString(name); err != nil {
			return err
		}
	}
	for {
		_, _, errno := syscall.Syscall6(syscall.SYS_NEWFSTATAT, uintptr(fd), uintptr(unsafe.Pointer(p)), uintptr(unsafe.Pointer(st)), atSymlinkNoFollow, 0, 0)
		switch errno {
		case 0:
			return nil
		case syscall.EINTR:
			continue
		}
		return errno
	}
}
