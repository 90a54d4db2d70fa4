package main

import (
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/brefimg/brefimg/internal/fakeecr"
	"github.com/brefimg/brefimg/internal/faultproxy"
	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/internal/testregistry"
	"github.com/brefimg/brefimg/plan"
)

// wroteNothing fails the test if a failed build left anything in dir or
// wrote to reg.
func wroteNothing(t *testing.T, dir string, reg *testregistry.Registry) {
	t.Helper()
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a failed build wrote %v", entries)
	}
	if reg == nil {
		return
	}
	for _, r := range reg.Requests() {
		if r.Method == "PUT" || r.Method == "POST" || r.Method == "PATCH" {
			t.Errorf("a failed build wrote to the registry: %s %s", r.Method, r.Path)
		}
	}
}

// noStackTrace fails the test if stderr holds a Go stack trace.
func noStackTrace(t *testing.T, stderr string) {
	t.Helper()
	if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
		t.Errorf("stack trace in stderr:\n%s", stderr)
	}
}

// TestBrokenBaseRefused: a base image whose manifest and config disagree,
// or whose config is not an image config, is refused before anything is
// built, exit 2, naming the image and what is wrong; nothing is written.
func TestBrokenBaseRefused(t *testing.T) {
	t.Parallel()
	reg, err := testregistry.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Close)
	base, err := fixtures.Get("bref/php-80-fpm:1")
	if err != nil {
		t.Fatal(err)
	}
	good := reg.Host + "/broken:good"
	ref, _ := name.ParseReference(good)
	if err := remote.Write(ref, base); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		edit func(*faultproxy.Mangled) error
		want string
	}{
		{"fewer diff_ids than layers", func(m *faultproxy.Mangled) error {
			return m.EditConfig(func(cf *v1.ConfigFile) { cf.RootFS.DiffIDs = cf.RootFS.DiffIDs[:len(cf.RootFS.DiffIDs)-1] })
		}, "rootfs.diff_ids"},
		{"wrong config media type", func(m *faultproxy.Mangled) error {
			m.Manifest.Config.MediaType = types.OCILayer
			return nil
		}, `its config has media type "application/vnd.oci.image.layer.v1.tar+gzip", not an image config`},
		{"config is not JSON", func(m *faultproxy.Mangled) error {
			m.SetConfig([]byte("<html>mirror error page</html>"))
			return nil
		}, "its config is not an image config (JSON)"},
	}
	app := neutralApp(t)
	build := func(t *testing.T, base, out string) (int, string, string) {
		return brefimg(t, nil, "build", "--bref", "1", "--php", "8.0", "--base", base, "--digest-file", filepath.Join(out, "digest"),
			"-o", "oci:"+filepath.Join(out, "layout"), app)
	}
	if code, _, stderr := build(t, good, t.TempDir()); code != exitOK {
		t.Fatalf("the good base: exit %d: %s", code, stderr)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			m, err := faultproxy.Mangle(base)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.edit(m); err != nil {
				t.Fatal(err)
			}
			broken := reg.Host + "/broken:" + strings.ReplaceAll(tc.name, " ", "-")
			if err := m.Push(broken); err != nil {
				t.Fatal(err)
			}
			out := t.TempDir()
			code, stdout, stderr := build(t, broken, out)
			if code != exitUsage || stdout != "" || !strings.Contains(stderr, broken) || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stdout %q, stderr %s; want exit %d naming %s and %q", code, stdout, stderr, exitUsage, broken, tc.want)
			}
			noStackTrace(t, stderr)
			wroteNothing(t, out, nil)
			// check does not skip the image checks for a broken image, as it
			// does for an unreachable registry: it refuses it.
			code, _, stderr = brefimg(t, nil, "check", "--bref", "1", "--php", "8.0", "--base", broken, app)
			if code != exitUsage || !strings.Contains(stderr, tc.want) || strings.Contains(stderr, "skipped") {
				t.Errorf("check: exit %d, stderr %s", code, stderr)
			}
		})
	}
}

// TestBrokenExtensionRefused: an extension image whose config lists fewer
// layers than its manifest is refused like a broken base: exit 2, naming it.
func TestBrokenExtensionRefused(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	const ext = "bref/extra-redis-php-80:0.12"
	img, err := fixtures.Get(ext)
	if err != nil {
		t.Fatal(err)
	}
	m, err := faultproxy.Mangle(img)
	if err != nil {
		t.Fatal(err)
	}
	// One layer more than rootfs.diff_ids, served where the mirror serves the extension.
	m.Manifest.Layers = append(m.Manifest.Layers, m.Manifest.Layers[0])
	if err := m.Push(reg.Host + "/" + ext); err != nil {
		t.Fatal(err)
	}
	reg.Reset()
	out := t.TempDir()
	code, stdout, stderr := brefimg(t, nil, "build", "--bref", "1", "--php", "8.0", "--ext", "redis", "--mirror", reg.Host,
		"-o", "oci:"+filepath.Join(out, "layout"), neutralApp(t))
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, ext) || !strings.Contains(stderr, "rootfs.diff_ids") {
		t.Errorf("exit %d, stdout %q, stderr %s; want exit %d naming %s", code, stdout, stderr, exitUsage, ext)
	}
	noStackTrace(t, stderr)
	wroteNothing(t, out, reg)
}

