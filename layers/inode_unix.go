//go:build unix && !(linux && (amd64 || arm64))

package layers

import (
	"io/fs"
	"syscall"
)

// inodeOf returns the inode of a regular file with more than one link.
func inodeOf(info fs.FileInfo) (inodeKey, bool) {
	st, ok := info.Sys().(*syscall.Stat_t)
	if !ok || st.Nlink < 2 {
		return inodeKey{}, false
	}
	return inodeKey{dev: uint64(st.Dev), ino: uint64(st.Ino)}, true //nolint:unconvert // Dev is not uint64 everywhere
}
