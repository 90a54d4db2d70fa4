//go:build !unix

package layers

import "io/fs"

// inodeOf reports no hard links where the platform does not tell them.
func inodeOf(fs.FileInfo) (inodeKey, bool) { return inodeKey{}, false }
