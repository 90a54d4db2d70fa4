package benchfix

import (
	"context"
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/brefimg/brefimg/internal/fixtures"
)

// ShellPrefix is the repository prefix under which [SeedShell] puts the
// benchmark's images for the Dockerfiles that RUN commands: pulled through
// `--mirror HOST/shell`, "bref/php-80-fpm:1" is the base with a shell.
const ShellPrefix = "shell"

// WithShell returns the benchmark image img with a shell: for [BaseRef],
// [fixtures.WithShell] (a static busybox at /bin/busybox, /bin/sh and its
// applets linked to it: the real Bref base is Amazon Linux, which has
// one), so that a RUN step can execute in it; the extension images are
// FROM scratch and only ever copied from, so they come back unchanged.
// It needs the host's busybox-static.
func WithShell(ref string, img v1.Image) (v1.Image, error) {
	if ref != BaseRef {
		return img, nil
	}
	out, err := fixtures.WithShell(img)
	if err != nil {
		return nil, fmt.Errorf("%s with a shell: %w", ref, err)
	}
	return out, nil
}

// SeedShell reads every benchmark image [Seed] pushed to host and pushes
// it again under host/prefix/ (e.g. "127.0.0.1:5000/shell/bref/php-80-fpm:1"),
// the base with a shell ([WithShell]): the images of the Dockerfiles that
// RUN commands, next to the unchanged ones the other builds measure. The
// extension images are the same manifests (their blobs are mounted or
// found, not sent again). It returns the digest of each image pushed, by
// its [Refs] name. opts are passed to remote.Image and remote.Write after
// remote.WithContext(ctx).
func SeedShell(ctx context.Context, host, prefix string, opts ...remote.Option) (map[string]string, error) {
	prefix = strings.Trim(prefix, "/")
	if prefix == "" {
		return nil, fmt.Errorf("seeding the images with a shell: empty prefix (the plain images would be overwritten)")
	}
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	digests := map[string]string{}
	for _, ref := range Refs {
		src, err := name.ParseReference(host + "/" + ref)
		if err != nil {
			return nil, fmt.Errorf("reading %q: %w", ref, err)
		}
		img, err := remote.Image(src, opts...)
		if err != nil {
			return nil, fmt.Errorf("reading %s (seed the registry first): %w", src, err)
		}
		if img, err = WithShell(ref, img); err != nil {
			return nil, err
		}
		dst, err := name.ParseReference(host + "/" + prefix + "/" + ref)
		if err != nil {
			return nil, fmt.Errorf("pushing %q: %w", ref, err)
		}
		if err := remote.Write(dst, img, opts...); err != nil {
			return nil, fmt.Errorf("pushing %s: %w", dst, err)
		}
		d, err := img.Digest()
		if err != nil {
			return nil, fmt.Errorf("pushing %s: %w", dst, err)
		}
		digests[ref] = d.String()
	}
	return digests, nil
}
