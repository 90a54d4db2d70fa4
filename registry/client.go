package registry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// MaxConfigSize bounds the image configs brefimg reads (manifests are
// bounded by go-containerregistry at 100 MiB): a hostile registry cannot
// make it read gigabytes into memory.
const MaxConfigSize = 16 << 20

// DefaultJobs is the number of blobs pushed in parallel unless WithJobs says otherwise.
const DefaultJobs = 4

// Client reads and pushes images. It is safe for concurrent use.
type Client struct {
	mirror    string // host[/prefix] standing in for Docker Hub, "" for none
	insecure  map[string]bool
	keychain  authn.Keychain
	jobs      int
	userAgent string
	transport http.RoundTripper
	events    func(Event)
	idle      time.Duration
	backoff   remote.Backoff
	hooks     Hooks // see WithHooks
	hooksSet  bool
}

// Option configures a Client.
type Option func(*Client) error

// WithMirror pulls Docker Hub images (such as bref/php-80-fpm) through the
// registry at host[/prefix] instead of from Docker Hub. Credentials in the
// address (user:password@host) are refused, never echoed: they belong in
// the docker config, where every other registry's are.
func WithMirror(mirror string) Option {
	return func(c *Client) error {
		shown := Redact(mirror)
		if shown != mirror {
			return fmt.Errorf("--mirror %q holds credentials, which brefimg does not take in an address (they would show in process lists and logs): "+
				"store them in the docker config (docker login HOST, or $DOCKER_CONFIG/config.json) and pass --mirror HOST[/PREFIX]", shown)
		}
		m := strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(mirror, "https://"), "http://"), "/")
		host, _, _ := strings.Cut(m, "/")
		if _, err := name.NewRegistry(host); err != nil || host == "" {
			return fmt.Errorf("--mirror %q is not HOST[/PREFIX] (e.g. mirror.example.com/dockerhub)", mirror)
		}
		if _, err := name.NewRepository(m + "/bref/probe"); err != nil {
			return fmt.Errorf("--mirror %q is not HOST[/PREFIX] (e.g. mirror.example.com/dockerhub): %v", mirror, err)
		}
		c.mirror = m
		return nil
	}
}

// WithInsecure allows plain HTTP and unverified TLS for these registry hosts.
func WithInsecure(hosts ...string) Option {
	return func(c *Client) error {
		for _, h := range hosts {
			if shown := Redact(h); shown != h {
				return fmt.Errorf("--insecure-registry %q holds credentials: give the host only (HOST or HOST:PORT), and store the credentials in the docker config (docker login HOST)", shown)
			}
			h = strings.TrimSuffix(strings.TrimPrefix(strings.TrimPrefix(h, "https://"), "http://"), "/")
			if _, err := name.NewRegistry(h); err != nil || h == "" || strings.Contains(h, "/") {
				return fmt.Errorf("--insecure-registry %q is not a registry host (HOST or HOST:PORT)", h)
			}
			c.insecure[h] = true
		}
		return nil
	}
}

// WithKeychain sets where credentials come from (default authn.DefaultKeychain:
// the docker config file and its credential helpers).
func WithKeychain(k authn.Keychain) Option {
	return func(c *Client) error {
		if k == nil {
			return errors.New("keychain must not be nil")
		}
		c.keychain = k
		return nil
	}
}

// WithJobs sets how many blobs are pushed in parallel.
func WithJobs(n int) Option {
	return func(c *Client) error {
		if n < 1 {
			return fmt.Errorf("jobs must be greater than zero, got %d", n)
		}
		c.jobs = n
		return nil
	}
}

// WithUserAgent sets the User-Agent sent to registries.
func WithUserAgent(ua string) Option {
	return func(c *Client) error {
		c.userAgent = ua
		return nil
	}
}

