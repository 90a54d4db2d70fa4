package registry

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/partial"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// OutputKind says what an [Output] writes.
type OutputKind string

// The kinds of output.
const (
	// OutputOCI is an OCI image layout directory.
	OutputOCI OutputKind = "oci"
	// OutputTar is a `docker load` tarball.
	OutputTar OutputKind = "tar"
)

// Output is a local destination given with -o.
type Output struct {
	// Kind is what the output writes.
	Kind OutputKind
	// Path is the directory or file.
	Path string
}

// ParseOutput parses "oci:DIR" or "tar:FILE".
func ParseOutput(s string) (Output, error) {
	kind, p, ok := strings.Cut(s, ":")
	k := OutputKind(kind)
	if !ok || p == "" || (k != OutputOCI && k != OutputTar) {
		return Output{}, fmt.Errorf("-o %q: unknown output, use oci:DIR (an OCI image layout) or tar:FILE (a docker load tarball)", s)
	}
	return Output{Kind: k, Path: p}, nil
}

// String returns the output as it is written on the command line.
func (o Output) String() string { return string(o.Kind) + ":" + o.Path }

// Write writes img to the output. tags name the image in it (one OCI
// layout index entry per tag, with the ref.name annotation; the tarball's
// repositories for docker load). Nothing is left half-written on failure:
// a tarball, or a layout directory that does not exist yet, is written
// under a temporary name next to its final place and renamed into place
// when complete; an existing directory (an OCI layout, or an empty
// directory such as a mount point) is written into file by file, each
// file renamed into place, index.json last, and the image is added to the
// layout's index beside the images already there.
func (o Output) Write(img v1.Image, tags []string) error {
	var err error
	switch o.Kind {
	case OutputOCI:
		err = writeOCI(o.Path, img, tags)
	case OutputTar:
		err = writeTar(o.Path, img, tags)
	default:
		return fmt.Errorf("unknown output kind %q", o.Kind)
	}
	if err != nil {
		return fmt.Errorf("-o %s: %w", o, err)
	}
	return nil
}

// Check checks, before anything is built, that the output can be written:
// a tarball's directory exists and is writable and the tarball is not a
// directory; a layout's directory is new in a writable directory, or is an
// empty directory or an OCI layout, writable.
func (o Output) Check() error {
	var err error
	switch o.Kind {
	case OutputOCI:
		err = checkOCI(o.Path)
	case OutputTar:
		err = checkTar(o.Path)
	default:
		return fmt.Errorf("unknown output kind %q", o.Kind)
	}
	if err != nil {
		return fmt.Errorf("-o %s: %w", o, err)
	}
	return nil
}

// checkTar checks that a tarball can be written at path.
func checkTar(path string) error {
	if fi, err := os.Stat(path); err == nil && fi.IsDir() {
		return fmt.Errorf("%s is a directory: name a file to write the tarball to, e.g. tar:%s", path, filepath.Join(path, "image.tar"))
	}
	return CheckFile(path)
}

// checkOCI checks that an OCI layout can be written at dir.
func checkOCI(dir string) error {
	dir = filepath.Clean(dir)
	dest, err := readOCIDest(dir)
	if err != nil {
		return err
	}
	if dest.exists {
		return checkWritableDir(dir)
	}
	return checkWritableDir(filepath.Dir(dir))
}

// CheckFile checks, before anything is built, that a file can be written
// at path (--digest-file, --metadata-file): path is a regular file or
// nothing, in a directory that exists and is writable.
func CheckFile(path string) error {
	fi, err := os.Stat(path)
	switch {
	case err == nil && fi.IsDir():
		return fmt.Errorf("%s is a directory: name a file", path)
	case err == nil && !fi.Mode().IsRegular():
		return fmt.Errorf("%s is not a regular file: name a file", path)
	}
	return checkWritableDir(filepath.Dir(path))
}

// checkWritableDir checks that dir is a directory this process can create
// files in, by creating one and removing it: only that tells a read-only
// file system, or a directory of another user, apart from a writable one.
func checkWritableDir(dir string) error {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("directory %s does not exist: create it first, or choose another path", dir)
	case err != nil:
		return fmt.Errorf("checking directory %s: %w", dir, err)
	case !fi.IsDir():
		return fmt.Errorf("%s is not a directory", dir)
	}
	f, err := os.CreateTemp(dir, ".brefimg-probe-*")
	if err != nil {
		return fmt.Errorf("directory %s cannot be written: %w", dir, err)
	}
	f.Close()
	if err := os.Remove(f.Name()); err != nil {
		return fmt.Errorf("directory %s: removing the file that checked it can be written: %w", dir, err)
	}
	return nil
}

