package registry_test

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/brefimg/brefimg/internal/faultproxy"
	"github.com/brefimg/brefimg/internal/testregistry"
	"github.com/brefimg/brefimg/registry"
)

var amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}

// brokenImages are images whose manifest and config are broken or disagree,
// made from a good one, with what brefimg must say about each.
var brokenImages = []struct {
	name string
	edit func(t *testing.T, m *faultproxy.Mangled)
	want string
}{
	{"fewer diff_ids than layers", func(t *testing.T, m *faultproxy.Mangled) {
		editConfig(t, m, func(cf *v1.ConfigFile) { cf.RootFS.DiffIDs = cf.RootFS.DiffIDs[1:] })
	}, "its config lists 2 layers (rootfs.diff_ids) and its manifest 3"},
	{"more diff_ids than layers", func(t *testing.T, m *faultproxy.Mangled) {
		editConfig(t, m, func(cf *v1.ConfigFile) { cf.RootFS.DiffIDs = append(cf.RootFS.DiffIDs, cf.RootFS.DiffIDs[0]) })
	}, "its config lists 4 layers (rootfs.diff_ids) and its manifest 3"},
	{"config media type of a layer", func(_ *testing.T, m *faultproxy.Mangled) {
		m.Manifest.Config.MediaType = types.DockerLayer
	}, `its config has media type "application/vnd.docker.image.rootfs.diff.tar.gzip", not an image config`},
	{"config is not JSON", func(_ *testing.T, m *faultproxy.Mangled) {
		m.SetConfig([]byte("this is not JSON\n"))
	}, "its config is not an image config (JSON)"},
	{"config rootfs is not layers", func(t *testing.T, m *faultproxy.Mangled) {
		editConfig(t, m, func(cf *v1.ConfigFile) { cf.RootFS.Type = "tarball" })
	}, `rootfs.type "tarball"`},
	{"config size is a lie", func(_ *testing.T, m *faultproxy.Mangled) {
		m.Manifest.Config.Size--
	}, "its config cannot be read"},
	{"unknown layer media type", func(_ *testing.T, m *faultproxy.Mangled) {
		m.Manifest.Layers[1].MediaType = "application/x-unknown"
	}, `layer 2 of 3 (sha256:`},
	{"foreign layer", func(_ *testing.T, m *faultproxy.Mangled) {
		m.Manifest.Layers[2].MediaType = types.DockerForeignLayer
		m.Manifest.Layers[2].URLs = []string{"https://example.com/layer.tar.gz"}
	}, "is a non-distributable (foreign) layer"},
}

// allowForeignLayers makes a test registry take manifests with foreign
// layers from example.com, as some registries do.
func allowForeignLayers(c *configuration.Configuration) error {
	c.Validation.Manifests.URLs.Allow = []string{`^https://example\.com/`}
	return nil
}

// editConfig edits the mangled image's config, failing the test on error.
func editConfig(t *testing.T, m *faultproxy.Mangled, edit func(*v1.ConfigFile)) {
	t.Helper()
	if err := m.EditConfig(edit); err != nil {
		t.Fatal(err)
	}
}

// pushBroken stores a good image as repo:good, then each broken image
// edited from it as repo:<name>, and returns the references and the
// digests of the layers.
func pushBroken(t *testing.T, host string) (good string, broken, layers []string) {
	t.Helper()
	img := image(t)
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range m.Layers {
		layers = append(layers, l.Digest.String())
	}
	good = host + "/broken:good"
	ref, _ := name.ParseReference(good)
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	for _, tc := range brokenImages {
		m, err := faultproxy.Mangle(img)
		if err != nil {
			t.Fatal(err)
		}
		tc.edit(t, m)
		r := host + "/broken:" + strings.ReplaceAll(tc.name, " ", "-")
		if err := m.Push(r); err != nil {
			t.Fatalf("%s: %v", tc.name, err)
		}
		broken = append(broken, r)
	}
	return good, broken, layers
}

