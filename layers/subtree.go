package layers

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// Subtree makes one layer holding the flattened filesystem of img at and
// under prefix (an absolute path such as "/opt"), as
// `COPY --from=img /opt /opt` would, and returns the entries of the
// flattened filesystem it left out (those not at or under prefix), sorted
// by path. The root directory entry, if the image has one, is neither
// written nor returned.
//
// The image is flattened with [mutate.Extract] (whiteouts applied, upper
// layers winning), and an entry whose parent directories hold a symbolic
// link is taken to be where the link leads, as a runtime unpacking the
// image puts it: opt/etc/passwd under a link opt/etc -> /etc is /etc/passwd,
// left out, and the copy holds the link only. The kept entries are written depth-first, siblings in
// byte order (the order of [FromDir]), with their type, mode, owner ids,
// link target and content as in the image, empty owner names, ModTime set to
// the epoch and no extended attributes.
//
// Every entry has an explicit parent: ancestors of prefix are written as the
// image holds them when it holds them as directories, other missing parents
// as directories 0755 owned by root. A hard link is kept as a link when its
// target is kept and written before it; otherwise it is stored as a copy of
// its target (content, mode and owner). An image holding nothing at prefix is
// an error.
//
// Subtree holds the kept entries, content included, in memory until they are
// sorted and written: it is meant for small images such as Bref extension
// images (a few MB to a few tens of MB under /opt), not for base images.
// [WithIgnorePatterns] is refused.
func Subtree(ctx context.Context, img v1.Image, prefix string, opts ...Option) (*Layer, []Entry, error) {
	o, err := makeOptions(opts)
	if err != nil {
		return nil, nil, err
	}
	if o.matcher != nil {
		return nil, nil, errors.New("ignore patterns apply to directories, not to image subtrees: drop WithIgnorePatterns")
	}
	if !path.IsAbs(prefix) {
		return nil, nil, fmt.Errorf("image path %q is not absolute: use a path such as \"/opt\"", prefix)
	}
	prefix = path.Clean(prefix)

	s := &subtree{prefix: prefix, kept: map[string]*bufEntry{}, ancestors: map[string]*bufEntry{}, leftOut: map[string]Entry{}}
	if err := s.read(ctx, img); err != nil {
		return nil, nil, err
	}
	if err := s.followLinks(); err != nil {
		return nil, nil, err
	}
	if len(s.kept) == 0 {
		return nil, nil, fmt.Errorf("image has nothing at %q: check the image and the path: %w", prefix, errNotExist)
	}
	if err := s.resolveLinks(ctx, img); err != nil {
		return nil, nil, err
	}
	all, err := s.withParents()
	if err != nil {
		return nil, nil, err
	}
	if o.existingPrefix {
		for _, e := range all {
			if e.path == prefix || within(prefix, e.path) {
				e.typ, e.mode, e.uid, e.gid, e.linkname, e.data = tar.TypeDir, 0o755, 0, 0, "", nil
			}
		}
	}

	w, err := newLayerWriter(o, o.tempDir)
	if err != nil {
		return nil, nil, err
	}
	for _, e := range all {
		if err := ctx.Err(); err != nil {
			w.abort()
			return nil, nil, err
		}
		if err := w.add(e.header(), bytes.NewReader(e.data)); err != nil {
			w.abort()
			return nil, nil, err
		}
	}
	l, err := w.finish()
	if err != nil {
		return nil, nil, err
	}

	leftOut := make([]Entry, 0, len(s.leftOut))
	for _, e := range s.leftOut {
		leftOut = append(leftOut, e)
	}
	slices.SortFunc(leftOut, func(a, b Entry) int { return comparePaths(a.Path, b.Path) })
	return l, leftOut, nil
}

// bufEntry is an entry of the flattened image, buffered.
type bufEntry struct {
	path     string // absolute, cleaned
	typ      byte
	mode     int64
	uid, gid int
	linkname string // symlink target as stored; hard-link target as an absolute path
	devmajor int64
	devminor int64
	data     []byte
}

