package registry

import (
	"context"
	"errors"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Hooks adapt a Client to one kind of registry, such as Amazon ECR (see
// package registry/ecr), without the Client knowing about it. Every field is
// optional; a nil field changes nothing.
type Hooks struct {
	// BeforePush runs once per target, in order, before the image is pushed
	// to it (e.g. to create the repository). An error stops Push before
	// anything is written to that target; it is reported like a push error
	// and is the user's to fix if it has an IsInput() bool method that
	// returns true.
	BeforePush func(ctx context.Context, target name.Reference) error

	// Explain may replace the cause of a failed read or push of ref with an
	// error the user can act on. It returns nil to keep the default
	// explanation. The replacement is the user's to fix if it has an
	// IsInput() bool method that returns true.
	Explain func(ref name.Reference, err error) error

	// RemoteOptions returns extra go-containerregistry options for reading
	// or pushing ref (e.g. retries and backoff), applied after the Client's
	// own. It must not set the transport, the credentials or the jobs: those
	// belong to the Client.
	RemoteOptions func(ref name.Reference) []remote.Option
}

// WithHooks adapts the Client to a kind of registry (see Hooks). It may be
// given once.
func WithHooks(h Hooks) Option {
	return func(c *Client) error {
		if c.hooksSet {
			return errors.New("hooks are already set: give WithHooks once")
		}
		c.hooks, c.hooksSet = h, true
		return nil
	}
}

// inputError is implemented by errors that know whether the user must fix them.
type inputError interface {
	IsInput() bool
}

// explain wraps err like wrap does, letting the hooks explain it first. A
// 401 or 403 answer to a request that carried no credentials says that none
// were found, and where brefimg looked.
func (c *Client) explain(ctx context.Context, op, s string, ref name.Reference, err error) error {
	if c.hooks.Explain != nil {
		if x := c.hooks.Explain(ref, err); x != nil {
			e := &Error{Op: op, Ref: s, Registry: ref.Context().RegistryStr(), Err: x}
			var in inputError
			e.input = errors.As(x, &in) && in.IsInput()
			return e
		}
	}
	e := wrap(op, s, ref, err)
	if e.input && refusedAuth(err) && c.anonymous(ctx, ref) {
		e.Err = noCredentials(e.Registry, err)
	}
	return e
}

// anonymous reports whether the keychain has no credentials for ref's registry.
func (c *Client) anonymous(ctx context.Context, ref name.Reference) bool {
	a, err := authn.Resolve(ctx, c.keychain, ref.Context())
	return err == nil && a == authn.Anonymous
}
