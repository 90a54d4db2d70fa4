package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/validate"

	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/lockfile"
	"github.com/brefimg/brefimg/registry"
)

func dockerfilePath(name string) string {
	return filepath.Join("..", "..", "testdata", "dockerfiles", name, "Dockerfile")
}

func TestDockerfileBuilds(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	// Docker Hub's untagged bref/php-80-fpm is :latest: here the Bref 1 image.
	latest, err := fixtures.Get("bref/php-80-fpm:1")
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag(reg.Host + "/bref/php-80-fpm:latest")
	if err := remote.Write(tag, latest, remote.WithContext(context.Background())); err != nil {
		t.Fatal(err)
	}

	t.Run("the seed Dockerfile", func(t *testing.T) {
		code, stdout, stderr := brefimg(t, nil, "build", "-f", dockerfilePath("seed"), "--mirror", reg.Host,
			"-t", reg.Host+"/seed:1", appDir(t))
		if code != exitOK || !strings.HasPrefix(stdout, reg.Host+"/seed@sha256:") {
			t.Fatalf("exit %d, stdout %q: %s", code, stdout, stderr)
		}
		for _, want := range []string{"[bref-untagged]", "[ext-not-loaded]", "/opt/bref-extra/redis.so", "Dockerfile:3:"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("stderr lacks %q:\n%s", want, stderr)
			}
		}
		tree := files(t, pulled(t, stdout))
		if _, ok := tree["/opt/bref/etc/php/conf.d/ext-redis.ini"]; ok {
			t.Error("the seed's redis lines copied the ini: they must not, as with Docker")
		}
		if _, ok := tree["/opt/bref/etc/php/conf.d/ext-gmp.ini"]; !ok {
			t.Error("the seed's gmp lines did not copy its ini")
		}
	})
	t.Run("the /opt variant equals the flag build", func(t *testing.T) {
		code, stdout, stderr := brefimg(t, nil, "build", "-q", "-f", dockerfilePath("seed-opt"), "--mirror", reg.Host,
			"--source-date-epoch", "1700000000", "-o", "oci:"+filepath.Join(t.TempDir(), "layout"), appDir(t))
		// One COPY . /var/task is one layer: the flag build without its vendor/ split.
		_, flagBuild, _ := brefimg(t, nil, "build", "-q", "--bref", "1", "--php", "8.0", "--ext", "redis@0.10,gmp@0.10", "--split", "none",
			"--mirror", reg.Host, "--source-date-epoch", "1700000000", appDir(t))
		if code != exitOK || strings.TrimSpace(stdout) != strings.TrimSpace(flagBuild) {
			t.Errorf("exit %d, digest %q, the flag build's %q: %s", code, stdout, flagBuild, stderr)
		}
	})
	t.Run("RUN is refused", func(t *testing.T) {
		code, _, stderr := brefimg(t, nil, "build", "-f", dockerfilePath("refused-run"), "--mirror", reg.Host, appDir(t))
		if code != exitUsage || !strings.Contains(stderr, "Dockerfile:3: RUN composer install") || !strings.Contains(stderr, "run it in CI before brefimg") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("image flags with -f", func(t *testing.T) {
		code, _, stderr := brefimg(t, nil, "build", "-f", dockerfilePath("seed-opt"), "--ext", "redis", appDir(t))
		if code != exitUsage || !strings.Contains(stderr, "--ext cannot be used with -f") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("--build-arg without -f", func(t *testing.T) {
		code, _, stderr := brefimg(t, nil, "build", "--build-arg", "A=1", appDir(t))
		if code != exitUsage || !strings.Contains(stderr, "--build-arg needs -f") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("--dry-run names build args without their values", func(t *testing.T) {
		code, stdout, stderr := brefimg(t, nil, "build", "--dry-run", "-f", dockerfilePath("seed-opt"), "--mirror", reg.Host,
			"--build-arg", "COMPOSER_AUTH=s3cr3t-token", appDir(t))
		if code != exitOK || strings.Contains(stdout+stderr, "s3cr3t") || !strings.Contains(stdout, "COMPOSER_AUTH=…") {
			t.Errorf("exit %d, stdout %s, stderr %s", code, stdout, stderr)
		}
	})
	t.Run("a missing Dockerfile", func(t *testing.T) {
		code, _, stderr := brefimg(t, nil, "build", "-f", "nope/Dockerfile", appDir(t))
		if code != exitUsage || !strings.Contains(stderr, "-f nope/Dockerfile") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("lock -f", func(t *testing.T) {
		app := appDir(t)
		code, _, stderr := brefimg(t, nil, "lock", "-f", dockerfilePath("seed-opt"), "--mirror", reg.Host, app)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		lock, err := lockfile.Read(app)
		if err != nil || lock == nil || len(lock.Images) != 3 {
			t.Fatalf("lock %+v, %v", lock, err)
		}
		code, _, stderr = brefimg(t, nil, "build", "--locked", "-f", dockerfilePath("seed-opt"), "--mirror", reg.Host, "-o", "oci:"+filepath.Join(t.TempDir(), "l"), app)
		if code != exitOK || strings.Contains(stderr, "unpinned-refs") {
			t.Errorf("locked Dockerfile build: exit %d: %s", code, stderr)
		}
	})
}

// TestArmDockerfile checks that FROM bref/arm-… builds for linux/arm64
// without --platform, as Bref publishes its arm64 images in repositories
// of their own, and that an explicit --platform still wins.
func TestArmDockerfile(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	df := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(df, []byte("FROM bref/arm-php-84:3\nCOPY . /var/task\nCMD [\"public/index.php\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := brefimg(t, nil, "build", "-f", df, "--mirror", reg.Host, "-t", reg.Host+"/app:arm", neutralApp(t))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	cf, err := pulled(t, stdout).ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.Architecture != "arm64" || cf.OS != "linux" {
		t.Errorf("built for %s/%s, want linux/arm64", cf.OS, cf.Architecture)
	}
	code, _, stderr = brefimg(t, nil, "build", "-f", df, "--platform", "linux/amd64", "--mirror", reg.Host, "-o", "oci:"+filepath.Join(t.TempDir(), "l"), neutralApp(t))
	if code != exitUsage || !strings.Contains(stderr, "linux/arm64") {
		t.Errorf("--platform linux/amd64 on an arm64 base: exit %d, %s", code, stderr)
	}
}

// TestBrefimgImage builds image/Dockerfile (make image: brefimg as an image)
// from a stand-in binary and CA bundle: FROM scratch, the files world
// readable, the binary executable, brefimg the entrypoint.
func TestBrefimgImage(t *testing.T) {
	t.Parallel()
	ctxDir := t.TempDir()
	for name, mode := range map[string]os.FileMode{"brefimg": 0o755, "ca-certificates.crt": 0o644} {
		if err := os.WriteFile(filepath.Join(ctxDir, name), []byte("stand-in "+name+"\n"), mode); err != nil {
			t.Fatal(err)
		}
	}
	out := filepath.Join(t.TempDir(), "layout")
	code, _, stderr := brefimg(t, nil, "build", "-q", "-f", filepath.Join("..", "..", "image", "Dockerfile"), "-o", "oci:"+out, ctxDir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	img, err := registry.Output{Kind: registry.OutputOCI, Path: out}.Read()
	if err != nil {
		t.Fatal(err)
	}
	if err := validate.Image(img); err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(cf.Config.Entrypoint, " ") != "/usr/local/bin/brefimg" {
		t.Errorf("entrypoint %q", cf.Config.Entrypoint)
	}
	tree := files(t, img)
	if f, ok := tree["/usr/local/bin/brefimg"]; !ok || f.Mode&0o111 == 0 {
		t.Errorf("the binary is missing or not executable: %+v", f)
	}
	if _, ok := tree["/etc/ssl/certs/ca-certificates.crt"]; !ok {
		t.Error("the CA bundle is missing")
	}
}

// TestDockerfileDryRun: with -f, the dry run shows no default of a flag the
// Dockerfile replaces (--bref 3 (default) would be a lie).
func TestDockerfileDryRun(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	code, stdout, stderr := brefimg(t, nil, "build", "--dry-run", "-f", dockerfilePath("seed-opt"), "--mirror", reg.Host, appDir(t))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, flag := range []string{"--bref ", "--php ", "--runtime ", "--ext ", "--cmd ", "--split "} {
		if strings.Contains(stdout, "  "+flag) {
			t.Errorf("the dry run of a Dockerfile build shows %s:\n%s", flag, stdout)
		}
	}
	if !strings.Contains(stdout, "FROM bref/php-80-fpm:1") || !strings.Contains(stdout, "--file") {
		t.Errorf("dry run:\n%s", stdout)
	}
}