// header is e's tar header, its size that of its buffered content.
func (e *bufEntry) header() *tar.Header {
	hdr := &tar.Header{
		Typeflag: e.typ,
		Name:     tarName(e.path, e.typ == tar.TypeDir),
		Mode:     e.mode,
		Uid:      e.uid,
		Gid:      e.gid,
		Size:     int64(len(e.data)),
	}
	switch e.typ {
	case tar.TypeSymlink:
		hdr.Linkname = e.linkname
	case tar.TypeLink:
		hdr.Linkname = tarName(e.linkname, false)
	case tar.TypeChar, tar.TypeBlock:
		hdr.Devmajor, hdr.Devminor = e.devmajor, e.devminor
	}
	return hdr
}

// subtree is the flattened image, sorted by where its entries lie
// relative to prefix.
type subtree struct {
	prefix    string
	kept      map[string]*bufEntry
	ancestors map[string]*bufEntry // directories of the image above prefix
	leftOut   map[string]Entry
}

// isAncestor reports whether p is a directory above prefix (not "/").
func (s *subtree) isAncestor(p string) bool {
	return p != "/" && p != s.prefix && within(s.prefix, p)
}

// extract calls fn with each entry of img's flattened filesystem, its path
// normalised, and a reader for its content. Entries already seen under the
// same normalised path (from a lower layer that spelt it differently) are
// dropped.
func extract(ctx context.Context, img v1.Image, fn func(p string, hdr *tar.Header, r io.Reader) error) error {
	rc := mutate.Extract(img)
	defer rc.Close()
	seen := map[string]bool{}
	tr := tar.NewReader(rc)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return fmt.Errorf("reading the image's filesystem: %w", err)
		}
		p := imagePath(hdr.Name)
		if p == "/" || seen[p] {
			continue
		}
		seen[p] = true
		if err := fn(p, hdr, tr); err != nil {
			return err
		}
	}
}

// bufferEntry buffers the entry hdr of the image at path p, reading the
// content of a regular file from r.
func bufferEntry(p string, hdr *tar.Header, r io.Reader) (*bufEntry, error) {
	e := &bufEntry{
		path:     p,
		typ:      hdr.Typeflag,
		mode:     hdr.Mode,
		uid:      hdr.Uid,
		gid:      hdr.Gid,
		linkname: hdr.Linkname,
		devmajor: hdr.Devmajor,
		devminor: hdr.Devminor,
	}
	if e.typ == tar.TypeLink {
		e.linkname = imagePath(hdr.Linkname)
	}
	if e.typ == tar.TypeReg && hdr.Size > 0 {
		data, err := io.ReadAll(r)
		if err != nil {
			return nil, fmt.Errorf("reading %q from the image: %w", p, err)
		}
		e.data = data
	}
	return e, nil
}

// read sorts the entries of img's flattened filesystem into kept (at or
// under prefix), ancestors (directories above prefix) and left out.
func (s *subtree) read(ctx context.Context, img v1.Image) error {
	return extract(ctx, img, func(p string, hdr *tar.Header, r io.Reader) error {
		switch {
		case within(p, s.prefix):
			e, err := bufferEntry(p, hdr, r)
			if err != nil {
				return err
			}
			s.kept[p] = e
		case s.isAncestor(p) && hdr.Typeflag == tar.TypeDir:
			e, err := bufferEntry(p, hdr, r)
			if err != nil {
				return err
			}
			s.ancestors[p] = e
		default:
			s.leftOut[p] = entryFromHeader(hdr)
		}
		return nil
	})
}

