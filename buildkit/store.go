package buildkit

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"
)

// storeJobs bounds the blobs written to the store at once.
const storeJobs = 4

// storeImage writes img's manifest, config and layers to the OCI layout
// blobs of dir, as BuildKit's session reads them. A blob already there
// with its size is not read again (a warm build fetches nothing); a new
// one is written to a temporary file, checked against its digest and
// renamed into place, so that a killed build or a concurrent one never
// leaves a partial blob under its digest.
func storeImage(dir string, img v1.Image) error {
	blobs := filepath.Join(dir, "blobs", "sha256")
	if err := os.MkdirAll(blobs, 0o755); err != nil {
		return err
	}
	raw, err := img.RawManifest()
	if err != nil {
		return err
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return err
	}
	m, err := img.Manifest()
	if err != nil {
		return err
	}
	put := func(d v1.Hash, size int64, open func() (io.ReadCloser, error)) error {
		return putBlob(blobs, d, size, open)
	}
	mh, err := img.Digest()
	if err != nil {
		return err
	}
	if err := put(mh, int64(len(raw)), bytesOpener(raw)); err != nil {
		return err
	}
	if err := put(m.Config.Digest, m.Config.Size, bytesOpener(cfg)); err != nil {
		return err
	}
	var g errgroup.Group
	g.SetLimit(storeJobs)
	for _, desc := range m.Layers {
		g.Go(func() error {
			return put(desc.Digest, desc.Size, func() (io.ReadCloser, error) {
				l, err := img.LayerByDigest(desc.Digest)
				if err != nil {
					return nil, err
				}
				return l.Compressed()
			})
		})
	}
	return g.Wait()
}

func bytesOpener(b []byte) func() (io.ReadCloser, error) {
	return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
}

// putBlob writes the blob d of size from open to dir, unless it is there.
func putBlob(dir string, d v1.Hash, size int64, open func() (io.ReadCloser, error)) error {
	if d.Algorithm != "sha256" {
		return fmt.Errorf("blob %s: only sha256 digests are stored", d)
	}
	final := filepath.Join(dir, d.Hex)
	if fi, err := os.Stat(final); err == nil && fi.Mode().IsRegular() && fi.Size() == size {
		now := time.Now()
		os.Chtimes(final, now, now) // used: pruneStore keeps it
		return nil
	}
	rc, err := open()
	if err != nil {
		return fmt.Errorf("reading blob %s: %w", d, err)
	}
	defer rc.Close()
	tmp, err := os.CreateTemp(dir, ".tmp-"+d.Hex[:12]+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), rc)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return fmt.Errorf("writing blob %s: %w", d, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); got != d.Hex || n != size {
		return fmt.Errorf("blob %s: read %d bytes with digest sha256:%s, want %d bytes", d, n, got, size)
	}
	return os.Rename(tmp.Name(), final)
}

// storeMaxAge is how long a blob of the store is kept unused.
const storeMaxAge = 14 * 24 * time.Hour

// pruneStore removes the blobs of the store dir that no build used for
// maxAge (storeImage marks those it uses; BuildKit writes the images it
// exports fresh), and the temporary files of killed builds.
func pruneStore(dir string, maxAge time.Duration, now time.Time) error {
	blobs := filepath.Join(dir, "blobs", "sha256")
	entries, err := os.ReadDir(blobs)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return err
	}
	var errs []error
	for _, e := range entries {
		info, err := e.Info()
		if err != nil || !info.Mode().IsRegular() || now.Sub(info.ModTime()) < maxAge {
			continue
		}
		if err := os.Remove(filepath.Join(blobs, e.Name())); err != nil && !errors.Is(err, fs.ErrNotExist) {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}