// DefaultLoadTag names an image in a tarball written without any -t.
const DefaultLoadTag = "brefimg/app:latest"

func writeTar(path string, img v1.Image, tags []string) error {
	refs := map[name.Reference]v1.Image{}
	if len(tags) == 0 {
		tags = []string{DefaultLoadTag}
	}
	for _, t := range tags {
		ref, err := name.NewTag(t)
		if err != nil {
			return fmt.Errorf("naming the image in %s: %q is not a tag: %v", path, t, err)
		}
		refs[ref] = img
	}
	return atomicFile(path, func(f *os.File) error {
		return tarball.MultiRefWrite(refs, f)
	})
}

// staleTempAge is how old a temporary file of an output must be before a
// later write of the same output removes it: one a killed brefimg left.
const staleTempAge = time.Hour

// removeStaleTemps removes what killed runs left next to path: the
// temporary files and directories ".NAME.tmp-*" older than staleTempAge.
func removeStaleTemps(path string) {
	old, _ := filepath.Glob(filepath.Join(filepath.Dir(path), "."+filepath.Base(path)+".tmp-*"))
	for _, p := range old {
		if info, err := os.Lstat(p); err == nil && time.Since(info.ModTime()) > staleTempAge {
			os.RemoveAll(p)
		}
	}
}

