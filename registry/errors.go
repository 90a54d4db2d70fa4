package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// Error is a failed registry operation. It names the reference and the
// registry, never a credential.
type Error struct {
	// Op is what was being done, e.g. "pulling".
	Op string
	// Ref is the reference as the user gave it.
	Ref string
	// Registry is the host that answered (or did not).
	Registry string
	// Err is the cause.
	Err error

	input bool
}

func (e *Error) Error() string {
	where := ""
	if e.Registry != "" {
		where = " from " + e.Registry
		if strings.HasPrefix(e.Op, "pushing") {
			where = " at " + e.Registry
		}
	}
	return fmt.Sprintf("%s %s%s: %v", e.Op, e.Ref, where, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// IsInput reports whether the error is the user's to fix (a wrong reference,
// a registry that is unreachable or refuses the credentials, an image that
// does not exist) rather than a failure during the build.
func (e *Error) IsInput() bool { return e.input }

// wrap classifies err and adds a hint a user can act on. A cause that has
// an IsInput() bool method (such as an error from a keychain or a hook)
// decides for itself and keeps its message.
func wrap(op, s string, ref name.Reference, err error) error {
	e := &Error{Op: op, Ref: s, Registry: ref.Context().RegistryStr(), Err: err}
	var in inputError
	if errors.As(err, &in) {
		e.input = in.IsInput()
		return e
	}
	var terr *transport.Error
	var dnsErr *net.DNSError
	var opErr *net.OpError
	var verifyErr *tls.CertificateVerificationError
	var authErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	switch {
	case errors.As(err, &terr):
		switch terr.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			e.input = true
			e.Err = fmt.Errorf("%s: the registry refused the credentials (log in with docker login or a credential helper, or check the repository's permissions)", statusText(terr))
		case http.StatusNotFound:
			e.input = true
			e.Err = fmt.Errorf("%s: no such image or repository (check the name and tag)", statusText(terr))
		default:
			e.Err = fmt.Errorf("%s", statusText(terr))
		}
	case errors.As(err, &verifyErr), errors.As(err, &authErr), errors.As(err, &hostErr), errors.As(err, &invalidErr):
		e.input = true
		e.Err = fmt.Errorf("registry %s has a TLS certificate brefimg does not trust (%v): install its CA (SSL_CERT_FILE), or allow it with --insecure-registry %s", e.Registry, err, e.Registry)
	case errors.As(err, &dnsErr):
		e.input = true
		e.Err = fmt.Errorf("registry %s is unreachable: %v", e.Registry, err)
	case errors.As(err, &opErr) && opErr.Op == "dial":
		e.input = true
		e.Err = fmt.Errorf("registry %s is unreachable (%v): check the host name and port, or the network", e.Registry, opErr.Err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		e.input = true
		e.Err = fmt.Errorf("registry %s speaks plain HTTP: allow it with --insecure-registry %s", e.Registry, e.Registry)
	}
	return e
}

// statusText renders a registry error without the request URL, keeping its
// code and message (registries' error bodies never hold the credentials).
func statusText(t *transport.Error) string {
	status := fmt.Sprintf("%d %s", t.StatusCode, http.StatusText(t.StatusCode))
	if len(t.Errors) > 0 {
		parts := make([]string, 0, len(t.Errors))
		for _, d := range t.Errors {
			parts = append(parts, fmt.Sprintf("%s: %s", d.Code, d.Message))
		}
		return status + ": " + strings.Join(parts, "; ")
	}
	return status
}

// IsInput reports whether err (or what it wraps) is a registry error the user must fix.
func IsInput(err error) bool {
	var e *Error
	return errors.As(err, &e) && e.input
}
