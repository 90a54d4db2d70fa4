package faultproxy

import (
	"bytes"
	"encoding/json"
	"fmt"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Mangled is an image's manifest and config, to be edited into an image no
// well-behaved tool writes and stored as it is, as a hostile or broken
// registry would serve it.
type Mangled struct {
	// Manifest is stored as it is: Push fixes nothing up.
	Manifest *v1.Manifest
	// Config is the config blob Push stores.
	Config []byte
}

// Mangle returns a copy of img's manifest and config to edit.
func Mangle(img v1.Image) (*Mangled, error) {
	m, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	cfg, err := img.RawConfigFile()
	if err != nil {
		return nil, err
	}
	return &Mangled{Manifest: m.DeepCopy(), Config: append([]byte(nil), cfg...)}, nil
}

// EditConfig decodes the config, lets edit change it, and stores it again
// with SetConfig.
func (m *Mangled) EditConfig(edit func(*v1.ConfigFile)) error {
	var cf v1.ConfigFile
	if err := json.Unmarshal(m.Config, &cf); err != nil {
		return err
	}
	edit(&cf)
	b, err := json.Marshal(&cf)
	if err != nil {
		return err
	}
	m.SetConfig(b)
	return nil
}

// SetConfig replaces the config blob and points the manifest's config
// descriptor (digest and size) at it.
func (m *Mangled) SetConfig(b []byte) {
	m.Config = b
	h, size, _ := v1.SHA256(bytes.NewReader(b)) // hashing bytes in memory cannot fail
	m.Manifest.Config.Digest, m.Manifest.Config.Size = h, size
}

// Push stores the config blob, then the manifest exactly as it is, under
// ref (host/repository:tag). The layers it names must already be in that
// repository (push the image it came from there first).
func (m *Mangled) Push(ref string, opts ...remote.Option) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return err
	}
	if err := remote.WriteLayer(r.Context(), static.NewLayer(m.Config, types.OCILayer), opts...); err != nil {
		return fmt.Errorf("storing the config of %s: %w", ref, err)
	}
	raw, err := json.Marshal(m.Manifest)
	if err != nil {
		return err
	}
	mt := m.Manifest.MediaType
	if mt == "" {
		mt = types.OCIManifestSchema1
	}
	if err := remote.Put(r, rawManifest{raw: raw, mediaType: mt}, opts...); err != nil {
		return fmt.Errorf("storing the manifest of %s: %w", ref, err)
	}
	return nil
}

// rawManifest is a manifest stored byte for byte.
type rawManifest struct {
	raw       []byte
	mediaType types.MediaType
}

func (r rawManifest) RawManifest() ([]byte, error)        { return r.raw, nil }
func (r rawManifest) MediaType() (types.MediaType, error) { return r.mediaType, nil }
