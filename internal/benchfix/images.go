package benchfix

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"path"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/brefimg/brefimg/internal/fixtures"
)

// The images of the benchmark, by their Docker Hub names.
const (
	// BaseRef is the Bref v1 FPM base for PHP 8.0: four layers, about 150 MB
	// compressed.
	BaseRef = "bref/php-80-fpm:1"
	// RedisRef is the 0.x redis extension image for PHP 8.0.
	RedisRef = "bref/extra-redis-php-80:0.10"
	// GmpRef is the 0.x gmp extension image for PHP 8.0.
	GmpRef = "bref/extra-gmp-php-80:0.10"
)

// Refs lists the benchmark's images: the base, then the extensions.
var Refs = []string{BaseRef, RedisRef, GmpRef}

// Image returns the benchmark image named ref (one of [Refs]), generated
// deterministically. The base holds its compressed layers in memory (about
// 150 MB): drop it once pushed.
func Image(ref string) (v1.Image, error) {
	switch ref {
	case BaseRef:
		return buildBase(baseLayers(1))
	case RedisRef:
		return buildExtension(extV0("redis", 1200<<10))
	case GmpRef:
		return buildExtension(extV0("gmp", 300<<10,
			fileEntry{path: "opt/bref/lib64/libgmp.so", mode: 0o755, typ: tar.TypeReg, size: 650 << 10},
			fileEntry{path: "opt/bref/lib64/libgmp.so.10", mode: 0o777, typ: tar.TypeSymlink, link: "libgmp.so"},
		))
	}
	return nil, fmt.Errorf("no benchmark image named %q (want one of %s)", ref, strings.Join(Refs, ", "))
}

// Seed generates every benchmark image and pushes it to host (e.g.
// "127.0.0.1:5000"; plain HTTP for loopback hosts) under the same repository
// path, one image at a time so that at most one is held in memory. opts are
// passed to remote.Write after remote.WithContext(ctx).
func Seed(ctx context.Context, host string, opts ...remote.Option) error {
	for _, ref := range Refs {
		img, err := Image(ref)
		if err != nil {
			return err
		}
		dst, err := name.ParseReference(host + "/" + ref)
		if err != nil {
			return fmt.Errorf("pushing %q: %w", ref, err)
		}
		if err := remote.Write(dst, img, append([]remote.Option{remote.WithContext(ctx)}, opts...)...); err != nil {
			return fmt.Errorf("pushing %q to %s: %w", ref, dst, err)
		}
	}
	return nil
}

// buildExtension assembles a 0.x extension image: FROM scratch,
// linux/amd64, Docker media types, one layer.
func buildExtension(l layerPlan) (v1.Image, error) {
	return buildImage(v1.Config{Env: slices.Clone(fixtures.ScratchEnv)}, []layerPlan{l}, nil)
}

// extV0 is the layer of a 0.x extension image: /opt/bref-extra/<name>.so
// (size bytes) and the ini that loads it, plus extra entries.
func extV0(ext string, size int, extra ...fileEntry) layerPlan {
	return layerPlan{
		createdBy: "/bin/sh -c #(nop) COPY dir:" + ext + "-php-80 in /opt ",
		files: append([]fileEntry{
			{path: "opt/bref-extra/" + ext + ".so", mode: 0o755, typ: tar.TypeReg, size: size},
			{path: "opt/bref/etc/php/conf.d/ext-" + ext + ".ini", mode: 0o644, typ: tar.TypeReg,
				content: []byte("extension=/opt/bref-extra/" + ext + ".so\n")},
		}, extra...),
	}
}

// group is a set of generated files in one directory.
type group struct {
	dir   string
	count int
	bytes int    // total size
	ext   string // file name suffix
	text  bool   // prose rather than binary bytes
}

// fileEntry is one file of a base layer; content is generated when written.
type fileEntry struct {
	path    string
	mode    int64
	typ     byte
	link    string
	size    int
	text    bool
	content []byte // fixed content, if not generated
}

// layerPlan is one layer of the base image.
type layerPlan struct {
	createdBy string
	files     []fileEntry
}

// mb is a megabyte (MiB) of base image content.
const mb = 1 << 20

// baseLayers plans the base image's layers. div divides every generated
// size (1 for the real benchmark; tests use a large one to stay fast).
func baseLayers(div int) []layerPlan {
	return []layerPlan{al2Layer(div), runtimeLayer(div), phpLayer(div), fpmLayer(div)}
}

