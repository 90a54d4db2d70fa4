package layers

import (
	"archive/tar"
	"bufio"
	"bytes"
	"compress/bzip2"
	"compress/gzip"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"
)

// Magic numbers of the compressions Docker recognises in ADD archives.
var (
	magicGzip  = []byte{0x1f, 0x8b, 0x08}
	magicBzip2 = []byte("BZh")
	magicXz    = []byte{0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00}
	magicZstd  = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// openArchive opens the regular file n of src as a tar stream when it is
// one (uncompressed, gzip or bzip2), as Docker's ADD decides: by content,
// not by name. ok is false for any other file. xz and zstd archives are an
// error: brefimg does not decompress them.
func openArchive(c *copier, src *Tree, n *node, name string) (tr *tar.Reader, closer io.Closer, ok bool, err error) {
	if err := src.fetch(c.ctx, []*fileData{n.file}); err != nil {
		return nil, nil, false, err
	}
	rc, err := n.file.content.open(c.ctx)
	if err != nil {
		return nil, nil, false, err
	}
	br := bufio.NewReader(rc)
	head, _ := br.Peek(8)
	var r io.Reader = br
	switch {
	case bytes.HasPrefix(head, magicGzip):
		zr, err := gzip.NewReader(br)
		if err != nil {
			rc.Close()
			return nil, nil, false, nil
		}
		r = zr
	case bytes.HasPrefix(head, magicBzip2):
		r = bzip2.NewReader(br)
	case bytes.HasPrefix(head, magicXz), bytes.HasPrefix(head, magicZstd):
		rc.Close()
		return nil, nil, false, fmt.Errorf("%s looks like an xz or zstd compressed archive, which brefimg cannot extract: compress it with gzip, or COPY it instead of ADD", name)
	}
	// Peek at the first header: a file that is not a tar is copied as is.
	var buf bytes.Buffer
	probe := tar.NewReader(io.TeeReader(r, &buf))
	if _, err := probe.Next(); err != nil {
		rc.Close()
		return nil, nil, false, nil
	}
	return tar.NewReader(io.MultiReader(&buf, r)), rc, true, nil
}

// tryUnpack extracts the source s of src into dest when it is a local tar
// archive, as ADD does: dest is a directory (created 0755, owned by the
// copy's owner or root); entries keep the owners and modes the archive
// gives them (--chown replaces the owners; --chmod does not apply);
// parent directories the archive does not hold are created 0755 for root;
// a directory merges into an existing one, anything else replaces what
// was there. done is false when s is not an archive.
func (c *copier) tryUnpack(src *Tree, s, dest string) (done bool, err error) {
	sp, err := src.Resolve(path.Join("/", s))
	if err != nil {
		return false, err
	}
	n := src.get(sp)
	if n == nil || n.typ != tar.TypeReg || n.file == nil {
		return false, nil
	}
	tr, closer, ok, err := openArchive(c, src, n, s)
	if err != nil || !ok {
		return false, err
	}
	defer closer.Close()
	dst, err := c.dst.Resolve(path.Clean(dest))
	if err != nil {
		return false, err
	}
	if err := c.mkdirAll(dst); err != nil {
		return false, err
	}
	if dn := c.dst.get(dst); dn == nil || !dn.isDir() {
		return false, fmt.Errorf("cannot extract %s into %s: it is not a directory", s, dest)
	}
	for {
		if err := c.ctx.Err(); err != nil {
			return false, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return true, nil
		}
		if err != nil {
			return false, fmt.Errorf("extracting %s: %w", s, err)
		}
		if err := c.unpackEntry(tr, hdr, dst, s); err != nil {
			return false, err
		}
	}
}

func (c *copier) unpackEntry(tr *tar.Reader, hdr *tar.Header, dst, archive string) error {
	rel := path.Clean(strings.TrimPrefix(hdr.Name, "/"))
	if rel == ".." || strings.HasPrefix(rel, "../") {
		return fmt.Errorf("extracting %s: entry %q would land outside %s", archive, hdr.Name, dst)
	}
	if rel == "." {
		return nil // the destination itself, which exists
	}
	if strings.HasPrefix(path.Base(rel), whiteoutPrefix) {
		return fmt.Errorf("extracting %s: entry %q is a layer whiteout, which ADD cannot apply", archive, hdr.Name)
	}
	parent, err := c.dst.Resolve(path.Join(dst, path.Dir(rel)))
	if err != nil {
		return err
	}
	if err := c.mkdirAllRoot(parent); err != nil {
		return err
	}
	p := path.Join(parent, path.Base(rel))
	uid, gid := hdr.Uid, hdr.Gid
	if c.owner != nil {
		uid, gid = c.owner.UID, c.owner.GID
	}
	old := c.dst.get(p)
	if old != nil && !(old.isDir() && hdr.Typeflag == tar.TypeDir) {
		c.dst.remove(p)
		old = nil
	}
	n := &node{path: p, typ: hdr.Typeflag, mode: hdr.Mode & 0o7777, uid: uid, gid: gid}
	switch hdr.Typeflag {
	case tar.TypeDir:
		if old != nil {
			old.mode, old.uid, old.gid = n.mode, n.uid, n.gid
			c.change.add(p)
			return nil
		}
		n.kids = map[string]*node{}
	case tar.TypeReg:
		span, err := c.dst.spool.write(tr)
		if err != nil {
			return err
		}
		n.file = &fileData{size: span.n, content: span}
	case tar.TypeLink:
		tp := path.Join(dst, path.Clean("/"+hdr.Linkname))
		t := c.dst.get(tp)
		if t == nil || t.typ != tar.TypeReg {
			return fmt.Errorf("extracting %s: hard link %q points to %q, which the archive did not create before it", archive, hdr.Name, hdr.Linkname)
		}
		n.typ, n.mode, n.uid, n.gid, n.file = tar.TypeReg, t.mode, t.uid, t.gid, t.file
	case tar.TypeSymlink:
		n.linkname = hdr.Linkname
	case tar.TypeChar, tar.TypeBlock, tar.TypeFifo:
		n.devmajor, n.devminor = hdr.Devmajor, hdr.Devminor
	default:
		return nil // PAX global headers and other records hold no file
	}
	if err := c.dst.put(n); err != nil {
		return err
	}
	c.change.add(p)
	return nil
}

// mkdirAllRoot creates missing directories 0755 owned by root, as Docker's
// archive extraction does for parents an archive does not hold.
func (c *copier) mkdirAllRoot(p string) error {
	owner := c.owner
	c.owner = nil
	defer func() { c.owner = owner }()
	return c.mkdirAll(p)
}