// atomicFile writes path through a temporary file in the same directory.
func atomicFile(path string, write func(*os.File) error) (err error) {
	dir := filepath.Dir(path)
	removeStaleTemps(path)
	tmp, err := os.CreateTemp(dir, "."+filepath.Base(path)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	if err = write(tmp); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = tmp.Close(); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	if err = os.Rename(tmp.Name(), path); err != nil {
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}

// WriteFile writes data to path atomically (used for --digest-file and --metadata-file).
func WriteFile(path string, data []byte) error {
	return atomicFile(path, func(f *os.File) error {
		_, err := f.Write(data)
		return err
	})
}

// refNameAnnotation names an image in an OCI layout's index.
const refNameAnnotation = "org.opencontainers.image.ref.name"

// ociLayoutFile is the content of an OCI layout's oci-layout file.
const ociLayoutFile = `{"imageLayoutVersion": "1.0.0"}` + "\n"

// layoutJobs is how many layers are written to a layout in parallel.
const layoutJobs = 8

// ociDest is what an OCI layout destination holds before a write.
type ociDest struct {
	// exists says the directory exists: it is written into, never renamed
	// (it may be a mount point).
	exists bool
	// index is the layout's index.json, field by field (nil for none), so
	// that fields brefimg does not know are kept.
	index map[string]json.RawMessage
	// manifests are the index's entries, as they are, and parsed.
	manifests []json.RawMessage
	descs     []v1.Descriptor
}

// readOCIDest reads what dir holds: nothing, an empty directory, or an OCI
// layout; anything else is refused, so that nothing is lost.
func readOCIDest(dir string) (*ociDest, error) {
	fi, err := os.Stat(dir)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return &ociDest{}, nil
	case err != nil:
		return nil, fmt.Errorf("checking %s: %w", dir, err)
	case !fi.IsDir():
		return nil, fmt.Errorf("%s exists and is not a directory: remove it or choose another path", dir)
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", dir, err)
	}
	dest := &ociDest{exists: true}
	if len(entries) == 0 {
		return dest, nil
	}
	if _, err := os.Stat(filepath.Join(dir, "oci-layout")); err != nil {
		return nil, fmt.Errorf("%s is a non-empty directory that is not an OCI layout: remove it or choose another path", dir)
	}
	if err := dest.readIndex(filepath.Join(dir, "index.json")); err != nil {
		return nil, fmt.Errorf("%s is an OCI layout brefimg cannot add to: %w: repair it, remove it or choose another path", dir, err)
	}
	return dest, nil
}

// readIndex reads an OCI layout's index.json.
func (d *ociDest) readIndex(path string) error {
	b, err := os.ReadFile(path)
	if err != nil {
		return err
	}
	if err := json.Unmarshal(b, &d.index); err != nil || d.index == nil {
		return fmt.Errorf("%s is not a JSON object: %v", path, err)
	}
	if raw, ok := d.index["manifests"]; ok {
		if err := json.Unmarshal(raw, &d.manifests); err != nil {
			return fmt.Errorf("%s: manifests is not a list: %v", path, err)
		}
	}
	d.descs = make([]v1.Descriptor, len(d.manifests))
	for i, m := range d.manifests {
		if err := json.Unmarshal(m, &d.descs[i]); err != nil {
			return fmt.Errorf("%s: entry %d is not a descriptor: %v", path, i+1, err)
		}
	}
	return nil
}

// merged returns the index.json that adds entries to d's: an existing
// entry is replaced only by an entry of the same ref name (an unnamed one
// only by the same image unnamed); every other is kept as it is.
func (d *ociDest) merged(entries []v1.Descriptor) ([]byte, error) {
	index := map[string]json.RawMessage{}
	for k, v := range d.index {
		index[k] = v
	}
	if d.index == nil {
		index["schemaVersion"] = json.RawMessage("2")
		index["mediaType"] = json.RawMessage(`"` + types.OCIImageIndex + `"`)
	}
	manifests := []json.RawMessage{}
	for i, m := range d.manifests {
		if !slices.ContainsFunc(entries, func(e v1.Descriptor) bool { return replaces(e, d.descs[i]) }) {
			manifests = append(manifests, m)
		}
	}
	for _, e := range entries {
		b, err := json.Marshal(e)
		if err != nil {
			return nil, err
		}
		manifests = append(manifests, b)
	}
	b, err := json.Marshal(manifests)
	if err != nil {
		return nil, err
	}
	index["manifests"] = b
	return json.Marshal(index)
}

// replaces reports whether the new index entry e takes the place of old.
func replaces(e, old v1.Descriptor) bool {
	name := e.Annotations[refNameAnnotation]
	if name == "" {
		return old.Annotations[refNameAnnotation] == "" && old.Digest == e.Digest
	}
	return old.Annotations[refNameAnnotation] == name
}

// indexEntries are the index entries naming img: one per tag, or one
// without a name when there is no tag.
func indexEntries(img v1.Image, tags []string) ([]v1.Descriptor, error) {
	desc, err := partial.Descriptor(img)
	if err != nil {
		return nil, fmt.Errorf("describing the image: %w", err)
	}
	base := v1.Descriptor{MediaType: desc.MediaType, Size: desc.Size, Digest: desc.Digest, Platform: desc.Platform}
	if len(tags) == 0 {
		return []v1.Descriptor{base}, nil
	}
	var out []v1.Descriptor
	for _, t := range tags {
		if slices.ContainsFunc(out, func(d v1.Descriptor) bool { return d.Annotations[refNameAnnotation] == t }) {
			continue
		}
		e := base
		e.Annotations = map[string]string{refNameAnnotation: t}
		out = append(out, e)
	}
	return out, nil
}

// writeOCI writes img into the OCI layout at path, beside the images it
// already holds.
func writeOCI(path string, img v1.Image, tags []string) error {
	dir := filepath.Clean(path)
	dest, err := readOCIDest(dir)
	if err != nil {
		return err
	}
	if dest.exists {
		return writeLayout(dir, dest, img, tags)
	}
	return writeNewLayout(dir, img, tags)
}

// writeNewLayout writes a layout into a temporary directory next to dir,
// and renames it to dir once complete.
func writeNewLayout(dir string, img v1.Image, tags []string) (err error) {
	removeStaleTemps(dir)
	tmp, err := os.MkdirTemp(filepath.Dir(dir), "."+filepath.Base(dir)+".tmp-*")
	if err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(tmp)
		}
	}()
	if err = os.Chmod(tmp, 0o755); err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	if err = writeLayout(tmp, &ociDest{exists: true}, img, tags); err != nil {
		return err
	}
	if err = os.Rename(tmp, dir); err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	return nil
}

