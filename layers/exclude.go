package layers

import (
	"io/fs"
	"os"
)

// excludedReason is the Reason of a [Skipped] path [WithExclude] names.
const excludedReason = "brefimg's own file (its layer cache, or an output of the build): it would grow into every next image"

// excluder recognises the files [WithExclude] names during a walk, by
// identity (device and inode), so that however a path is spelt, through
// whatever symbolic link, the same file is found.
type excluder []fs.FileInfo

// newExcluder stats paths; those that do not exist are dropped.
func newExcluder(paths []string) excluder {
	var ex excluder
	for _, p := range paths {
		if info, err := os.Lstat(p); err == nil {
			ex = append(ex, info)
		}
	}
	return ex
}

// excludes reports whether info, as a walk found it, is one of the
// excluded files.
func (ex excluder) excludes(info fs.FileInfo) bool {
	for _, e := range ex {
		if os.SameFile(e, info) {
			return true
		}
	}
	return false
}

// excludesStat is excludes for what a walk's lstat found: the FileInfo
// when the walk made one, else the device and inode (which the fast walk
// has, on Linux).
func (ex excluder) excludesStat(s fileStat) bool {
	if s.info != nil {
		return ex.excludes(s.info)
	}
	for _, e := range ex {
		if st := statOf(e); st.Ino == s.st.Ino && st.Dev == s.st.Dev {
			return true
		}
	}
	return false
}
