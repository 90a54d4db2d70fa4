package registry

import (
	"context"
	"crypto/tls"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
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
// registry at host[/prefix] instead of from Docker Hub.
func WithMirror(mirror string) Option {
	return func(c *Client) error {
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
	ref, err := name.ParseReference(s)
	if err != nil {
		return nil, fmt.Errorf("-t %q is not an image reference (e.g. 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1): %v", s, err)
	}
	if _, ok := ref.(name.Digest); ok {
		return nil, fmt.Errorf("-t %q names a digest: push to a tag (repository:tag) instead", s)
	}
	return name.ParseReference(s, c.nameOptions(ref.Context().RegistryStr())...)
}

// Source parses a reference to pull from. Docker Hub names (bref/php-80-fpm:1)
// go through the mirror when one is set.
func (c *Client) Source(s string) (name.Reference, error) {
	ref, err := name.ParseReference(s)
	if err != nil {
		return nil, fmt.Errorf("%q is not an image reference: %v", s, err)
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

func (c *Client) remoteOptions(ctx context.Context, ref name.Reference) []remote.Option {
	opts := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(c.keychain),
		remote.WithTransport(c.transport),
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
	Ref string
	// Name is the reference actually pulled (after the mirror).
	Name string
	// Digest is the digest of the image manifest used (the platform's child when Ref is an index).
	Digest v1.Hash
	// Index is the digest of the index Ref pointed at, if it was one.
	Index *v1.Hash
}

// Image reads the image s for platform: its manifest and config only; layers
// are fetched lazily, when something reads them. An index is resolved to
// the child for platform; an image of another platform is an error. The
// zero platform takes the image whatever its platform, and refuses an
// index (Lambda runs single-platform images only).
func (c *Client) Image(ctx context.Context, s string, platform v1.Platform) (v1.Image, Resolved, error) {
	res := Resolved{Ref: s}
	ref, err := c.Source(s)
	if err != nil {
		return nil, res, &Error{Op: "reading", Ref: s, Err: err, input: true}
	}
	res.Name = ref.String()
	desc, err := remote.Get(ref, c.remoteOptions(ctx, ref)...)
	if err != nil {
		return nil, res, c.explain("pulling", s, ref, err)
	}
	var img v1.Image
	anyPlatform := platform.OS == ""
	if desc.MediaType.IsIndex() && anyPlatform {
		return nil, res, &Error{Op: "reading", Ref: s, input: true,
			Err: errors.New("it is an index (a multi-platform image), and Lambda runs one platform's image: name that image by its digest")}
	}
	if desc.MediaType.IsIndex() {
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, res, c.explain("reading index of", s, ref, err)
		}
		child, err := pickPlatform(idx, platform)
		if err != nil {
			return nil, res, &Error{Op: "choosing platform in", Ref: s, Err: err, input: true}
		}
		d := desc.Digest
		res.Index = &d
		img, err = idx.Image(child)
		if err != nil {
			return nil, res, c.explain("pulling", s, ref, err)
		}
	} else {
		img, err = desc.Image()
		if err != nil {
			return nil, res, c.explain("reading", s, ref, err)
		}
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, res, c.explain("reading manifest of", s, ref, err)
	}
	if m.Config.Size > MaxConfigSize || m.Config.Size < 0 {
		return nil, res, &Error{Op: "reading", Ref: s, Registry: ref.Context().RegistryStr(), input: true,
			Err: fmt.Errorf("its config is %d bytes, more than any image needs (%d at most): refusing it", m.Config.Size, MaxConfigSize)}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, res, c.explain("reading config of", s, ref, err)
	}
	got := cf.Platform()
	if got == nil || !anyPlatform && (got.OS != platform.OS || got.Architecture != platform.Architecture) {
		return nil, res, &Error{Op: "checking platform of", Ref: s, input: true,
			Err: fmt.Errorf("the image is %s, not %s: use an image built for %s, or build for %s", platformString(got), platformString(&platform), platformString(&platform), platformString(got))}
	}
	if res.Digest, err = img.Digest(); err != nil {
		return nil, res, c.explain("reading", s, ref, err)
	}
	return img, res, nil
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
		if err := remote.Write(t, img, c.remoteOptions(ctx, t)...); err != nil {
			return out, c.explain("pushing to", t.String(), t, err)
		}
		out = append(out, t.Context().Digest(d.String()))
	}
	return out, nil
}