// New returns a Client.
func New(opts ...Option) (*Client, error) {
	c := &Client{insecure: map[string]bool{}, keychain: authn.DefaultKeychain, jobs: DefaultJobs, userAgent: "brefimg", idle: DefaultIdleTimeout, backoff: DefaultBackoff}
	for _, o := range opts {
		if err := o(c); err != nil {
			return nil, err
		}
	}
	base := transportWithTimeouts(c.idle)
	loose := base.Clone()
	loose.TLSClientConfig = &tls.Config{InsecureSkipVerify: true} //nolint:gosec // only for hosts the user named with --insecure-registry
	c.transport = &retryAfterTransport{next: &hostTransport{insecure: c.insecure, secure: base, loose: loose}}
	if c.events != nil {
		c.transport = &eventTransport{next: c.transport, fn: c.events}
	}
	return c, nil
}

// hostTransport skips TLS verification only for the hosts named insecure.
type hostTransport struct {
	insecure      map[string]bool
	secure, loose http.RoundTripper
}

func (t *hostTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	if t.insecure[r.URL.Host] {
		return t.loose.RoundTrip(r)
	}
	return t.secure.RoundTrip(r)
}

func (c *Client) nameOptions(host string) []name.Option {
	if c.insecure[host] {
		return []name.Option{name.Insecure}
	}
	return nil
}

// Target parses a reference to push to (-t). It is never rewritten by the mirror.
func (c *Client) Target(s string) (name.Reference, error) {
	ref, err := ParseReference(s)
	if err != nil {
		return nil, fmt.Errorf("-t %w (e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1)", err)
	}
	if _, ok := ref.(name.Digest); ok {
		return nil, fmt.Errorf("-t %q names a digest: push to a tag (repository:tag) instead", s)
	}
	return name.ParseReference(s, c.nameOptions(ref.Context().RegistryStr())...)
}

// Source parses a reference to pull from. Docker Hub names (bref/php-80-fpm:1)
// go through the mirror when one is set.
func (c *Client) Source(s string) (name.Reference, error) {
	ref, err := ParseReference(s)
	if err != nil {
		return nil, err
	}
	if c.mirror != "" && ref.Context().RegistryStr() == name.DefaultRegistry {
		mirrored := c.mirror + "/" + ref.Context().RepositoryStr()
		switch r := ref.(type) {
		case name.Digest:
			mirrored += "@" + r.DigestStr()
		case name.Tag:
			mirrored += ":" + r.TagStr()
		}
		ref, err = name.ParseReference(mirrored)
		if err != nil {
			return nil, fmt.Errorf("%q through mirror %q: %v", s, c.mirror, err)
		}
	}
	return name.ParseReference(ref.String(), c.nameOptions(ref.Context().RegistryStr())...)
}

// remoteOptions are the go-containerregistry options for reading or pushing
// ref through rt (c.transport, or a wrapper of it).
func (c *Client) remoteOptions(ctx context.Context, ref name.Reference, rt http.RoundTripper) []remote.Option {
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(c.keychain),
		remote.WithTransport(rt),
		remote.WithJobs(c.jobs),
		remote.WithUserAgent(c.userAgent),
		remote.WithRetryBackoff(c.backoff),
		remote.WithRetryPredicate(Retryable),
	}
	if c.hooks.RemoteOptions != nil {
		opts = append(opts, c.hooks.RemoteOptions(ref)...)
	}
	return opts
}

// Resolved says where an image was actually read from.
type Resolved struct {
	// Ref is the reference as asked for, e.g. "bref/php-80-fpm:1".
	Ref string `json:"ref"`
	// Name is the reference actually pulled (after the mirror).
	Name string `json:"pulled"`
	// Digest is the digest of the image manifest used (the platform's child when Ref is an index).
	Digest v1.Hash `json:"digest"`
	// Index is the digest of the index Ref pointed at, if it was one.
	Index *v1.Hash `json:"index,omitempty"`
}