// TestPrintedReferenceChecked: a registry that ends up without the
// manifest brefimg computed (here a proxy rewrites it on the way) fails the
// build, exit 1, naming both digests; no reference is printed, no
// --digest-file written.
func TestPrintedReferenceChecked(t *testing.T) {
	t.Parallel()
	src := seeded(t)
	target, err := testregistry.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(target.Close)
	proxy, err := faultproxy.Start(target.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	app := neutralApp(t)
	out := t.TempDir()
	args := []string{"build", "--bref", "1", "--php", "8.0", "--mirror", src.Host, "--source-date-epoch", "1700000000"}
	code, digest, stderr := brefimg(t, nil, append(args, app)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	digest = strings.TrimSpace(digest)

	proxy.Inject(faultproxy.Fault{Kind: faultproxy.Rewrite, Method: "PUT", PathContains: "/manifests/"})
	code, stdout, stderr := brefimg(t, nil, append(args, "-t", proxy.Host+"/app:1", "--digest-file", filepath.Join(out, "digest"), app)...)
	if code != exitBuild || stdout != "" {
		t.Errorf("exit %d, stdout %q; want exit %d and nothing printed; stderr: %s", code, stdout, exitBuild, stderr)
	}
	if !strings.Contains(stderr, "the registry stored the manifest as sha256:") || !strings.Contains(stderr, "not as "+digest) {
		t.Errorf("stderr does not name both digests (built %s):\n%s", digest, stderr)
	}
	if proxy.Injected()[faultproxy.Rewrite] == 0 {
		t.Error("no manifest was rewritten: the test proves nothing")
	}
	noStackTrace(t, stderr)
	wroteNothing(t, out, nil)
}

// listen starts a TCP server on addr that hands each connection to serve,
// and returns its address, or "" if addr cannot be listened on.
func listen(t *testing.T, addr string, serve func(net.Conn)) string {
	t.Helper()
	l, err := net.Listen("tcp", addr)
	if err != nil {
		return ""
	}
	t.Cleanup(func() { l.Close() })
	go func() {
		for {
			c, err := l.Accept()
			if err != nil {
				return
			}
			go func() {
				defer c.Close()
				serve(c)
			}()
		}
	}()
	return l.Addr().String()
}

// closedAddr is a loopback address nothing listens on.
func closedAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// httpsOnly is a loopback address go-containerregistry speaks HTTPS only to
// (with 127.0.0.1 it also tries plain HTTP); Linux answers on it unset.
const httpsOnly = "127.0.0.2:0"

// answerClientHello reads a TLS ClientHello's record header and writes reply.
func answerClientHello(reply string) func(net.Conn) {
	return func(c net.Conn) {
		hdr := make([]byte, 5)
		if _, err := io.ReadFull(c, hdr); err == nil {
			io.WriteString(c, reply)
		}
	}
}

// TestNetworkFailuresExit1: a registry or API that cannot be reached is a
// failed build (exit 1, which CI may retry), not bad input; a registry that
// answers with plain HTTP, not allowed with --insecure-registry, stays
// bad input (exit 2).
func TestNetworkFailuresExit1(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	app := neutralApp(t)
	handshakeFailure := listen(t, httpsOnly, answerClientHello("\x15\x03\x03\x00\x02\x02\x28")) // a fatal TLS alert
	plainHTTP := listen(t, httpsOnly, answerClientHello("HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n"))
	closed := closedAddr(t)
	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"connection refused", []string{"--base", closed + "/app:1"}, exitBuild, "registry " + closed + " is unreachable"},
		{"unreachable mirror", []string{"--mirror", closed}, exitBuild, "registry " + closed + " is unreachable"},
		{"DNS failure", []string{"--base", "registry.invalid/app:1"}, exitBuild, "registry registry.invalid is unreachable: its name does not resolve"},
		{"TLS handshake failure", []string{"--base", handshakeFailure + "/app:1"}, exitBuild, "it ended the TLS handshake"},
		{"push to an unreachable registry", []string{"-t", closed + "/app:1"}, exitBuild, "registry " + closed + " is unreachable"},
		{"plain HTTP without --insecure-registry", []string{"--base", plainHTTP + "/app:1"}, exitUsage, "speaks plain HTTP: allow it with --insecure-registry " + plainHTTP},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if strings.Contains(strings.Join(tc.args, " "), " /app:1") {
				t.Skipf("cannot listen on %s here", httpsOnly)
			}
			args := append([]string{"build", "--bref", "1", "--php", "8.0", "--mirror", reg.Host}, tc.args...)
			code, _, stderr := brefimg(t, nil, append(args, app)...)
			if code != tc.code || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %s; want exit %d and %q", code, stderr, tc.code, tc.want)
			}
			noStackTrace(t, stderr)
		})
	}
}