// followLinks puts the entries whose parent directories hold a symbolic
// link where a runtime unpacking the image puts them, the links followed
// inside the root (as [ReadTree] does): an entry opt/etc/passwd under a
// link opt/etc -> /etc is the image's /etc/passwd, which lies outside
// prefix, so a copy of prefix keeps the link and leaves the file out, as
// `COPY --from=img /opt /opt` does. Parents move before their contents; an
// entry whose new place is taken stays out. An entry outside prefix that a
// link leads into it is an error: its content was not read.
func (s *subtree) followLinks() error {
	paths := make([]string, 0, len(s.kept)+len(s.leftOut))
	for p := range s.kept {
		paths = append(paths, p)
	}
	for p := range s.leftOut {
		paths = append(paths, p)
	}
	slices.SortFunc(paths, comparePaths)
	for _, p := range paths {
		dir, err := resolvePath(path.Dir(p), s.lookup)
		if err != nil || dir == path.Dir(p) {
			continue // not through a link (or unresolvable: withParents says so)
		}
		if err := s.move(p, path.Join(dir, path.Base(p))); err != nil {
			return err
		}
	}
	for _, e := range s.kept {
		if e.typ != tar.TypeLink {
			continue
		}
		if dir, err := resolvePath(path.Dir(e.linkname), s.lookup); err == nil {
			e.linkname = path.Join(dir, path.Base(e.linkname))
		}
	}
	return nil
}

// lookup describes the flattened image for resolvePath.
func (s *subtree) lookup(p string) (byte, string, bool) {
	if e, ok := s.kept[p]; ok {
		return e.typ, e.linkname, true
	}
	if _, ok := s.ancestors[p]; ok {
		return tar.TypeDir, "", true
	}
	if e, ok := s.leftOut[p]; ok {
		return e.Type, e.Linkname, true
	}
	return 0, "", false
}

// move puts the entry at from at to instead, kept when to lies under
// prefix, left out otherwise.
func (s *subtree) move(from, to string) error {
	e, kept := s.kept[from]
	if !kept {
		if within(to, s.prefix) {
			return fmt.Errorf("image entry %q lies under a symbolic link that leads into %q: not supported; copy from an image without such links", from, s.prefix)
		}
		l := s.leftOut[from]
		delete(s.leftOut, from)
		if _, taken := s.leftOut[to]; !taken {
			l.Path = to
			s.leftOut[to] = l
		}
		return nil
	}
	delete(s.kept, from)
	if within(to, s.prefix) {
		if _, taken := s.kept[to]; !taken {
			e.path = to
			s.kept[to] = e
		}
		return nil
	}
	if _, taken := s.leftOut[to]; !taken {
		s.leftOut[to] = Entry{Path: to, Type: e.typ, Mode: e.mode & 0o7777, Size: int64(len(e.data)), Linkname: e.linkname, UID: e.uid, GID: e.gid}
	}
	return nil
}

// maxLinkChain bounds how many hard links to hard links are followed.
const maxLinkChain = 32

// resolveLinks turns every kept hard link that cannot stay a link into a
// copy of its target, reading the image a second time for targets outside
// prefix. Chains of hard links are followed to the entry they end at.
func (s *subtree) resolveLinks(ctx context.Context, img v1.Image) error {
	links := s.keptLinks()
	if len(links) == 0 {
		return nil
	}
	outside, err := s.readOutsideTargets(ctx, img, links)
	if err != nil {
		return err
	}
	// Decide everything before changing any entry, as links may share targets.
	final, err := s.linkTargets(links, outside)
	if err != nil {
		return err
	}
	s.rewriteLinks(links, final)
	return nil
}

// keptLinks returns the kept hard links, sorted by path so that errors and
// results do not depend on map order.
func (s *subtree) keptLinks() []*bufEntry {
	var links []*bufEntry
	for _, e := range s.kept {
		if e.typ == tar.TypeLink {
			links = append(links, e)
		}
	}
	slices.SortFunc(links, func(a, b *bufEntry) int { return comparePaths(a.path, b.path) })
	return links
}