// Image reads the image s for platform: its manifest and config only; layers
// are fetched lazily, when something reads them. An index is resolved to
// the child for platform; an image of another platform is an error. The
// zero platform takes the image whatever its platform, and refuses an
// index (Lambda runs single-platform images only). A broken image (see
// validate) is refused as an input error before anything uses it.
func (c *Client) Image(ctx context.Context, s string, platform v1.Platform) (v1.Image, Resolved, error) {
	res := Resolved{Ref: s}
	ref, err := c.Source(s)
	if err != nil {
		return nil, res, &Error{Op: "reading", Ref: Redact(s), Err: err, input: true}
	}
	res.Name = ref.String()
	img, index, err := c.image(ctx, s, ref, platform)
	if err != nil {
		return nil, res, err
	}
	res.Index = index
	if err := c.validate(ctx, img, s, ref); err != nil {
		return nil, res, err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, res, c.readFailure(ctx, "config", s, ref, err)
	}
	got := cf.Platform()
	if got == nil || platform.OS != "" && (got.OS != platform.OS || got.Architecture != platform.Architecture) {
		return nil, res, &Error{Op: "checking platform of", Ref: s, input: true,
			Err: fmt.Errorf("the image is %s, not %s: use an image built for %s, or build for %s", platformString(got), platformString(&platform), platformString(&platform), platformString(got))}
	}
	if res.Digest, err = img.Digest(); err != nil {
		return nil, res, c.explain(ctx, "reading", s, ref, err)
	}
	return img, res, nil
}

// image reads the manifest ref names, resolving an index to its child for
// platform (whose digest it returns too).
func (c *Client) image(ctx context.Context, s string, ref name.Reference, platform v1.Platform) (v1.Image, *v1.Hash, error) {
	desc, err := remote.Get(ref, c.remoteOptions(ctx, ref, c.transport)...)
	if err != nil {
		return nil, nil, c.explain(ctx, "pulling", s, ref, err)
	}
	if !desc.MediaType.IsIndex() {
		img, err := desc.Image()
		if errors.Is(err, remote.ErrSchema1) {
			return nil, nil, brokenImage(s, ref, "it is a Docker schema 1 image, a format registries and Lambda no longer take")
		}
		if err != nil {
			return nil, nil, c.explain(ctx, "reading", s, ref, err)
		}
		return img, nil, nil
	}
	if platform.OS == "" {
		return nil, nil, &Error{Op: "reading", Ref: s, input: true,
			Err: errors.New("it is an index (a multi-platform image), and Lambda runs one platform's image: name that image by its digest")}
	}
	idx, err := desc.ImageIndex()
	if err != nil {
		return nil, nil, c.explain(ctx, "reading index of", s, ref, err)
	}
	child, err := pickPlatform(idx, platform)
	if err != nil {
		return nil, nil, &Error{Op: "choosing platform in", Ref: s, Err: err, input: true}
	}
	img, err := idx.Image(child)
	if err != nil {
		return nil, nil, c.explain(ctx, "pulling", s, ref, err)
	}
	d := desc.Digest
	return img, &d, nil
}

func pickPlatform(idx v1.ImageIndex, want v1.Platform) (v1.Hash, error) {
	m, err := idx.IndexManifest()
	if err != nil {
		return v1.Hash{}, err
	}
	var have []string
	for _, d := range m.Manifests {
		if d.Platform == nil {
			continue
		}
		if d.Platform.OS == want.OS && d.Platform.Architecture == want.Architecture &&
			(want.Variant == "" || d.Platform.Variant == want.Variant) {
			return d.Digest, nil
		}
		have = append(have, platformString(d.Platform))
	}
	return v1.Hash{}, fmt.Errorf("the index has no %s image (it has %s): build for one of those platforms, or use an image built for %s", platformString(&want), strings.Join(have, ", "), platformString(&want))
}

func platformString(p *v1.Platform) string {
	if p == nil {
		return "an image of unknown platform"
	}
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// Push writes img to every tag and returns the digest reference of each
// (repository@sha256:…). Blobs a target already has are not sent again;
// layers that live in the same registry are mounted. The manifest is only
// put once every blob is there, so a failed push never moves a tag. The
// hooks' BeforePush (see WithHooks) runs before each target is written.
// Each digest reference returned was checked against the registry: it
// answered the manifest with that digest and serves it (see verifyPushed).
func (c *Client) Push(ctx context.Context, img v1.Image, tags []name.Reference) ([]name.Digest, error) {
	d, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("computing image digest: %w", err)
	}
	out := make([]name.Digest, 0, len(tags))
	for _, t := range tags {
		if c.hooks.BeforePush != nil {
			if err := c.hooks.BeforePush(ctx, t); err != nil {
				return out, wrap("pushing to", t.String(), t, err)
			}
		}
		rec := &manifestRecorder{next: c.transport}
		opts := c.remoteOptions(ctx, t, rec)
		if err := remote.Write(t, img, opts...); err != nil {
			return out, c.explain(ctx, "pushing to", t.String(), t, err)
		}
		pushed := t.Context().Digest(d.String())
		if err := c.verifyPushed(ctx, t, pushed, rec.answered(t), opts); err != nil {
			return out, err
		}
		out = append(out, pushed)
	}
	return out, nil
}

