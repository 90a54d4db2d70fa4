package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/brefimg/brefimg/builder"
	"github.com/brefimg/brefimg/internal/fixtures"
)

// pulled reads an image back from the registry by the reference brefimg printed.
func pulled(t *testing.T, ref string) v1.Image {
	t.Helper()
	r, err := name.ParseReference(strings.TrimSpace(ref))
	if err != nil {
		t.Fatalf("brefimg printed %q: %v", ref, err)
	}
	if _, ok := r.(name.Digest); !ok {
		t.Fatalf("brefimg printed %q, want a digest reference", ref)
	}
	img, err := remote.Image(r)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// files reads an image's flattened file tree, keyed by absolute path.
func files(t *testing.T, img v1.Image) map[string]fixtures.File {
	t.Helper()
	tree, err := fixtures.FileTree(img)
	if err != nil {
		t.Fatal(err)
	}
	out := make(map[string]fixtures.File, len(tree))
	for p, f := range tree {
		out["/"+p] = f
	}
	return out
}

func layerDigests(t *testing.T, img v1.Image) []v1.Hash {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	out := make([]v1.Hash, len(ls))
	for i, l := range ls {
		if out[i], err = l.Digest(); err != nil {
			t.Fatal(err)
		}
	}
	return out
}

// TestBuildSeedDockerfile builds the seed's Dockerfile equivalent with flags,
// pushes it, and checks the image read back from the registry.
func TestBuildSeedDockerfile(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	app := appDir(t)
	target := reg.Host + "/app:1"
	args := []string{"build", "--bref", "1", "--php", "8.0", "--ext", "redis,gmp", "--mirror", reg.Host,
		"--source-date-epoch", "1700000000", "-t", target, app}
	code, stdout, stderr := brefimg(t, nil, args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if !strings.HasPrefix(stdout, reg.Host+"/app@sha256:") {
		t.Fatalf("stdout %q, want the digest reference", stdout)
	}
	img := pulled(t, stdout)
	base, err := fixtures.Get("bref/php-80-fpm:1")
	if err != nil {
		t.Fatal(err)
	}

	t.Run("base layers are mounted, never downloaded", func(t *testing.T) {
		reqs := reg.Requests()
		for _, d := range layerDigests(t, base) {
			for _, r := range reqs {
				if r.Method == "GET" && strings.HasSuffix(r.Path, "/blobs/"+d.String()) {
					t.Errorf("base layer %s was downloaded", d)
				}
			}
		}
		if n := reg.BlobUploads(); n != 3 {
			t.Errorf("%d blob uploads, want 3 (the vendor/ layer, the rest of the app and the config)", n)
		}
	})

	t.Run("files", func(t *testing.T) {
		got, want := files(t, img), files(t, base)
		for _, ref := range []string{"bref/extra-redis-php-80:0.12", "bref/extra-gmp-php-80:0.12"} {
			ext, err := fixtures.Get(ref)
			if err != nil {
				t.Fatal(err)
			}
			for p, f := range files(t, ext) {
				want[p] = f
			}
		}
		for _, p := range []string{"/opt/bref-extra/redis.so", "/opt/bref/etc/php/conf.d/ext-redis.ini",
			"/opt/bref-extra/gmp.so", "/opt/bref/lib64/libgmp.so", "/opt/bref/etc/php/conf.d/ext-gmp.ini"} {
			if _, ok := got[p]; !ok {
				t.Errorf("%s is missing from the pushed image", p)
			}
		}
		appFiles := map[string]int64{ // path -> mode
			"/var/task": 0o755, "/var/task/public": 0o755, "/var/task/public/index.php": 0o644,
			"/var/task/bin/console": 0o755, "/var/task/composer.json": 0o644, "/var/task/.dockerignore": 0o644,
			"/var/task/src/HelloController.php": 0o644, "/var/task/vendor/autoload.php": 0o644,
			"/var/task/vendor/composer/autoload_real.php": 0o644, "/var/task/php/conf.d/app.ini": 0o644,
			"/var/task/config/app.php": 0o644, "/var/task/bin": 0o755, "/var/task/src": 0o755,
			"/var/task/vendor": 0o755, "/var/task/vendor/composer": 0o755, "/var/task/php": 0o755,
			"/var/task/php/conf.d": 0o755, "/var/task/config": 0o755, "/var": 0o755,
		}
		for p, f := range got {
			if !strings.HasPrefix(p, "/var/task") {
				continue
			}
			mode, ok := appFiles[p]
			if !ok {
				t.Errorf("unexpected %s in the app layer (ignored by .dockerignore?)", p)
				continue
			}
			if f.Mode != mode || f.UID != 0 || f.GID != 0 {
				t.Errorf("%s: mode %o uid %d gid %d, want %o 0 0", p, f.Mode, f.UID, f.GID, mode)
			}
			if f.Type == '0' {
				src, err := os.ReadFile(filepath.Join(app, strings.TrimPrefix(p, "/var/task/")))
				if err != nil {
					t.Fatal(err)
				}
				if string(src) != f.Content {
					t.Errorf("%s: content differs from the app's", p)
				}
			}
		}
		for p := range appFiles {
			if _, ok := got[p]; !ok {
				t.Errorf("%s is missing from the pushed image", p)
			}
		}
		for p, f := range want {
			if strings.HasPrefix(p, "/var/task") {
				continue // the app layer owns /var/task
			}
			g, ok := got[p]
			if !ok {
				t.Errorf("%s from the base or an extension is missing", p)
				continue
			}
			if g.Mode != f.Mode || g.Type != f.Type || g.Content != f.Content || g.Linkname != f.Linkname {
				t.Errorf("%s differs from its source image", p)
			}
		}
		for p := range got {
			if _, ok := want[p]; !ok && !strings.HasPrefix(p, "/var/task") {
				t.Errorf("%s is in the image but in no input", p)
			}
		}
	})

	t.Run("layers", func(t *testing.T) {
		got := layerDigests(t, img)
		wantLayers := layerDigests(t, base)
		for _, ref := range []string{"bref/extra-redis-php-80:0.12", "bref/extra-gmp-php-80:0.12"} {
			ext, err := fixtures.Get(ref)
			if err != nil {
				t.Fatal(err)
			}
			wantLayers = append(wantLayers, layerDigests(t, ext)...)
		}
		if len(got) != len(wantLayers)+2 {
			t.Fatalf("%d layers, want base + extensions + vendor/ + app = %d", len(got), len(wantLayers)+2)
		}
		for i, d := range wantLayers {
			if got[i] != d {
				t.Errorf("layer %d is %s, want the input image's blob %s", i, got[i], d)
			}
		}
		m, err := img.Manifest()
		if err != nil {
			t.Fatal(err)
		}
		if m.MediaType != types.DockerManifestSchema2 {
			t.Errorf("manifest %s, want the base's family %s", m.MediaType, types.DockerManifestSchema2)
		}
		for i, l := range m.Layers {
			if l.MediaType != types.DockerLayer {
				t.Errorf("layer %d media type %s, want gzip %s", i, l.MediaType, types.DockerLayer)
			}
		}
	})

	t.Run("config", func(t *testing.T) {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		bcf, err := base.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		if strings.Join(cf.Config.Cmd, " ") != "public/index.php" {
			t.Errorf("Cmd %q", cf.Config.Cmd)
		}
		if strings.Join(cf.Config.Entrypoint, " ") != strings.Join(bcf.Config.Entrypoint, " ") || cf.Config.WorkingDir != bcf.Config.WorkingDir {
			t.Errorf("Entrypoint %q WorkingDir %q, want the base's %q %q", cf.Config.Entrypoint, cf.Config.WorkingDir, bcf.Config.Entrypoint, bcf.Config.WorkingDir)
		}
		if strings.Join(cf.Config.Env, "\n") != strings.Join(bcf.Config.Env, "\n") {
			t.Errorf("Env %q, want the base's %q", cf.Config.Env, bcf.Config.Env)
		}
		if !cf.Created.Time.Equal(time.Unix(1700000000, 0)) {
			t.Errorf("Created %s, want the epoch", cf.Created)
		}
		if cf.Architecture != "amd64" || cf.OS != "linux" {
			t.Errorf("platform %s/%s", cf.OS, cf.Architecture)
		}
		added := cf.History[len(bcf.History):]
		// redis (1 layer), gmp (9 layers, one per COPY as Bref builds it), vendor/, the app.
		if len(added) != 12 || added[11].CreatedBy != "COPY . /var/task" || !strings.Contains(added[10].CreatedBy, "vendor/") ||
			!strings.Contains(added[0].CreatedBy, "extra-redis-php-80:0.12") || !strings.Contains(added[9].CreatedBy, "extra-gmp-php-80:0.12 /opt /opt # layer 9 of 9") {
			t.Errorf("added history %+v, want one entry per added layer", added)
		}
		bd, _ := base.Digest()
		if cf.Config.Labels[builder.AnnotationBaseDigest] != bd.String() || cf.Config.Labels[builder.AnnotationBaseName] != "index.docker.io/bref/php-80-fpm:1" {
			t.Errorf("labels %v, want the base's name and digest %s", cf.Config.Labels, bd)
		}
	})

	t.Run("second push uploads no blob", func(t *testing.T) {
		reg.Reset()
		code, again, stderr := brefimg(t, nil, args...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if again != stdout {
			t.Errorf("same inputs gave %q, then %q", stdout, again)
		}
		if n := reg.BlobUploads(); n != 0 {
			t.Errorf("second push started %d blob uploads, want 0", n)
		}
	})

	t.Run("same digest from a fresh registry", func(t *testing.T) {
		other := seeded(t)
		args := []string{"build", "--bref", "1", "--php", "80", "--ext", "redis", "--ext", "gmp", "--mirror", other.Host,
			"-t", other.Host + "/app:1", app}
		code, out, stderr := brefimg(t, map[string]string{"SOURCE_DATE_EPOCH": "1700000000"}, args...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if strings.SplitN(out, "@", 2)[1] != strings.SplitN(stdout, "@", 2)[1] {
			t.Errorf("digest %s, want %s", out, stdout)
		}
	})
}

// TestOutputsAgree writes the same build to a registry, an OCI layout and a
// tarball, with digest and metadata files, and checks they all agree.
func TestOutputsAgree(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	app := neutralApp(t)
	dir := t.TempDir()
	oci, tarFile := filepath.Join(dir, "layout"), filepath.Join(dir, "image.tar")
	digestFile, metaFile := filepath.Join(dir, "digest"), filepath.Join(dir, "meta.json")
	code, stdout, stderr := brefimg(t, nil, "build", "--bref", "1", "--php", "8.0", "--ext", "redis", "--mirror", reg.Host,
		"-t", reg.Host+"/app:2", "-o", "oci:"+oci, "-o", "tar:"+tarFile, "--digest-file", digestFile, "--metadata-file", metaFile, app)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	want, err := pulled(t, stdout).Digest()
	if err != nil {
		t.Fatal(err)
	}
	p, err := layout.FromPath(oci)
	if err != nil {
		t.Fatal(err)
	}
	idx, err := p.ImageIndex()
	if err != nil {
		t.Fatal(err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		t.Fatal(err)
	}
	if len(im.Manifests) != 1 || im.Manifests[0].Digest != want {
		t.Errorf("OCI layout holds %+v, want one image %s", im.Manifests, want)
	}
	tag, _ := name.NewTag(reg.Host + "/app:2")
	timg, err := tarball.ImageFromPath(tarFile, &tag)
	if err != nil {
		t.Fatal(err)
	}
	tl, tw := layerDigests(t, timg), layerDigests(t, pulled(t, stdout))
	if len(tl) != len(tw) {
		t.Fatalf("tarball has %d layers, the pushed image %d", len(tl), len(tw))
	}
	for i := range tl {
		if tl[i] != tw[i] {
			t.Errorf("tarball layer %d is %s, pushed %s", i, tl[i], tw[i])
		}
	}
	if b, err := os.ReadFile(digestFile); err != nil || strings.TrimSpace(string(b)) != want.String() {
		t.Errorf("digest file %q (%v), want %s", b, err, want)
	}
	var md Metadata
	b, err := os.ReadFile(metaFile)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &md); err != nil {
		t.Fatal(err)
	}
	redis, _ := fixtures.Get("bref/extra-redis-php-80:0.12")
	rd, _ := redis.Digest()
	if md.Digest != want.String() || len(md.References) != 1 || md.Platform != "linux/amd64" ||
		len(md.Inputs) != 1 || md.Inputs[0].Digest != rd || md.Base.Digest.String() == "" ||
		len(md.Layers) < 3 || md.Layers[len(md.Layers)-1].Kind != "dir" || md.Layers[len(md.Layers)-2].Name != "app vendor/" || !md.Layers[len(md.Layers)-3].Reused {
		t.Errorf("metadata %s", b)
	}
	entries, _ := os.ReadDir(dir)
	for _, e := range entries {
		if strings.Contains(e.Name(), ".tmp-") {
			t.Errorf("temporary %s left behind", e.Name())
		}
	}
}

func TestPlatformsAndLines(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	app := neutralApp(t)
	tests := []struct {
		name      string
		args      []string
		arch      string
		manifest  types.MediaType
		env       string
		annotated bool
	}{
		{name: "v2 arm64", args: []string{"--bref", "2", "--php", "8.2", "--platform", "linux/arm64"}, arch: "arm64", manifest: types.DockerManifestSchema2},
		{name: "v2 amd64 with 1.x extensions", args: []string{"--bref", "2", "--php", "8.2", "--ext", "redis,gmp"}, arch: "amd64", manifest: types.DockerManifestSchema2},
		{name: "v3 OCI with BREF_RUNTIME", args: []string{"--bref", "3", "--php", "8.4", "--ext", "gmp,pgsql"}, arch: "amd64", manifest: types.OCIManifestSchema1, env: "BREF_RUNTIME=fpm", annotated: true},
		{name: "index base picks the platform", args: []string{"--base", "example/multi:1", "--platform", "linux/arm64"}, arch: "arm64", manifest: types.OCIManifestSchema1, annotated: true},
		{name: "v3 arm64 as Lambda names it", args: []string{"--bref", "3", "--php", "8.4", "--platform", "arm64"}, arch: "arm64", manifest: types.OCIManifestSchema1, env: "BREF_RUNTIME=fpm", annotated: true},
		{name: "x86_64 as Lambda names it", args: []string{"--bref", "3", "--php", "8.4", "--platform", "x86_64", "--ext", "gmp"}, arch: "amd64", manifest: types.OCIManifestSchema1, env: "BREF_RUNTIME=fpm", annotated: true},
		{name: "39-layer extension", args: []string{"--bref", "1", "--php", "8.0", "--ext", "imagick"}, arch: "amd64", manifest: types.DockerManifestSchema2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"build", "--mirror", reg.Host, "-t", reg.Host + "/platforms:" + strings.ReplaceAll(tc.name, " ", "-")}, tc.args...)
			code, stdout, stderr := brefimg(t, nil, append(args, app)...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			img := pulled(t, stdout)
			cf, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			m, err := img.Manifest()
			if err != nil {
				t.Fatal(err)
			}
			if cf.Architecture != tc.arch || m.MediaType != tc.manifest {
				t.Errorf("got %s %s, want %s %s", cf.Architecture, m.MediaType, tc.arch, tc.manifest)
			}
			if tc.env != "" && !strings.Contains(strings.Join(cf.Config.Env, "\n"), tc.env) {
				t.Errorf("Env %q lacks %s", cf.Config.Env, tc.env)
			}
			if tc.annotated && (m.Annotations[builder.AnnotationBaseDigest] == "" || m.Annotations[builder.AnnotationBaseName] == "") {
				t.Errorf("annotations %v lack the base", m.Annotations)
			}
			if len(cf.History) < len(m.Layers) {
				t.Errorf("%d history entries for %d layers", len(cf.History), len(m.Layers))
			}
		})
	}
}

func TestCredentials(t *testing.T) {
	reg := seeded(t)
	private := seeded(t, testregistryBasicAuth("ci", "hunter2-secret"))
	app := neutralApp(t)
	args := []string{"build", "--bref", "1", "--php", "8.0", "--mirror", reg.Host, "-t", private.Host + "/app:1", app}

	t.Run("refused without credentials", func(t *testing.T) {
		t.Setenv("DOCKER_CONFIG", t.TempDir())
		code, _, stderr := brefimg(t, nil, args...)
		if code != exitUsage || !strings.Contains(stderr, private.Host) || !strings.Contains(stderr, "credentials") {
			t.Errorf("exit %d, stderr %s", code, stderr)
		}
	})
	t.Run("docker config credentials", func(t *testing.T) {
		dir := t.TempDir()
		cfg := `{"auths":{"` + private.Host + `":{"auth":"` + basicAuth("ci", "hunter2-secret") + `"}}}`
		if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(cfg), 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("DOCKER_CONFIG", dir)
		code, stdout, stderr := brefimg(t, nil, args...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if strings.Contains(stdout+stderr, "hunter2") {
			t.Error("the password appears in the output")
		}
	})
}