// al2Layer is the base's first layer, Amazon Linux 2.
func al2Layer(div int) layerPlan {
	return layerPlan{
		createdBy: "/bin/sh -c #(nop) ADD file:provided-al2-x86_64.tar.xz in / ",
		files: append([]fileEntry{
			regEntry("bin/sh", 0o755, "\x7fELF\x02\x01\x01\x00fake sh for al2 x86_64\n"),
			regEntry("etc/os-release", 0o644, "NAME=\"Amazon Linux\"\nVERSION=\"2\"\nID=\"amzn\"\nID_LIKE=\"centos rhel fedora\"\nVERSION_ID=\"2\"\nPRETTY_NAME=\"Amazon Linux 2\"\n"),
			regEntry("etc/passwd", 0o644, "root:x:0:0:root:/root:/bin/bash\nsbx_user1051:x:993:990::/home/sbx_user1051:/sbin/nologin\n"),
			regEntry("lib64/ld-linux-x86-64.so.2", 0o755, "\x7fELF\x02\x01\x01\x00fake dynamic loader for al2 x86_64\n"),
			dirEntry("tmp", 0o1777),
			dirEntry("var/task", 0o755),
		}, groupEntries(div,
			group{dir: "usr/bin", count: 150, bytes: 13 * mb},
			group{dir: "usr/lib64", count: 220, bytes: 29 * mb, ext: ".so"},
			group{dir: "usr/share/doc", count: 400, bytes: 10 * mb, ext: ".txt", text: true},
			group{dir: "etc/pki", count: 40, bytes: 1 * mb, ext: ".pem", text: true},
		)...),
	}
}

// runtimeLayer is the base's second layer, the Lambda runtime.
func runtimeLayer(div int) layerPlan {
	return layerPlan{
		createdBy: "/bin/sh -c #(nop) COPY dir:lambda-runtime in / ",
		files: append([]fileEntry{
			regEntry("lambda-entrypoint.sh", 0o755, lambdaEntrypoint),
			{path: "var/runtime/init", mode: 0o755, typ: tar.TypeReg, size: 7 * mb / div},
			{path: "usr/local/bin/aws-lambda-rie", mode: 0o755, typ: tar.TypeReg, size: 8 * mb / div},
		}, groupEntries(div, group{dir: "var/runtime/lib", count: 8, bytes: 1 * mb, ext: ".so"})...),
	}
}

// phpLayer is the base's third layer, the PHP 8.0 build under /opt.
func phpLayer(div int) layerPlan {
	return layerPlan{
		createdBy: "/bin/sh -c #(nop) COPY dir:php-8.0-build in /opt ",
		files: append([]fileEntry{
			{path: "opt/bref/bin/php", mode: 0o755, typ: tar.TypeReg, size: 26 * mb / div},
			regEntry("opt/bref/etc/php/conf.d/bref.ini", 0o644, "; Bref v1 settings (brefimg benchmark fixture, php 8.0)\n"+
				"extension_dir=/opt/bref/lib/php/extensions/no-debug-non-zts-20200930\nopcache.enable=1\nmemory_limit=3008M\n"),
		}, groupEntries(div,
			group{dir: "opt/bref/lib", count: 60, bytes: 28 * mb, ext: ".so"},
			group{dir: "opt/bref/lib64", count: 20, bytes: 9 * mb, ext: ".so"},
			group{dir: "opt/bref/lib/php/extensions/no-debug-non-zts-20200930", count: 12, bytes: 5 * mb, ext: ".so"},
			group{dir: "opt/bref/include/php/main", count: 600, bytes: 8 * mb, ext: ".h", text: true},
		)...),
	}
}

// fpmLayer is the base's fourth layer, the PHP-FPM runtime under /opt.
func fpmLayer(div int) layerPlan {
	return layerPlan{
		createdBy: "/bin/sh -c #(nop) COPY dir:fpm-runtime in /opt ",
		files: append([]fileEntry{
			regEntry("opt/bootstrap", 0o755, "#!/bin/sh\n# brefimg benchmark fixture: php 8.0 fpm runtime (bref v1)\nexec /opt/bref/bin/php /opt/bref/bootstrap.php\n"),
			regEntry("opt/bref/bootstrap.php", 0o644, "<?php // brefimg benchmark fixture: php 8.0 fpm runtime (bref v1)\n"),
			regEntry("opt/bref/etc/php-fpm.conf", 0o644, "; brefimg benchmark fixture\n[global]\nerror_log = /dev/null\n[default]\nlisten = /tmp/.bref/php-fpm.sock\n"),
			{path: "opt/bref/sbin/php-fpm", mode: 0o755, typ: tar.TypeReg, size: 14 * mb / div},
		}, groupEntries(div, group{dir: "opt/bref/runtime/vendor", count: 200, bytes: 3 * mb, ext: ".php", text: true})...),
	}
}

