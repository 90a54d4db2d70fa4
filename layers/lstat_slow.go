//go:build !linux || !(amd64 || arm64)

package layers

import (
	"os"
	"path/filepath"
)

// dirRef is a directory a walk read: its entries are stated by path.
type dirRef struct{ path string }

// openDirEntries reads the entries of the directory at p.
func openDirEntries(p string, _ []byte) (dirRef, []dirEnt, error) {
	des, err := os.ReadDir(p)
	if err != nil {
		return dirRef{}, nil, err
	}
	ents := make([]dirEnt, len(des))
	for i, de := range des {
		ents[i] = dirEnt{name: de.Name(), dir: de.IsDir()}
	}
	return dirRef{path: p}, ents, nil
}

// close does nothing: nothing is kept open.
func (dirRef) close() {}

// lstat lstats the entry name of the directory.
func (d dirRef) lstat(name string) (fileStat, error) {
	info, err := os.Lstat(filepath.Join(d.path, name))
	if err != nil {
		return fileStat{}, err
	}
	return fileStatOf(info), nil
}

// fileStatOf describes a FileInfo from os.Lstat.
func fileStatOf(info os.FileInfo) fileStat {
	s := fileStat{mode: info.Mode(), st: statOf(info), info: info}
	s.key, s.hard = inodeOf(info)
	return s
}