// verifyPushed checks that the registry holds the manifest brefimg computed
// under the digest it is about to print: the digest the registry answered
// the manifest PUT with (Docker-Content-Digest, when it sent one of the same
// algorithm) is that digest, and a HEAD of pushed (the repository by that
// digest, with the push's options) finds it. A registry, or a proxy, that
// stores another manifest, or none, fails the push (exit 1) rather than
// print a reference that does not resolve.
func (c *Client) verifyPushed(ctx context.Context, t name.Reference, pushed name.Digest, answered string, opts []remote.Option) error {
	fail := func(format string, args ...any) error {
		return &Error{Op: "pushing to", Ref: t.String(), Registry: t.Context().RegistryStr(),
			Err: fmt.Errorf(format+"; %s would not resolve, so it is not printed", append(args, pushed)...)}
	}
	want, err := v1.NewHash(pushed.DigestStr())
	if err != nil {
		return fmt.Errorf("checking the push to %s: %w", t, err)
	}
	if got, err := v1.NewHash(answered); err == nil && got.Algorithm == want.Algorithm && got != want {
		return fail("the registry stored the manifest as %s, not as %s, the digest of the image brefimg built: "+
			"something between brefimg and the registry (a proxy, a mirror) rewrote it", got, want)
	}
	err = c.headPushed(ctx, pushed, opts)
	switch {
	case err == nil:
		return nil
	case notFound(err):
		return fail("the registry accepted the manifest but does not serve %s: something between brefimg and the registry "+
			"(a proxy, a mirror) answered for it, or rewrote it", want)
	case transportFailure(err):
		return c.explain(ctx, "checking the push to", t.String(), t, err)
	}
	return fail("the registry does not serve %s as brefimg built it (%v)", want, err)
}

// headPushed asks the registry for pushed (HEAD), again while it answers
// 404, as the Client's backoff says: a registry may serve a manifest a
// moment after it stored it.
func (c *Client) headPushed(ctx context.Context, pushed name.Digest, opts []remote.Option) error {
	b := c.backoff
	for {
		_, err := remote.Head(pushed, opts...)
		if err == nil || !notFound(err) || b.Steps <= 1 {
			return err
		}
		timer := time.NewTimer(b.Step())
		select {
		case <-ctx.Done():
			timer.Stop()
			return ctx.Err()
		case <-timer.C:
		}
	}
}

// notFound reports whether err is a registry's 404 answer.
func notFound(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && terr.StatusCode == http.StatusNotFound
}

// manifestRecorder records the Docker-Content-Digest the registry answers
// to each manifest PUT that stores one.
type manifestRecorder struct {
	next http.RoundTripper

	mu      sync.Mutex
	digests map[string]string // by request path
}

func (m *manifestRecorder) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := m.next.RoundTrip(r)
	if err != nil || r.Method != http.MethodPut || resp.StatusCode/100 != 2 || !strings.Contains(r.URL.Path, "/manifests/") {
		return resp, err
	}
	if d := resp.Header.Get("Docker-Content-Digest"); d != "" {
		m.mu.Lock()
		defer m.mu.Unlock()
		if m.digests == nil {
			m.digests = map[string]string{}
		}
		m.digests[r.URL.Path] = d
	}
	return resp, nil
}

// answered returns the digest the registry answered the manifest PUT of t with, or "".
func (m *manifestRecorder) answered(t name.Reference) string {
	m.mu.Lock()
	defer m.mu.Unlock()
	return m.digests["/v2/"+t.Context().RepositoryStr()+"/manifests/"+t.Identifier()]
}