// followLink returns the last kept entry of the hard link e's chain and,
// when the chain leaves prefix, the path it leaves to.
func (s *subtree) followLink(e *bufEntry) (*bufEntry, string, error) {
	for range maxLinkChain {
		t, ok := s.kept[e.linkname]
		if !ok {
			return e, e.linkname, nil
		}
		if t.typ != tar.TypeLink {
			return t, "", nil
		}
		e = t
	}
	return nil, "", fmt.Errorf("hard link %q in the image: more than %d hard links in a chain", e.path, maxLinkChain)
}

// readOutsideTargets reads from img the entries outside prefix that the
// chains of links lead to, by path; a path the image does not hold maps to
// nil. It reads the image only when some chain leaves prefix.
func (s *subtree) readOutsideTargets(ctx context.Context, img v1.Image, links []*bufEntry) (map[string]*bufEntry, error) {
	outside := map[string]*bufEntry{}
	for _, e := range links {
		_, out, err := s.followLink(e)
		if err != nil {
			return nil, err
		}
		if out != "" {
			outside[out] = nil
		}
	}
	if len(outside) == 0 {
		return outside, nil
	}
	err := extract(ctx, img, func(p string, hdr *tar.Header, r io.Reader) error {
		if _, ok := outside[p]; !ok {
			return nil
		}
		e, err := bufferEntry(p, hdr, r)
		if err != nil {
			return err
		}
		outside[p] = e
		return nil
	})
	if err != nil {
		return nil, err
	}
	return outside, nil
}

// linkTargets returns the entry each of links ends at: a kept entry, or
// one of outside (see readOutsideTargets), which must exist and not be a
// hard link itself.
func (s *subtree) linkTargets(links []*bufEntry, outside map[string]*bufEntry) ([]*bufEntry, error) {
	final := make([]*bufEntry, len(links))
	for i, e := range links {
		last, out, err := s.followLink(e)
		if err != nil {
			return nil, err
		}
		target := last
		if out != "" {
			target = outside[out]
			switch {
			case target == nil:
				return nil, fmt.Errorf("hard link %q in the image points to %q, which the image does not hold", last.path, out)
			case target.typ == tar.TypeLink:
				return nil, fmt.Errorf("hard link %q in the image points to %q outside %q, itself a hard link: not supported", last.path, out, s.prefix)
			}
		}
		final[i] = target
	}
	return final, nil
}

// rewriteLinks makes links[i] a link to final[i] when that target is kept
// and written before it, and a copy of final[i] otherwise.
func (s *subtree) rewriteLinks(links, final []*bufEntry) {
	for i, e := range links {
		target := final[i]
		if out := s.kept[target.path]; out == target && comparePaths(target.path, e.path) < 0 {
			e.linkname = target.path // kept and written before the link
			continue
		}
		*e = bufEntry{
			path:     e.path,
			typ:      target.typ,
			mode:     target.mode,
			uid:      target.uid,
			gid:      target.gid,
			linkname: target.linkname,
			devmajor: target.devmajor,
			devminor: target.devminor,
			data:     target.data,
		}
	}
}

// withParents returns the kept entries and every missing parent directory,
// in write order.
func (s *subtree) withParents() ([]*bufEntry, error) {
	all := make([]*bufEntry, 0, len(s.kept))
	added := map[string]bool{}
	for _, e := range s.kept {
		all = append(all, e)
	}
	for _, e := range s.kept {
		for p := path.Dir(e.path); p != "/"; p = path.Dir(p) {
			if parent, ok := s.kept[p]; ok {
				if parent.typ != tar.TypeDir {
					return nil, fmt.Errorf("image entry %q lies under %q, which is not a directory", e.path, p)
				}
				continue
			}
			if added[p] {
				continue
			}
			added[p] = true
			if a, ok := s.ancestors[p]; ok {
				all = append(all, a)
				continue
			}
			all = append(all, &bufEntry{path: p, typ: tar.TypeDir, mode: 0o755})
		}
	}
	slices.SortFunc(all, func(a, b *bufEntry) int { return comparePaths(a.path, b.path) })
	return all, nil
}