// TestBrokenImagesRefused: an image whose manifest and config are broken
// or disagree is refused when it is read, as an input error naming it and
// what is wrong, and no layer is downloaded to find out.
func TestBrokenImagesRefused(t *testing.T) {
	reg, err := testregistry.Start(allowForeignLayers)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Close)
	good, broken, layers := pushBroken(t, reg.Host)
	c, err := registry.New()
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := c.Image(context.Background(), good, amd64); err != nil {
		t.Fatalf("the good image is refused: %v", err)
	}
	for i, tc := range brokenImages {
		t.Run(tc.name, func(t *testing.T) {
			reg.Reset()
			_, _, err := c.Image(context.Background(), broken[i], amd64)
			if err == nil {
				t.Fatal("the broken image was accepted")
			}
			if !registry.IsInput(err) || !strings.Contains(err.Error(), broken[i]) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q (input %v), want an input error naming %s and %q", err, registry.IsInput(err), broken[i], tc.want)
			}
			for _, r := range reg.Requests() {
				for _, l := range layers {
					if r.Method == "GET" && strings.HasSuffix(r.Path, "/blobs/"+l) {
						t.Errorf("a layer was downloaded: %s", r.Path)
					}
				}
			}
		})
	}
}

// TestCorruptConfigRefused: a config blob that does not match the digest
// its manifest names is refused as a broken image (input), naming it.
func TestCorruptConfigRefused(t *testing.T) {
	reg, proxy, c := faultyRegistry(t)
	img := image(t)
	cfg, _ := img.ConfigName()
	ref, _ := c.Target(reg.Host + "/app:1")
	if _, err := c.Push(context.Background(), img, []name.Reference{ref}); err != nil {
		t.Fatal(err)
	}
	proxy.Inject(faultproxy.Fault{Kind: faultproxy.Corrupt, Method: "GET", PathContains: "/blobs/" + cfg.String()})
	_, _, err := c.Image(context.Background(), proxy.Host+"/app:1", amd64)
	if !registry.IsInput(err) || !strings.Contains(err.Error(), "the image is broken") || !strings.Contains(err.Error(), "checksum") {
		t.Errorf("error %v, want the corrupt config refused as a broken image", err)
	}
}