// writeLayout writes img into the existing directory dir, which holds
// dest: the blobs it lacks, the oci-layout file if missing, then index.json
// with the image added, each through a temporary file renamed into place.
// On failure, every file and directory it made is removed, and dir is as
// it was.
func writeLayout(dir string, dest *ociDest, img v1.Image, tags []string) (err error) {
	entries, err := indexEntries(img, tags)
	if err != nil {
		return err
	}
	index, err := dest.merged(entries)
	if err != nil {
		return fmt.Errorf("writing %s/index.json: %w", dir, err)
	}
	w := &layoutWriter{dir: dir}
	defer func() {
		if err != nil {
			w.rollback()
		}
	}()
	if err = w.image(img); err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	if dest.index == nil {
		if err = w.file("oci-layout", []byte(ociLayoutFile)); err != nil {
			return err
		}
	}
	// The commit: once index.json is renamed into place, the layout holds
	// the image; nothing can fail after it.
	return w.file("index.json", index)
}

// layoutWriter writes files into an OCI layout directory, remembering
// what it made so that a failed write can be undone.
type layoutWriter struct {
	dir string

	mu      sync.Mutex
	created []string // files and directories made, in order
}

// made records a file or directory written that was not there before.
func (w *layoutWriter) made(p string) {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.created = append(w.created, p)
}

// rollback removes what the writer made, newest first.
func (w *layoutWriter) rollback() {
	for i := len(w.created) - 1; i >= 0; i-- {
		os.Remove(w.created[i])
	}
}

// mkdir makes the directory rel of the layout, if missing.
func (w *layoutWriter) mkdir(rel string) error {
	p := filepath.Join(w.dir, rel)
	if err := os.Mkdir(p, 0o755); err != nil {
		if fi, serr := os.Stat(p); serr == nil && fi.IsDir() {
			return nil
		}
		return err
	}
	w.made(p)
	return nil
}

// file writes the small file rel of the layout.
func (w *layoutWriter) file(rel string, data []byte) error {
	p := filepath.Join(w.dir, rel)
	_, err := os.Lstat(p)
	existed := err == nil
	if err := WriteFile(p, data); err != nil {
		return err
	}
	if !existed {
		w.made(p)
	}
	return nil
}

// image writes img's blobs: its layers (in parallel), its config and its
// manifest.
func (w *layoutWriter) image(img v1.Image) error {
	ls, err := img.Layers()
	if err != nil {
		return fmt.Errorf("reading the layers: %w", err)
	}
	cfgName, err := img.ConfigName()
	if err != nil {
		return fmt.Errorf("reading the config: %w", err)
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return fmt.Errorf("reading the config: %w", err)
	}
	d, err := img.Digest()
	if err != nil {
		return fmt.Errorf("computing the image digest: %w", err)
	}
	manifest, err := img.RawManifest()
	if err != nil {
		return fmt.Errorf("reading the manifest: %w", err)
	}
	if err := w.mkdirs(ls, cfgName, d); err != nil {
		return err
	}
	if err := w.layers(ls); err != nil {
		return err
	}
	if err := w.blob(cfgName, int64(len(cfg)), bytesOpener(cfg)); err != nil {
		return fmt.Errorf("writing the config: %w", err)
	}
	if err := w.blob(d, int64(len(manifest)), bytesOpener(manifest)); err != nil {
		return fmt.Errorf("writing the manifest: %w", err)
	}
	return nil
}

