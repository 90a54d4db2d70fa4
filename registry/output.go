package registry

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
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

// Write writes img to the output. tags name the image in it (the OCI layout's
// ref.name annotation; the tarball's repositories for docker load). Nothing
// is left behind on failure: the output is written under a temporary name
// next to its final place and renamed into place only when complete.
func (o Output) Write(img v1.Image, tags []string) error {
	switch o.Kind {
	case OutputOCI:
		return writeOCI(o.Path, img, tags)
	case OutputTar:
		return writeTar(o.Path, img, tags)
	}
	return fmt.Errorf("unknown output kind %q", o.Kind)
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

// atomicFile writes path through a temporary file in the same directory.
func atomicFile(path string, write func(*os.File) error) (err error) {
	dir := filepath.Dir(path)
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

func writeOCI(dir string, img v1.Image, tags []string) (err error) {
	if fi, err := os.Stat(dir); err == nil {
		if !fi.IsDir() {
			return fmt.Errorf("-o oci:%s: %s exists and is not a directory: remove it or choose another path", dir, dir)
		}
		entries, _ := os.ReadDir(dir)
		if _, lerr := os.Stat(filepath.Join(dir, "oci-layout")); len(entries) > 0 && lerr != nil {
			return fmt.Errorf("-o oci:%s: %s is a non-empty directory that is not an OCI layout: remove it or choose another path", dir, dir)
		}
	}
	parent := filepath.Dir(filepath.Clean(dir))
	tmp, err := os.MkdirTemp(parent, "."+filepath.Base(dir)+".tmp-*")
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
	p, err := layout.Write(tmp, empty.Index)
	if err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	var opts []layout.Option
	if len(tags) > 0 {
		opts = append(opts, layout.WithAnnotations(map[string]string{"org.opencontainers.image.ref.name": tags[0]}))
	}
	if err = p.AppendImage(img, opts...); err != nil {
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	// Swap the complete layout into place; an earlier layout there is replaced.
	old := ""
	if _, serr := os.Stat(dir); serr == nil {
		old = tmp + ".old"
		if err = os.Rename(dir, old); err != nil {
			return fmt.Errorf("replacing %s: %w", dir, err)
		}
	}
	if err = os.Rename(tmp, dir); err != nil {
		if old != "" {
			os.Rename(old, dir)
		}
		return fmt.Errorf("writing %s: %w", dir, err)
	}
	if old != "" {
		os.RemoveAll(old)
	}
	return nil
}

// Read reads back the image an output holds: the single image of an OCI
// layout, or of a tarball (the first, if it holds several).
func (o Output) Read() (v1.Image, error) {
	switch o.Kind {
	case OutputOCI:
		p, err := layout.FromPath(o.Path)
		if err != nil {
			return nil, fmt.Errorf("reading OCI layout %s: %w", o.Path, err)
		}
		idx, err := p.ImageIndex()
		if err != nil {
			return nil, fmt.Errorf("reading OCI layout %s: %w", o.Path, err)
		}
		m, err := idx.IndexManifest()
		if err != nil {
			return nil, fmt.Errorf("reading OCI layout %s: %w", o.Path, err)
		}
		if len(m.Manifests) == 0 {
			return nil, fmt.Errorf("OCI layout %s holds no image", o.Path)
		}
		if m.Manifests[0].MediaType.IsIndex() {
			return nil, fmt.Errorf("OCI layout %s holds an index, not an image: Lambda needs a single-platform image", o.Path)
		}
		return idx.Image(m.Manifests[0].Digest)
	case OutputTar:
		img, err := tarball.ImageFromPath(o.Path, nil)
		if err != nil {
			return nil, fmt.Errorf("reading tarball %s: %w", o.Path, err)
		}
		return img, nil
	}
	return nil, fmt.Errorf("unknown output kind %q", o.Kind)
}