// TestPushedDigestChecked: a registry (or a proxy) that stores another
// manifest than the one brefimg computed, or none, fails the push (not an
// input error) naming both digests, instead of a reference that does not
// resolve.
func TestPushedDigestChecked(t *testing.T) {
	tests := []struct {
		name  string
		fault faultproxy.Fault
		want  []string
	}{
		{"manifest rewritten on the way", faultproxy.Fault{Kind: faultproxy.Rewrite, Method: "PUT", PathContains: "/manifests/"},
			[]string{"the registry stored the manifest as sha256:", "not as sha256:"}},
		{"manifest answered but not stored", faultproxy.Fault{Kind: faultproxy.Status, Status: 201, Method: "PUT", PathContains: "/manifests/"},
			[]string{"the registry accepted the manifest but does not serve sha256:"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, proxy, c := faultyRegistry(t)
			img := image(t)
			want, _ := img.Digest()
			ref, _ := c.Target(proxy.Host + "/app:1")
			proxy.Inject(tc.fault)
			got, err := c.Push(context.Background(), img, []name.Reference{ref})
			if err == nil {
				t.Fatalf("the push succeeded: %v", got)
			}
			if registry.IsInput(err) || len(got) != 0 || !strings.Contains(err.Error(), want.String()) {
				t.Errorf("Push = %v, %q (input %v), want a failure naming %s", got, err, registry.IsInput(err), want)
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if proxy.Injected()[tc.fault.Kind] == 0 {
				t.Error("no fault was injected: the test proves nothing")
			}
		})
	}
}

// hostile starts a TCP server on addr that hands every connection to serve,
// and returns its address, or "" if addr cannot be listened on.
func hostile(t *testing.T, addr string, serve func(net.Conn)) string {
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

// httpsOnly is a loopback address go-containerregistry speaks HTTPS only to
// (it also tries plain HTTP with 127.0.0.1 and localhost): 127.0.0.2, which
// Linux answers without setup.
const httpsOnly = "127.0.0.2:0"

// closedPort is a loopback address nothing listens on.
func closedPort(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// handshakeFailure reads a TLS ClientHello's record header, then answers
// with a fatal handshake_failure alert.
func handshakeFailure(c net.Conn) {
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(c, hdr); err == nil {
		c.Write([]byte{0x15, 0x03, 0x03, 0x00, 0x02, 0x02, 0x28})
	}
}

// plainHTTP answers a TLS ClientHello as a plain HTTP server does.
func plainHTTP(c net.Conn) {
	hdr := make([]byte, 5)
	if _, err := io.ReadFull(c, hdr); err == nil {
		io.WriteString(c, "HTTP/1.1 400 Bad Request\r\nContent-Length: 0\r\n\r\n")
	}
}

// TestNetworkFailuresAreNotInput: a registry that cannot be reached is a
// failure the same command may get past later (exit 1), not bad input; a
// missing image, refused credentials and a plain-HTTP registry not allowed
// with --insecure-registry stay input errors (exit 2).
func TestNetworkFailuresAreNotInput(t *testing.T) {
	reg, err := testregistry.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Close)
	private, err := testregistry.Start(testregistry.WithBasicAuth("ci", "hunter2"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(private.Close)
	t.Setenv("DOCKER_CONFIG", t.TempDir())
	tlsHost := hostile(t, httpsOnly, handshakeFailure)
	plainHost := hostile(t, httpsOnly, plainHTTP)
	tests := []struct {
		name  string
		ref   string
		input bool
		want  string
	}{
		{"connection refused", closedPort(t) + "/app:1", false, "is unreachable"},
		{"no such host", "registry.invalid/app:1", false, "its name does not resolve"},
		{"TLS handshake failure", tlsHost + "/app:1", false, "it ended the TLS handshake"},
		{"missing image", reg.Host + "/missing:1", true, "no such image"},
		{"credentials refused", private.Host + "/app:1", true, "brefimg found none for " + private.Host},
		{"plain HTTP without --insecure-registry", plainHost + "/app:1", true, "speaks plain HTTP: allow it with --insecure-registry " + plainHost},
	}
	c, err := registry.New()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if strings.HasPrefix(tc.ref, "/") {
				t.Skipf("cannot listen on %s here", httpsOnly)
			}
			_, _, err := c.Image(context.Background(), tc.ref, amd64)
			var rerr *registry.Error
			if !errors.As(err, &rerr) || rerr.IsInput() != tc.input || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v (input %v), want input %v and %q", err, registry.IsInput(err), tc.input, tc.want)
			}
		})
	}
}

// TestCredentialsMessages: a 401 to a request that carried no credentials
// says none were found and where brefimg looked; one that carried wrong
// credentials says they were refused.
func TestCredentialsMessages(t *testing.T) {
	private, err := testregistry.Start(testregistry.WithBasicAuth("ci", "hunter2"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(private.Close)
	tests := []struct {
		name, config string
		want         []string
	}{
		{"none configured", "", []string{"brefimg found none for " + private.Host, "config.json", "docker login " + private.Host}},
		{"wrong ones", `{"auths":{"` + private.Host + `":{"username":"ci","password":"wrong"}}}`, []string{"the registry refused the credentials"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if tc.config != "" {
				if err := os.WriteFile(filepath.Join(dir, "config.json"), []byte(tc.config), 0o600); err != nil {
					t.Fatal(err)
				}
			}
			t.Setenv("DOCKER_CONFIG", dir)
			c, err := registry.New()
			if err != nil {
				t.Fatal(err)
			}
			_, _, err = c.Image(context.Background(), private.Host+"/app:1", amd64)
			if !registry.IsInput(err) {
				t.Errorf("error %v, want an input error", err)
			}
			for _, w := range tc.want {
				if err == nil || !strings.Contains(err.Error(), w) {
					t.Errorf("error %v lacks %q", err, w)
				}
			}
			if err != nil && strings.Contains(err.Error(), "wrong") {
				t.Errorf("error %q shows the password", err)
			}
		})
	}
}
