//go:build linux

package layers

import (
	"io/fs"
	"syscall"
)

// statOf is what the cache compares to know a file did not change: a
// content change always moves the ctime.
func statOf(info fs.FileInfo) statEntry {
	e := statEntry{Size: info.Size(), Mtime: info.ModTime().UnixNano()}
	if st, ok := info.Sys().(*syscall.Stat_t); ok {
		e.Ctime = st.Ctim.Sec*1e9 + st.Ctim.Nsec
		e.Ino, e.Dev = uint64(st.Ino), uint64(st.Dev) //nolint:unconvert // not uint64 everywhere
	}
	return e
}