// regEntry is a regular file with fixed content.
func regEntry(p string, mode int64, content string) fileEntry {
	return fileEntry{path: p, mode: mode, typ: tar.TypeReg, content: []byte(content)}
}

// dirEntry is a directory.
func dirEntry(p string, mode int64) fileEntry {
	return fileEntry{path: p, mode: mode, typ: tar.TypeDir}
}

// groupEntries generates the files of gs, in order, their sizes divided
// by div.
func groupEntries(div int, gs ...group) []fileEntry {
	var out []fileEntry
	for _, g := range gs {
		out = append(out, g.entries(div)...)
	}
	return out
}

// entries generates g's files: random names and g.bytes split over them
// with random weights, the sizes divided by div.
func (g group) entries(div int) []fileEntry {
	r := newRNG("base-group", g.dir)
	weights := make([]int, g.count)
	sum := 0
	for i := range weights {
		weights[i] = 1 + r.intn(1000)*r.intn(4)
		sum += weights[i]
	}
	mode := int64(0o755)
	if g.text {
		mode = 0o644
	}
	out := make([]fileEntry, 0, g.count)
	seen := map[string]bool{}
	for i := range g.count {
		n := identString(r)
		for seen[n] {
			n += "x"
		}
		seen[n] = true
		size := int(int64(g.bytes) * int64(weights[i]) / int64(sum) / int64(div))
		out = append(out, fileEntry{path: g.dir + "/" + strings.ToLower(n) + g.ext, mode: mode, typ: tar.TypeReg, size: size, text: g.text})
	}
	return out
}

const lambdaEntrypoint = `#!/bin/sh
# brefimg benchmark fixture of AWS's /lambda-entrypoint.sh: the image's CMD is the handler.
if [ $# -ne 1 ]; then
  echo "entrypoint requires the handler name to be the first argument" 1>&2
  exit 142
fi
export _HANDLER="$1"
exec /opt/bootstrap
`

// buildBase assembles the base image: the config of AWS's provided:al2
// (FACTS §1), and the empty-layer history entries `docker build` writes
// for its ENV, WORKDIR and ENTRYPOINT after the second layer.
func buildBase(plans []layerPlan) (v1.Image, error) {
	config := v1.Config{
		Entrypoint: []string{"/lambda-entrypoint.sh"},
		WorkingDir: "/var/task",
		Env:        slices.Clone(fixtures.BaseEnv),
	}
	var steps []string
	for _, e := range fixtures.BaseEnv {
		steps = append(steps, "/bin/sh -c #(nop)  ENV "+e)
	}
	steps = append(steps, "/bin/sh -c #(nop) WORKDIR /var/task", `/bin/sh -c #(nop)  ENTRYPOINT ["/lambda-entrypoint.sh"]`)
	return buildImage(config, plans, map[int][]string{1: steps})
}

// buildImage assembles an image: Docker media types, linux/amd64, created
// at [fixtures.ModTime], one history entry per layer, and after layer i
// (from 0) the empty-layer history entries emptyAfter[i].
func buildImage(config v1.Config, plans []layerPlan, emptyAfter map[int][]string) (v1.Image, error) {
	created := v1.Time{Time: fixtures.ModTime}
	cfg := &v1.ConfigFile{
		Architecture: "amd64",
		OS:           "linux",
		Created:      created,
		Config:       config,
		RootFS:       v1.RootFS{Type: "layers"},
	}
	img := mutate.MediaType(empty.Image, types.DockerManifestSchema2)
	img = mutate.ConfigMediaType(img, types.DockerConfigJSON)
	img, err := mutate.ConfigFile(img, cfg)
	if err != nil {
		return nil, fmt.Errorf("setting the config: %w", err)
	}
	adds := make([]mutate.Addendum, 0, len(plans))
	for i, p := range plans {
		l, err := newLayer(p.files)
		if err != nil {
			return nil, fmt.Errorf("layer %d (%s): %w", i+1, p.createdBy, err)
		}
		adds = append(adds, mutate.Addendum{Layer: l, MediaType: types.DockerLayer,
			History: v1.History{Created: created, CreatedBy: p.createdBy}})
	}
	img, err = mutate.Append(img, adds...)
	if err != nil {
		return nil, fmt.Errorf("appending the layers: %w", err)
	}
	if len(emptyAfter) == 0 {
		return img, nil
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, err
	}
	cf = cf.DeepCopy()
	var hist []v1.History
	for i, h := range cf.History {
		hist = append(hist, h)
		for _, by := range emptyAfter[i] {
			hist = append(hist, v1.History{Created: created, CreatedBy: by, EmptyLayer: true})
		}
	}
	cf.History = hist
	return mutate.ConfigFile(img, cf)
}

