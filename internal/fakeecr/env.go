package fakeecr

import (
	"context"
	"crypto/rand"
	"crypto/tls"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/brefimg/brefimg/internal/testregistry"
)

// Env is a whole fake Amazon ECR reachable the way the real one is: the API
// (Server) at AWS_ENDPOINT_URL_ECR, and the registry host Host through an
// HTTP CONNECT proxy (HTTPS_PROXY) to a TLS front (Front) whose certificate
// is signed by a test CA (SSL_CERT_FILE), backed by the real distribution
// registry (Registry). Its credentials are the only ones the API accepts.
//
// Go reads HTTPS_PROXY and SSL_CERT_FILE once per process, so the product
// must run in a process that had Vars from its start: a subprocess given
// Environ (the CLI's tests), or a test binary whose TestMain calls Setenv
// before anything makes an HTTPS request.
type Env struct {
	// Host is the registry host, "123456789012.dkr.ecr.us-east-1.amazonaws.com".
	Host string
	// AccessKeyID and SecretAccessKey are the credentials the API accepts.
	AccessKeyID, SecretAccessKey string
	// CAFile is the test CA certificate (PEM), for SSL_CERT_FILE.
	CAFile string
	// Home is an empty home directory: no ~/.aws, no ~/.docker.
	Home string

	// ECR is the API (control plane).
	ECR *Server
	// Front is the registry host (data plane).
	Front *Front
	// Registry is the distribution registry behind the front.
	Registry *testregistry.Registry
	// Proxy is the CONNECT proxy.
	Proxy *Proxy

	ca  *testCA
	dir string
}

// New starts a fake ECR. Close it when done.
func New() (*Env, error) {
	e := &Env{Host: Host}
	var err error
	e.dir, err = os.MkdirTemp("", "fakeecr-*")
	if err != nil {
		return nil, err
	}
	fail := func(err error) (*Env, error) {
		e.Close()
		return nil, fmt.Errorf("starting the fake ECR: %w", err)
	}
	e.Home = filepath.Join(e.dir, "home")
	if err := os.Mkdir(e.Home, 0o700); err != nil {
		return fail(err)
	}
	e.AccessKeyID = "AKIA" + strings.ToUpper(rand.Text())[:16]
	e.SecretAccessKey = rand.Text() + rand.Text()[:14]
	if e.ca, err = newCA([]string{Host, "*.dkr.ecr." + Region + ".amazonaws.com"}); err != nil {
		return fail(err)
	}
	e.CAFile = filepath.Join(e.dir, "ca.pem")
	if err := os.WriteFile(e.CAFile, e.ca.certPEM, 0o600); err != nil {
		return fail(err)
	}
	e.ECR = NewServer(e.AccessKeyID, e.SecretAccessKey)
	if e.Registry, err = testregistry.Start(); err != nil {
		return fail(err)
	}
	if e.Front, err = newFront(e.ECR, e.Registry, e.ca.server); err != nil {
		return fail(err)
	}
	if e.Proxy, err = newProxy(e.Front.Addr); err != nil {
		return fail(err)
	}
	return e, nil
}

// Start starts a fake ECR for the test and closes it when the test ends.
func Start(t testing.TB) *Env {
	t.Helper()
	e, err := New()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(e.Close)
	return e
}

// Close stops everything and removes the files.
func (e *Env) Close() {
	if e.Proxy != nil {
		e.Proxy.Close()
	}
	if e.Front != nil {
		e.Front.Close()
	}
	if e.Registry != nil {
		e.Registry.Close()
	}
	if e.ECR != nil {
		e.ECR.Close()
	}
	if e.dir != "" {
		_ = os.RemoveAll(e.dir)
	}
}

// Ref returns a reference in the fake registry, e.g. Ref("app:1").
func (e *Env) Ref(repoAndTag string) string { return e.Host + "/" + repoAndTag }

// Vars returns the environment of a user whose only AWS setup is the fake's
// credentials: keys in AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, the API
// at AWS_ENDPOINT_URL_ECR, the proxy in HTTPS_PROXY, the CA in
// SSL_CERT_FILE, an empty HOME, and no instance metadata
// (AWS_EC2_METADATA_DISABLED). No region: it comes from the host.
func (e *Env) Vars() map[string]string {
	return map[string]string{
		"AWS_ACCESS_KEY_ID":         e.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":     e.SecretAccessKey,
		"AWS_ENDPOINT_URL_ECR":      e.ECR.URL,
		"AWS_EC2_METADATA_DISABLED": "true",
		"HTTPS_PROXY":               e.Proxy.URL,
		"SSL_CERT_FILE":             e.CAFile,
		"HOME":                      e.Home,
	}
}

// stripped are the variables of the parent environment that Environ and
// Setenv drop, so that nothing of the developer's or CI's own AWS, proxy,
// TLS or docker setup leaks into a test.
func stripped(key string) bool {
	switch strings.ToUpper(key) {
	case "HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY", "ALL_PROXY", "SSL_CERT_FILE", "SSL_CERT_DIR", "HOME",
		"DOCKER_CONFIG", "REGISTRY_AUTH_FILE", "XDG_RUNTIME_DIR", "XDG_CONFIG_HOME":
		return true
	}
	return strings.HasPrefix(strings.ToUpper(key), "AWS_")
}

// Environ returns base (e.g. os.Environ()) without any AWS_*, proxy, TLS,
// HOME or docker config variable, plus Vars: the environment for a
// subprocess that runs the product.
func (e *Env) Environ(base []string) []string {
	out := make([]string, 0, len(base)+8)
	for _, kv := range base {
		k, _, _ := strings.Cut(kv, "=")
		if !stripped(k) {
			out = append(out, kv)
		}
	}
	vars := e.Vars()
	keys := make([]string, 0, len(vars))
	for k := range vars {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		out = append(out, k+"="+vars[k])
	}
	return out
}

// Setenv makes the current process's environment what Environ returns. Go
// reads HTTPS_PROXY and SSL_CERT_FILE once per process, so call it from
// TestMain before any HTTPS request, and only there.
func (e *Env) Setenv() error {
	var errs []error
	for _, kv := range os.Environ() {
		if k, _, _ := strings.Cut(kv, "="); stripped(k) {
			errs = append(errs, os.Unsetenv(k))
		}
	}
	for k, v := range e.Vars() {
		errs = append(errs, os.Setenv(k, v))
	}
	return errors.Join(errs...)
}

// Secrets returns what must never appear in the product's output, logs,
// errors or files: the secret access key and every token the API issued so
// far (passwords and their base64 authorizationTokens).
func (e *Env) Secrets() []string {
	return append([]string{e.SecretAccessKey}, e.ECR.Issued()...)
}

// RemoteOptions are go-containerregistry options to read the fake registry
// from the test process, independently of the product: straight to the
// front (no proxy), trusting the test CA, with a freshly issued token.
func (e *Env) RemoteOptions() []remote.Option {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.Proxy = nil
	tr.TLSClientConfig = &tls.Config{RootCAs: e.ca.pool, MinVersion: tls.VersionTLS12}
	tr.DialContext = func(ctx context.Context, network, _ string) (net.Conn, error) {
		var d net.Dialer
		return d.DialContext(ctx, network, e.Front.Addr)
	}
	return []remote.Option{
		remote.WithTransport(tr),
		remote.WithAuth(&authn.Basic{Username: "AWS", Password: e.ECR.IssueToken()}),
	}
}
