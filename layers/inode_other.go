//go:build !unix

package layers

import "io/fs"

// inodeKey identifies the file behind a hard link.
type inodeKey struct{ dev, ino uint64 }

// inodeOf reports no hard links where the platform does not tell them.
func inodeOf(fs.FileInfo) (inodeKey, bool) { return inodeKey{}, false }
