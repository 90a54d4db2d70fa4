package release

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// buildRelease builds brefimg as a release build would (static, trimmed,
// version stamped) and packs it as the release archive and checksums.txt
// in a new directory, which it returns with the archive's name.
func buildRelease(t *testing.T, version string) (dir, archive string) {
	t.Helper()
	dir = t.TempDir()
	bin := filepath.Join(t.TempDir(), "brefimg")
	vcs := "-buildvcs=true" // the environment may say false (GOFLAGS); a release build stamps its commit
	if _, err := exec.LookPath("git"); err != nil {
		vcs = "-buildvcs=false"
	}
	cmd := exec.Command("go", "build", "-trimpath", vcs, "-ldflags", "-s -w -buildid= -X main.version="+version, "-o", bin, "./cmd/brefimg")
	cmd.Dir = filepath.Join("..", "..")
	cmd.Env = append(os.Environ(), "CGO_ENABLED=0")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	exe, err := os.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	gz := gzip.NewWriter(&buf)
	tw := tar.NewWriter(gz)
	for _, f := range []struct {
		name string
		mode int64
		data []byte
	}{{"README.md", 0o644, []byte("# brefimg\n")}, {"brefimg", 0o755, exe}} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := gz.Close(); err != nil {
		t.Fatal(err)
	}
	archive = "brefimg_" + strings.TrimPrefix(version, "v") + "_" + runtime.GOOS + "_" + runtime.GOARCH + ".tar.gz"
	sum := sha256.Sum256(buf.Bytes())
	checksums := hex.EncodeToString(sum[:]) + "  " + archive + "\n" + strings.Repeat("0", 64) + "  brefimg_other.tar.gz\n"
	if err := os.WriteFile(filepath.Join(dir, archive), buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, "checksums.txt"), []byte(checksums), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir, archive
}

// install runs scripts/install.sh, as action.yml does, from releases in base.
func install(t *testing.T, version, base, into string) (string, error) {
	t.Helper()
	cmd := exec.Command("sh", filepath.Join("..", "..", "scripts", "install.sh"))
	cmd.Env = append(os.Environ(), "BREFIMG_VERSION="+version, "BREFIMG_BASE_URL="+base, "BREFIMG_INSTALL_DIR="+into)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

func TestInstall(t *testing.T) {
	if runtime.GOOS != "linux" && runtime.GOOS != "darwin" {
		t.Skip("the install script is for Linux and macOS")
	}
	const version = "v9.8.7"
	releases, archive := buildRelease(t, version)

	t.Run("verified and installed", func(t *testing.T) {
		into := t.TempDir()
		if out, err := install(t, version, releases, into); err != nil {
			t.Fatalf("%v\n%s", err, out)
		}
		out, err := exec.Command(filepath.Join(into, "brefimg"), "version", "--json").Output()
		if err != nil {
			t.Fatal(err)
		}
		var v struct{ Version, Commit string }
		if err := json.Unmarshal(out, &v); err != nil {
			t.Fatalf("%v: %s", err, out)
		}
		if v.Version != version {
			t.Errorf("installed brefimg says version %q, want %s", v.Version, version)
		}
		if _, err := exec.LookPath("git"); err == nil && v.Commit == "" {
			t.Errorf("no commit in %s: VCS stamping is off", out)
		}
	})
	t.Run("a tampered archive is refused", func(t *testing.T) {
		b, err := os.ReadFile(filepath.Join(releases, archive))
		if err != nil {
			t.Fatal(err)
		}
		tampered := t.TempDir()
		b[len(b)/2] ^= 0xff
		for name, data := range map[string][]byte{archive: b} {
			if err := os.WriteFile(filepath.Join(tampered, name), data, 0o644); err != nil {
				t.Fatal(err)
			}
		}
		sums, _ := os.ReadFile(filepath.Join(releases, "checksums.txt"))
		if err := os.WriteFile(filepath.Join(tampered, "checksums.txt"), sums, 0o644); err != nil {
			t.Fatal(err)
		}
		into := t.TempDir()
		out, err := install(t, version, tampered, into)
		if err == nil || !strings.Contains(out, "refusing it") {
			t.Errorf("error %v, output %s; want a checksum refusal", err, out)
		}
		if _, err := os.Stat(filepath.Join(into, "brefimg")); err == nil {
			t.Error("a tampered binary was installed")
		}
	})
	t.Run("a version with no archive", func(t *testing.T) {
		if out, err := install(t, "v0.0.1", releases, t.TempDir()); err == nil {
			t.Errorf("installed a missing version: %s", out)
		}
	})
}