// newLayer writes files as a gzip tar layer in memory: parents added (0755),
// entries sorted component-wise, uid and gid 0, modification time
// [fixtures.ModTime]; gzip at the fastest level, since the content is
// mostly incompressible anyway.
func newLayer(files []fileEntry) (v1.Layer, error) {
	byPath := map[string]fileEntry{}
	for _, f := range files {
		if _, dup := byPath[f.path]; dup {
			return nil, fmt.Errorf("entry %q listed twice", f.path)
		}
		byPath[f.path] = f
	}
	for _, f := range files {
		for d := path.Dir(f.path); d != "."; d = path.Dir(d) {
			if _, ok := byPath[d]; !ok {
				byPath[d] = fileEntry{path: d, mode: 0o755, typ: tar.TypeDir}
			}
		}
	}
	paths := make([]string, 0, len(byPath))
	for p := range byPath {
		paths = append(paths, p)
	}
	slices.SortFunc(paths, func(a, b string) int {
		return slices.Compare(strings.Split(a, "/"), strings.Split(b, "/"))
	})

	var blob bytes.Buffer
	digest, diffID := sha256.New(), sha256.New()
	zw, err := gzip.NewWriterLevel(io.MultiWriter(&blob, digest), gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	tw := tar.NewWriter(io.MultiWriter(zw, diffID))
	for _, p := range paths {
		f := byPath[p]
		h := &tar.Header{Name: p, Typeflag: f.typ, Mode: f.mode, ModTime: fixtures.ModTime, Format: tar.FormatPAX}
		var content []byte
		switch f.typ {
		case tar.TypeDir:
			h.Name += "/"
		case tar.TypeSymlink:
			h.Linkname = f.link
		case tar.TypeReg:
			content = f.content
			if content == nil {
				r := newRNG("base-file", p)
				if f.text {
					content = prose(r, f.size)
				} else {
					content = elfBytes(r, path.Base(p), f.size)
				}
			}
			h.Size = int64(len(content))
		}
		if err := tw.WriteHeader(h); err != nil {
			return nil, fmt.Errorf("writing %q: %w", p, err)
		}
		if _, err := tw.Write(content); err != nil {
			return nil, fmt.Errorf("writing %q: %w", p, err)
		}
	}
	if err := tw.Close(); err != nil {
		return nil, err
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return &memLayer{
		blob:   blob.Bytes(),
		digest: v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", digest.Sum(nil))},
		diffID: v1.Hash{Algorithm: "sha256", Hex: fmt.Sprintf("%x", diffID.Sum(nil))},
	}, nil
}

// memLayer is a gzip layer held in memory, with digests computed while it
// was written.
type memLayer struct {
	blob           []byte
	digest, diffID v1.Hash
}

var _ v1.Layer = (*memLayer)(nil)

// Digest returns the sha256 of the gzip blob.
func (l *memLayer) Digest() (v1.Hash, error) { return l.digest, nil }

// DiffID returns the sha256 of the tar stream.
func (l *memLayer) DiffID() (v1.Hash, error) { return l.diffID, nil }

// Size returns the size of the gzip blob.
func (l *memLayer) Size() (int64, error) { return int64(len(l.blob)), nil }

// MediaType returns the Docker gzip layer media type.
func (l *memLayer) MediaType() (types.MediaType, error) { return types.DockerLayer, nil }

// Compressed returns a reader of the gzip blob.
func (l *memLayer) Compressed() (io.ReadCloser, error) {
	return io.NopCloser(bytes.NewReader(l.blob)), nil
}

// Uncompressed returns a reader of the tar stream.
func (l *memLayer) Uncompressed() (io.ReadCloser, error) {
	zr, err := gzip.NewReader(bytes.NewReader(l.blob))
	if err != nil {
		return nil, err
	}
	return zr, nil
}
