//go:build !linux

package layers

import "io/fs"

// statOf leaves Ctime 0 where the platform does not tell it: the cache then
// never trusts a file's stat and hashes its content.
func statOf(info fs.FileInfo) statEntry {
	return statEntry{Size: info.Size(), Mtime: info.ModTime().UnixNano()}
}
