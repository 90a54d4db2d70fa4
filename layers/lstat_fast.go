//go:build linux && (amd64 || arm64)

package layers

import (
	"encoding/binary"
	"io/fs"
	"os"
	"syscall"
)

// dirRef is a directory a walk opened: its file descriptor, the entries
// of which are stated relative to it (the kernel resolves one name, not
// the whole path).
type dirRef struct {
	fd   int
	path string
}

// openDirEntries opens the directory at p and reads its entries (in
// directory order) with getdents, into buf: no poller registration, no
// FileInfo per entry. An entry whose type the file system does not give is
// stated.
func openDirEntries(p string, buf []byte) (dirRef, []dirEnt, error) {
	fd, err := openDirFD(p)
	if err != nil {
		return dirRef{}, nil, &fs.PathError{Op: "open", Path: p, Err: err}
	}
	d := dirRef{fd: fd, path: p}
	var ents []dirEnt
	for {
		n, err := syscall.ReadDirent(fd, buf)
		if err == syscall.EINTR {
			continue
		}
		if err != nil {
			d.close()
			return dirRef{}, nil, &fs.PathError{Op: "readdirent", Path: p, Err: err}
		}
		if n <= 0 {
			break
		}
		if ents, err = d.parseDirents(buf[:n], ents); err != nil {
			d.close()
			return dirRef{}, nil, err
		}
	}
	return d, ents, nil
}

// openDirFD opens a directory for reading its entries.
func openDirFD(p string) (int, error) {
	for {
		fd, err := syscall.Open(p, syscall.O_RDONLY|syscall.O_DIRECTORY|syscall.O_CLOEXEC, 0)
		if err != syscall.EINTR {
			return fd, err
		}
	}
}

// parseDirents appends the entries of getdents64 records to ents,
// leaving out ".", ".." and deleted entries, as os.ReadDir does.
func (d dirRef) parseDirents(b []byte, ents []dirEnt) ([]dirEnt, error) {
	for len(b) >= 19 {
		ino := binary.NativeEndian.Uint64(b[0:8])
		reclen := int(binary.NativeEndian.Uint16(b[16:18]))
		if reclen < 19 || reclen > len(b) {
			return nil, &fs.PathError{Op: "readdirent", Path: d.path, Err: syscall.EIO}
		}
		typ := b[18]
		name := b[19:reclen]
		for i, c := range name {
			if c == 0 {
				name = name[:i]
				break
			}
		}
		b = b[reclen:]
		if ino == 0 || string(name) == "." || string(name) == ".." {
			continue
		}
		e := dirEnt{name: string(name), dir: typ == syscall.DT_DIR}
		if typ == syscall.DT_UNKNOWN {
			st, err := d.lstat(e.name)
			if err != nil {
				return nil, err
			}
			e.dir = st.mode.IsDir()
		}
		ents = append(ents, e)
	}
	return ents, nil
}

// close closes the directory.
func (d dirRef) close() { syscall.Close(d.fd) }

// lstat lstats the entry name of the directory.
func (d dirRef) lstat(name string) (fileStat, error) {
	var st syscall.Stat_t
	if err := fstatat(d.fd, name, &st); err != nil {
		return fileStat{}, &fs.PathError{Op: "lstat", Path: d.path + string(os.PathSeparator) + name, Err: err}
	}
	return fileStatOfSys(&st), nil
}

// fileStatOfSys describes a stat as os.Lstat would (see os's
// fillFileStatFromSys), with what the cache and the walk need.
func fileStatOfSys(st *syscall.Stat_t) fileStat {
	mode := fs.FileMode(st.Mode & 0o777)
	switch st.Mode & syscall.S_IFMT {
	case syscall.S_IFBLK:
		mode |= fs.ModeDevice
	case syscall.S_IFCHR:
		mode |= fs.ModeDevice | fs.ModeCharDevice
	case syscall.S_IFDIR:
		mode |= fs.ModeDir
	case syscall.S_IFIFO:
		mode |= fs.ModeNamedPipe
	case syscall.S_IFLNK:
		mode |= fs.ModeSymlink
	case syscall.S_IFSOCK:
		mode |= fs.ModeSocket
	}
	if st.Mode&syscall.S_ISGID != 0 {
		mode |= fs.ModeSetgid
	}
	if st.Mode&syscall.S_ISUID != 0 {
		mode |= fs.ModeSetuid
	}
	if st.Mode&syscall.S_ISVTX != 0 {
		mode |= fs.ModeSticky
	}
	s := fileStat{mode: mode, st: statEntry{
		Size:  st.Size,
		Mtime: st.Mtim.Sec*1e9 + st.Mtim.Nsec,
		Ctime: st.Ctim.Sec*1e9 + st.Ctim.Nsec,
		Ino:   uint64(st.Ino),
		Dev:   uint64(st.Dev), //nolint:unconvert // not uint64 everywhere
	}}
	if mode.IsRegular() && st.Nlink > 1 {
		s.hard, s.key = true, inodeKey{dev: s.st.Dev, ino: s.st.Ino}
	}
	return s
}