// bytesOpener opens b as a blob.
func bytesOpener(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// mkdirs makes blobs/ and a directory per digest algorithm the image uses.
func (w *layoutWriter) mkdirs(ls []v1.Layer, config, manifest v1.Hash) error {
	algs := []string{config.Algorithm, manifest.Algorithm}
	for _, l := range ls {
		d, err := l.Digest()
		if err != nil {
			return fmt.Errorf("reading a layer digest: %w", err)
		}
		algs = append(algs, d.Algorithm)
	}
	if err := w.mkdir("blobs"); err != nil {
		return err
	}
	slices.Sort(algs)
	for _, a := range slices.Compact(algs) {
		if err := w.mkdir(filepath.Join("blobs", a)); err != nil {
			return err
		}
	}
	return nil
}

// layers writes the layers' blobs, layoutJobs at a time; the first error
// is returned once every write has stopped.
func (w *layoutWriter) layers(ls []v1.Layer) error {
	type job struct {
		n    int
		d    v1.Hash
		size int64
		l    v1.Layer
	}
	var jobs []job
	for i, l := range ls {
		d, err := l.Digest()
		if err != nil {
			return fmt.Errorf("reading the digest of layer %d: %w", i+1, err)
		}
		size, err := l.Size()
		if err != nil {
			return fmt.Errorf("reading the size of layer %d: %w", i+1, err)
		}
		if !slices.ContainsFunc(jobs, func(j job) bool { return j.d == d }) {
			jobs = append(jobs, job{i + 1, d, size, l})
		}
	}
	var (
		wg    sync.WaitGroup
		mu    sync.Mutex
		first error
		slots = make(chan struct{}, layoutJobs)
	)
	for _, j := range jobs {
		wg.Add(1)
		slots <- struct{}{}
		go func() {
			defer func() { <-slots; wg.Done() }()
			if err := w.blob(j.d, j.size, j.l.Compressed); err != nil {
				mu.Lock()
				if first == nil {
					first = fmt.Errorf("writing layer %d (%s): %w", j.n, j.d, err)
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	return first
}

// blob writes the blob h of size bytes, unless the layout has it: through
// a temporary file, checked against h and size, renamed into place. A
// blob that would not match its digest is never written.
func (w *layoutWriter) blob(h v1.Hash, size int64, open func() (io.ReadCloser, error)) (err error) {
	p := filepath.Join(w.dir, "blobs", h.Algorithm, h.Hex)
	fi, serr := os.Stat(p)
	if serr == nil && fi.Mode().IsRegular() && fi.Size() == size {
		return nil
	}
	hasher, err := v1.Hasher(h.Algorithm)
	if err != nil {
		return err
	}
	rc, err := open()
	if err != nil {
		return err
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(filepath.Dir(p), "."+h.Hex+".tmp-*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	n, err := io.Copy(io.MultiWriter(tmp, hasher), rc)
	if err != nil {
		return err
	}
	if got := (v1.Hash{Algorithm: h.Algorithm, Hex: fmt.Sprintf("%x", hasher.Sum(nil))}); n != size || got != h {
		return fmt.Errorf("the blob read has digest %s and %d bytes, want %s and %d bytes", got, n, h, size)
	}
	if err = tmp.Chmod(0o644); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Rename(tmp.Name(), p); err != nil {
		return err
	}
	if serr != nil {
		w.made(p)
	}
	return nil
}

// Read reads back the image an output holds: the one image of an OCI
// layout (however many names it has there; a layout of several images is
// refused rather than one guessed), or of a tarball (the first, if it
// holds several).
func (o Output) Read() (v1.Image, error) {
	switch o.Kind {
	case OutputOCI:
		return readOCI(o.Path)
	case OutputTar:
		img, err := tarball.ImageFromPath(o.Path, nil)
		if err != nil {
			return nil, fmt.Errorf("reading tarball %s: %w", o.Path, err)
		}
		return img, nil
	}
	return nil, fmt.Errorf("unknown output kind %q", o.Kind)
}

// readOCI reads the one image of the OCI layout at dir.
func readOCI(dir string) (v1.Image, error) {
	p, err := layout.FromPath(dir)
	if err != nil {
		return nil, fmt.Errorf("reading OCI layout %s: %w", dir, err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		return nil, fmt.Errorf("reading OCI layout %s: %w", dir, err)
	}
	m, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("reading OCI layout %s: %w", dir, err)
	}
	if len(m.Manifests) == 0 {
		return nil, fmt.Errorf("OCI layout %s holds no image", dir)
	}
	var digests, names []string
	for _, d := range m.Manifests {
		if !slices.Contains(digests, d.Digest.String()) {
			digests = append(digests, d.Digest.String())
		}
		n := d.Annotations[refNameAnnotation]
		if n == "" {
			n = d.Digest.String()
		}
		if !slices.Contains(names, n) {
			names = append(names, n)
		}
	}
	if len(digests) > 1 {
		return nil, fmt.Errorf("OCI layout %s holds %d images (%s): brefimg reads a layout of one image", dir, len(digests), strings.Join(names, ", "))
	}
	if m.Manifests[0].MediaType.IsIndex() {
		return nil, fmt.Errorf("OCI layout %s holds an index, not an image: Lambda needs a single-platform image", dir)
	}
	return idx.Image(m.Manifests[0].Digest)
}