// TestUnreachableECRAPIExit1: an ECR API endpoint that cannot be reached
// fails the build with exit 1, naming it.
func TestUnreachableECRAPIExit1(t *testing.T) {
	t.Parallel()
	src := seeded(t)
	e := fakeecr.Start(t)
	var env []string
	for _, kv := range e.Environ(os.Environ()) {
		if !strings.HasPrefix(kv, "AWS_ENDPOINT_URL_ECR=") {
			env = append(env, kv)
		}
	}
	env = append(env, "AWS_ENDPOINT_URL_ECR=http://"+closedAddr(t), "AWS_MAX_ATTEMPTS=1")
	code, stdout, stderr := brefimgProcess(t, env, "build", "--bref", "1", "--php", "8.0", "--mirror", src.Host, "-t", e.Ref("app:1"), neutralApp(t))
	if code != exitBuild || stdout != "" || !strings.Contains(stderr, "the ECR API endpoint for "+fakeecr.Region+" is unreachable") {
		t.Errorf("exit %d, stdout %q, stderr %s; want exit %d naming the ECR API", code, stdout, stderr, exitBuild)
	}
	noStackTrace(t, stderr)
}

// TestRegistryMessages: the messages of registry mistakes say what to do,
// in brefimg's terms, and never echo a password.
func TestRegistryMessages(t *testing.T) {
	reg := seeded(t)
	private := seeded(t, testregistryBasicAuth("ci", "hunter2-secret"))
	app := neutralApp(t)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	base := []string{"build", "--bref", "1", "--php", "8.0"}
	tests := []struct {
		name   string
		args   []string
		env    map[string]string
		want   []string
		secret string
	}{
		{"tag with a scheme", []string{"--mirror", reg.Host, "-t", "http://" + reg.Host + "/app:1"},
			nil, []string{"drop the http:// and write " + reg.Host + "/app:1", "--insecure-registry " + reg.Host}, "name.Insecure"},
		{"no credentials", []string{"--mirror", reg.Host, "-t", private.Host + "/app:1"},
			nil, []string{"brefimg found none for " + private.Host, "config.json", "docker login " + private.Host}, ""},
		{"mirror with credentials", []string{"--mirror", "ci:hunter2-secret@" + reg.Host},
			nil, []string{`--mirror "ci:xxxxx@` + reg.Host + `" holds credentials`, "docker login"}, "hunter2-secret"},
		{"mirror with credentials, dry run", []string{"--dry-run", "--mirror", "https://ci:hunter2-secret@" + reg.Host},
			nil, []string{"holds credentials"}, "hunter2-secret"},
		{"mirror with credentials from the environment", nil,
			map[string]string{"BREFIMG_MIRROR": "ci:hunter2-secret@" + reg.Host}, []string{"holds credentials"}, "hunter2-secret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			args := append(append(append([]string{}, base...), tc.args...), "--digest-file", filepath.Join(out, "digest"), app)
			code, stdout, stderr := brefimg(t, tc.env, args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr: %s", code, exitUsage, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if tc.secret != "" && strings.Contains(stdout+stderr, tc.secret) {
				t.Errorf("the output shows %q:\n%s%s", tc.secret, stdout, stderr)
			}
			noStackTrace(t, stderr)
			wroteNothing(t, out, nil)
		})
	}
}

// TestDryRunHidesMirrorCredentials: the effective configuration a dry run
// prints never shows a password, whatever gets that far.
func TestDryRunHidesMirrorCredentials(t *testing.T) {
	t.Parallel()
	var o buildOptions
	fs := newBuildFlags(&o, false)
	if err := fs.Parse([]string{"--mirror", "ci:hunter2-secret@mirror.example.com"}); err != nil {
		t.Fatal(err)
	}
	var w strings.Builder
	dryRun(&w, fs, &o, plan.Plan{})
	if strings.Contains(w.String(), "hunter2-secret") || !strings.Contains(w.String(), "ci:xxxxx@mirror.example.com") {
		t.Errorf("dry run printed:\n%s", w.String())
	}
}
