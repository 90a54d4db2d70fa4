package registry

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// validate refuses an image whose manifest and config are broken or
// disagree, as an input error naming s and what is wrong. It reads the
// manifest and the config only, never a layer (go-containerregistry's
// validate.Image reads every layer; its Fast mode checks none of this):
//
//   - the manifest is an image manifest (OCI or Docker schema 2);
//   - the config descriptor has a config media type and a sane size, and
//     the config blob matches its digest and size (go-containerregistry
//     checks both as it reads the blob) and is an image config (JSON) of a
//     layered root file system;
//   - every layer descriptor has a layer media type, is distributable (a
//     foreign layer is served by no registry, and Lambda cannot pull it) and
//     has a positive size;
//   - the config lists one diff_id per layer of the manifest.
func (c *Client) validate(ctx context.Context, img v1.Image, s string, ref name.Reference) error {
	m, err := img.Manifest()
	if err != nil {
		return c.readFailure(ctx, "manifest", s, ref, err)
	}
	mt := m.MediaType
	if mt == "" {
		if mt, err = img.MediaType(); err != nil {
			return c.readFailure(ctx, "manifest", s, ref, err)
		}
	}
	if problem := manifestProblem(m, mt); problem != "" {
		return brokenImage(s, ref, problem)
	}
	raw, err := img.RawConfigFile()
	if err != nil {
		return c.readFailure(ctx, "config", s, ref, err)
	}
	if problem := configProblem(m, raw); problem != "" {
		return brokenImage(s, ref, problem)
	}
	return nil
}

// ErrBrokenImage matches (errors.Is) the error for an image whose manifest
// and config are broken or disagree: unlike an unreachable registry, no
// retry or offline mode helps.
var ErrBrokenImage = errors.New("broken image")

// brokenError marks an error as ErrBrokenImage.
type brokenError struct{ error }

func (brokenError) Is(target error) bool { return target == ErrBrokenImage }

// brokenImage is the input error for an image validate refuses.
func brokenImage(s string, ref name.Reference, problem string) error {
	e := inputErrorf("reading", s, ref.Context().RegistryStr(), "the image is broken: %s; brefimg cannot build on it: use another image, or rebuild and push this one", problem)
	e.Err = brokenError{e.Err}
	return e
}

// readFailure explains a failure to read part of image s: the network's or
// the registry's (explained as any other), or the image's own (a blob that
// does not match its descriptor, a document that does not parse), which the
// user must fix.
func (c *Client) readFailure(ctx context.Context, what, s string, ref name.Reference, err error) error {
	if transportFailure(err) {
		return c.explain(ctx, "reading "+what+" of", s, ref, err)
	}
	return brokenImage(s, ref, fmt.Sprintf("its %s cannot be read: %v", what, err))
}

// transportFailure reports whether err came from the registry or the network
// rather than from the bytes the registry sent.
func transportFailure(err error) bool {
	var terr *transport.Error
	var nerr net.Error
	return errors.As(err, &terr) || errors.As(err, &nerr) || ConnectionLost(err) ||
		errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded)
}

// manifestProblem says what is wrong with an image manifest of media type
// mt, or "".
func manifestProblem(m *v1.Manifest, mt types.MediaType) string {
	switch {
	case !mt.IsImage():
		return fmt.Sprintf("its manifest has media type %q, not an image manifest (%s or %s)", mt, types.OCIManifestSchema1, types.DockerManifestSchema2)
	case m.SchemaVersion != 2:
		return fmt.Sprintf("its manifest has schemaVersion %d, not 2", m.SchemaVersion)
	case !m.Config.MediaType.IsConfig():
		return fmt.Sprintf("its config has media type %q, not an image config (%s or %s)", m.Config.MediaType, types.OCIConfigJSON, types.DockerConfigJSON)
	case m.Config.Size > MaxConfigSize:
		return fmt.Sprintf("its config is %d bytes, more than any image needs (%d at most)", m.Config.Size, MaxConfigSize)
	case m.Config.Size <= 0:
		return fmt.Sprintf("its manifest gives its config a size of %d bytes", m.Config.Size)
	}
	for i, l := range m.Layers {
		if problem := layerProblem(l); problem != "" {
			return fmt.Sprintf("layer %d of %d (%s) %s", i+1, len(m.Layers), l.Digest, problem)
		}
	}
	return ""
}

// layerProblem says what is wrong with a layer descriptor, or "".
func layerProblem(l v1.Descriptor) string {
	switch {
	case !l.MediaType.IsLayer():
		return fmt.Sprintf("has media type %q, which is not a layer", l.MediaType)
	case !l.MediaType.IsDistributable():
		return fmt.Sprintf("is a non-distributable (foreign) layer, %s: registries do not serve it, and Lambda cannot pull it", l.MediaType)
	case l.Size <= 0:
		return fmt.Sprintf("has a size of %d bytes", l.Size)
	}
	return ""
}

// configProblem says what is wrong with the config raw of manifest m, or "".
func configProblem(m *v1.Manifest, raw []byte) string {
	h, size, err := v1.SHA256(bytes.NewReader(raw))
	if err != nil {
		return fmt.Sprintf("its config cannot be digested: %v", err)
	}
	if h != m.Config.Digest || size != m.Config.Size {
		return fmt.Sprintf("its config is %s (%d bytes), not the %s (%d bytes) its manifest names", h, size, m.Config.Digest, m.Config.Size)
	}
	cf, err := v1.ParseConfigFile(bytes.NewReader(raw))
	if err != nil {
		return fmt.Sprintf("its config is not an image config (JSON): %v", err)
	}
	if cf.RootFS.Type != "layers" {
		return fmt.Sprintf("its config has rootfs.type %q, not \"layers\"", cf.RootFS.Type)
	}
	if len(cf.RootFS.DiffIDs) != len(m.Layers) {
		return fmt.Sprintf("its config lists %d layers (rootfs.diff_ids) and its manifest %d: they must be the same layers", len(cf.RootFS.DiffIDs), len(m.Layers))
	}
	return ""
}
