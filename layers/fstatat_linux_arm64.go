package layers

import "syscall"

// atSymlinkNoFollow is AT_SYMLINK_NOFOLLOW: lstat, not stat.
const atSymlinkNoFollow = 0x100

// fstatat lstats name relative to the directory fd.
func fstatat(fd int, name string, st *syscall.Stat_t) error {
	for {
		err := syscall.Fstatat(fd, name, st, atSymlinkNoFollow)
		if err != syscall.EINTR {
			return err
		}
	}
}
