package ecr

import (
	"context"
	"encoding/base64"
	"errors"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/authn"
)

// RefreshBefore is how long before its expiry a cached ECR token is
// replaced by a new one. ECR tokens last 12 hours.
const RefreshBefore = 10 * time.Minute

// opToken is the Op of errors about getting a token.
const opToken = "getting an ECR authorization token for"

// Keychain finds credentials for registries. For a private ECR host (see
// ParseHost) it uses, in this order:
//
//  1. the fallback keychain (by default authn.DefaultKeychain: the docker
//     config file and its credential helpers), if it has an entry for the
//     host, as `docker push` would after `docker login` or with the ECR
//     credential helper configured;
//  2. otherwise a token from ECR's GetAuthorizationToken, called with the
//     AWS SDK's default credential chain (environment, shared config and
//     credentials files, SSO, credential_process, web identity, ECS and EC2
//     roles) in the host's region.
//
// Tokens are cached per registry host for the life of the Keychain, shared
// by concurrent uploads, and fetched again when less than RefreshBefore of
// their validity is left, so a long push never sends an expired token. Every
// other host is left to the fallback keychain.
//
// A Keychain never writes, logs or returns a token in an error.
type Keychain struct {
	fallback authn.Keychain
	now      func() time.Time

	mu     sync.Mutex
	tokens map[string]*token // by host name
}

var (
	_ authn.Keychain        = (*Keychain)(nil)
	_ authn.ContextKeychain = (*Keychain)(nil)
)

// KeychainOption configures a Keychain.
type KeychainOption func(*Keychain) error

// WithFallback sets the keychain used for every host that is not a private
// ECR registry, and first for ECR hosts it has an entry for (default
// authn.DefaultKeychain).
func WithFallback(k authn.Keychain) KeychainOption {
	return func(kc *Keychain) error {
		if k == nil {
			return errors.New("fallback keychain must not be nil")
		}
		kc.fallback = k
		return nil
	}
}

// NewKeychain returns a Keychain with an empty token cache.
func NewKeychain(opts ...KeychainOption) (*Keychain, error) {
	k := &Keychain{fallback: authn.DefaultKeychain, now: time.Now, tokens: map[string]*token{}}
	for _, o := range opts {
		if err := o(k); err != nil {
			return nil, err
		}
	}
	return k, nil
}

// Resolve implements authn.Keychain.
func (k *Keychain) Resolve(r authn.Resource) (authn.Authenticator, error) {
	return k.ResolveContext(context.Background(), r)
}

// ResolveContext implements authn.ContextKeychain. For an ECR host without
// an entry in the fallback keychain it gets a token right away, so that
// missing credentials or permissions are reported before any upload.
func (k *Keychain) ResolveContext(ctx context.Context, r authn.Resource) (authn.Authenticator, error) {
	host, ok := ParseHost(r.RegistryStr())
	if !ok {
		return authn.Resolve(ctx, k.fallback, r)
	}
	// A broken docker config (or a missing credential helper) must not
	// stand in the way of AWS credentials: its error is ignored here.
	if a, err := authn.Resolve(ctx, k.fallback, r); err == nil && a != authn.Anonymous {
		return a, nil
	}
	a := &authenticator{k: k, host: host}
	if _, err := a.AuthorizationContext(ctx); err != nil {
		return nil, err
	}
	return a, nil
}

// token is the cached ECR token of one registry.
type token struct {
	mu       sync.Mutex // held while fetching, so concurrent callers wait for one fetch
	user     string
	password string
	expires  time.Time
}

// authenticator hands out the registry's cached token, refreshing it.
type authenticator struct {
	k    *Keychain
	host Host
}

var _ authn.ContextAuthenticator = (*authenticator)(nil)

// Authorization implements authn.Authenticator.
func (a *authenticator) Authorization() (*authn.AuthConfig, error) {
	return a.AuthorizationContext(context.Background())
}

// AuthorizationContext implements authn.ContextAuthenticator.
func (a *authenticator) AuthorizationContext(ctx context.Context) (*authn.AuthConfig, error) {
	user, password, err := a.k.token(ctx, a.host)
	if err != nil {
		return nil, err
	}
	return &authn.AuthConfig{Username: user, Password: password}, nil
}

// String names the authenticator without its token.
func (a *authenticator) String() string { return "ECR token for " + a.host.Name }

// token returns the host's cached token, getting a new one if there is none
// or it expires within RefreshBefore. If getting a new one fails while the
// cached one is still valid, the cached one is used.
func (k *Keychain) token(ctx context.Context, host Host) (user, password string, err error) {
	k.mu.Lock()
	t, ok := k.tokens[host.Name]
	if !ok {
		t = &token{}
		k.tokens[host.Name] = t
	}
	k.mu.Unlock()

	t.mu.Lock()
	defer t.mu.Unlock()
	now := k.now()
	if t.password != "" && now.Before(t.expires.Add(-RefreshBefore)) {
		return t.user, t.password, nil
	}
	u, p, exp, err := getToken(ctx, host, now)
	if err != nil {
		if t.password != "" && now.Before(t.expires) {
			return t.user, t.password, nil
		}
		return "", "", err
	}
	t.user, t.password, t.expires = u, p, exp
	return u, p, nil
}

// getToken calls GetAuthorizationToken for the host's registry.
func getToken(ctx context.Context, host Host, now time.Time) (user, password string, expires time.Time, err error) {
	fail := func(err error) (string, string, time.Time, error) {
		return "", "", time.Time{}, translate(opToken, host, "", ActionGetAuthorizationToken, err)
	}
	client, err := newClient(ctx, host)
	if err != nil {
		return fail(err)
	}
	// No RegistryIds (deprecated): the token is valid for every registry the
	// principal may access; it is still cached per registry host.
	out, err := client.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil {
		return fail(err)
	}
	for _, d := range out.AuthorizationData {
		if d.AuthorizationToken == nil {
			continue
		}
		// Never put the token, or any part of it, in an error.
		raw, err := base64.StdEncoding.DecodeString(*d.AuthorizationToken)
		if err != nil {
			return fail(errors.New("ECR returned an authorization token that is not base64"))
		}
		u, p, ok := strings.Cut(string(raw), ":")
		if !ok || u == "" || p == "" {
			return fail(errors.New("ECR returned an authorization token that is not user:password"))
		}
		exp := aws.ToTime(d.ExpiresAt)
		if exp.IsZero() {
			exp = now.Add(time.Hour) // ECR always says; assume little if it did not
		}
		return u, p, exp, nil
	}
	return fail(errors.New("ECR returned no authorization token"))
}
