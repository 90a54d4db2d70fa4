package layers

import (
	"archive/tar"
	"path"
)

// LinkExposed reports the first entry of a layer, at or under dir, that a
// runtime unpacking the layer might write somewhere other than where its
// name says. containerd and Docker follow the symbolic links they meet in
// the parent directories of each entry, whether the link comes from the
// layer itself, a layer below it or the base image: a layer holding
// opt/etc -> /etc and then opt/etc/passwd writes /etc/passwd, although every
// name lies under /opt. A layer that, before each entry, declares every
// directory from dir down to the entry's parent as a directory replaces
// any link standing there (a runtime removes what is not a directory where
// a directory entry comes), so nothing it holds lands outside dir: for
// such a layer LinkExposed returns "", false. The target of a hard link is
// held to the same rule. Entries outside dir are not considered, nor is
// what lies above dir.
func LinkExposed(entries []Entry, dir string) (string, bool) {
	dir = path.Clean(dir)
	isDir := map[string]bool{} // what the layer declared so far; the last entry wins
	declared := func(p string) bool {
		for q := p; ; q = path.Dir(q) {
			if !isDir[q] {
				return false
			}
			if q == dir || q == "/" {
				return true
			}
		}
	}
	for _, e := range entries {
		if !within(e.Path, dir) {
			continue
		}
		if e.Path != dir && !declared(path.Dir(e.Path)) {
			return e.Path, true
		}
		if e.Type == tar.TypeLink && within(e.Linkname, dir) && e.Linkname != dir && !declared(path.Dir(e.Linkname)) {
			return e.Path, true
		}
		isDir[e.Path] = e.Type == tar.TypeDir
	}
	return "", false
}
