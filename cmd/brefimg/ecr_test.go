package main

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/brefimg/brefimg/internal/fakeecr"
)

// brefimgProcess runs the CLI in a subprocess with exactly env (the
// standard variables a user sets), as HTTPS_PROXY and SSL_CERT_FILE are
// read once per process.
func brefimgProcess(t *testing.T, env []string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(context.Background(), exe, args...)
	cmd.Env = append(env, "BREFIMG_TEST_RUN_MAIN=1")
	var out, errb strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errb
	err = cmd.Run()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), out.String(), errb.String()
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, out.String(), errb.String()
}

// TestPushToECR pushes a build end to end to a real ECR host name: the fake
// ECR API through AWS_ENDPOINT_URL_ECR, the real registry behind TLS with a
// test CA (SSL_CERT_FILE) through an HTTP CONNECT proxy (HTTPS_PROXY), and
// Basic auth that accepts only the token's password.
func TestPushToECR(t *testing.T) {
	t.Parallel()
	src := seeded(t)
	e := fakeecr.Start(t)
	env := e.Environ(os.Environ())
	app := neutralApp(t)
	meta := filepath.Join(t.TempDir(), "meta.json")
	target := e.Ref("serverless-hello-dev:hello")
	args := []string{"build", "--progress", "plain", "--bref", "1", "--php", "8.0", "--ext", "redis", "--mirror", src.Host,
		"--source-date-epoch", "1700000000", "--ecr-max-images", "5", "--ecr-scan-on-push", "--metadata-file", meta, "-t", target, app}

	code, stdout, stderr := brefimgProcess(t, env, args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	digestRef := strings.TrimSpace(stdout)
	if !strings.HasPrefix(digestRef, fakeecr.Host+"/serverless-hello-dev@sha256:") || !strings.Contains(stderr, "ImageUri: "+digestRef) {
		t.Errorf("stdout %q, stderr %s", stdout, stderr)
	}
	repo, ok := e.ECR.Repository("serverless-hello-dev")
	if !ok || !repo.ScanOnPush || !strings.Contains(repo.LifecyclePolicy, `"countNumber":5`) || !strings.Contains(repo.LifecyclePolicy, `"tagStatus":"untagged"`) {
		t.Errorf("repository %+v, want it created with scan on push and the maxImages rule", repo)
	}
	ref, err := name.ParseReference(digestRef)
	if err != nil {
		t.Fatal(err)
	}
	got, err := remote.Image(ref, e.RemoteOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	// The same build into an OCI layout (no registry) must have the same digest.
	oci := filepath.Join(t.TempDir(), "layout")
	code, local, stderr := brefimg(t, nil, "build", "-q", "--bref", "1", "--php", "8.0", "--ext", "redis", "--mirror", src.Host,
		"--source-date-epoch", "1700000000", "-o", "oci:"+oci, app)
	if code != exitOK {
		t.Fatalf("local build: exit %d: %s", code, stderr)
	}
	if d, _ := got.Digest(); d.String() != strings.TrimSpace(local) {
		t.Errorf("read back %s from ECR, built %s", d, local)
	}
	var md Metadata
	b, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &md); err != nil {
		t.Fatal(err)
	}
	validateMetadata(t, b)
	if len(md.Repositories) != 1 || !md.Repositories[0].Created || md.Repositories[0].Region != fakeecr.Region {
		t.Errorf("metadata repositories %+v", md.Repositories)
	}

	t.Run("second push creates nothing", func(t *testing.T) {
		code, again, stderr := brefimgProcess(t, env, args...)
		if code != exitOK || strings.TrimSpace(again) != digestRef {
			t.Fatalf("exit %d, %q: %s", code, again, stderr)
		}
		if n := e.ECR.Count("CreateRepository"); n != 1 {
			t.Errorf("CreateRepository called %d times, want 1", n)
		}
		if strings.Contains(stderr, "pushed blob") {
			t.Errorf("a second push uploaded blobs:\n%s", stderr)
		}
	})
	t.Run("no repository, creation off", func(t *testing.T) {
		code, _, stderr := brefimgProcess(t, env, "build", "--bref", "1", "--php", "8.0", "--mirror", src.Host, "--create-repo=false", "-t", e.Ref("other:1"), app)
		if code != exitUsage || !strings.Contains(stderr, "other") || !strings.Contains(stderr, "NAME_UNKNOWN") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("immutable tag", func(t *testing.T) {
		e.ECR.AddRepository(fakeecr.Repository{Name: "frozen", Immutable: true})
		first := []string{"build", "--bref", "1", "--php", "8.0", "--mirror", src.Host, "-t", e.Ref("frozen:v1"), app}
		if code, _, stderr := brefimgProcess(t, env, first...); code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		other := append([]string{"build", "--source-date-epoch", "42"}, first[1:]...)
		code, _, stderr := brefimgProcess(t, env, other...)
		if code != exitUsage || !strings.Contains(stderr, "tag v1 already exists in immutable repository frozen: push a new tag") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("access denied", func(t *testing.T) {
		e.ECR.Deny("ecr:CreateRepository")
		defer e.ECR.AllowAll()
		code, _, stderr := brefimgProcess(t, env, "build", "--bref", "1", "--php", "8.0", "--mirror", src.Host, "-t", e.Ref("denied:1"), app)
		if code != exitUsage || !strings.Contains(stderr, "ecr:CreateRepository") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("no credentials", func(t *testing.T) {
		var bare []string
		for _, kv := range env {
			if !strings.HasPrefix(kv, "AWS_ACCESS_KEY_ID=") && !strings.HasPrefix(kv, "AWS_SECRET_ACCESS_KEY=") {
				bare = append(bare, kv)
			}
		}
		code, _, stderr := brefimgProcess(t, bare, "build", "--bref", "1", "--php", "8.0", "--mirror", src.Host, "-t", e.Ref("app:1"), app)
		if code != exitUsage || !strings.Contains(stderr, "credentials") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("no secret in any output", func(t *testing.T) {
		all := stdout + stderr + string(b)
		for _, secret := range e.Secrets() {
			if secret != "" && strings.Contains(all, secret) {
				t.Errorf("a secret appears in the output or the metadata file")
			}
		}
	})
}
