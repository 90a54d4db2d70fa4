package registry

import (
	"context"
	"crypto/tls"
	"crypto/x509"
	"errors"
	"fmt"
	"net"
	"net/http"
	"os"
	"path/filepath"
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

// IsInput reports whether the error is the user's to fix (a wrong
// reference, an image that does not exist or is broken, credentials the
// registry refuses, a plain-HTTP or untrusted registry not allowed with
// --insecure-registry) rather than a failure of the build, the network or
// the registry (exit 1, which CI may retry).
func (e *Error) IsInput() bool { return e.input }

// inputErrorf is an *Error the user must fix.
func inputErrorf(op, ref, registry, format string, args ...any) *Error {
	return &Error{Op: op, Ref: ref, Registry: registry, Err: fmt.Errorf(format, args...), input: true}
}

// wrap classifies err and adds a hint a user can act on. A cause that has
// an IsInput() bool method (such as an error from a keychain or a hook)
// decides for itself and keeps its message.
func wrap(op, s string, ref name.Reference, err error) *Error {
	e := &Error{Op: op, Ref: s, Registry: ref.Context().RegistryStr(), Err: err}
	var in inputError
	if errors.As(err, &in) {
		e.input = in.IsInput()
		return e
	}
	e.Err, e.input = classify(e.Registry, err)
	return e
}

// classify explains a cause wrap has no better explanation for, and says
// whether the user must fix it. Failures to reach the registry (DNS, a
// refused or dropped connection, a failed TLS handshake) are not: the same
// command may work a minute later.
func classify(host string, err error) (error, bool) {
	var terr *transport.Error
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &terr):
		return explainStatus(terr)
	case untrustedCertificate(err):
		return fmt.Errorf("registry %s has a TLS certificate brefimg does not trust (%v): install its CA (SSL_CERT_FILE), or allow it with --insecure-registry %s", host, err, host), true
	case strings.Contains(err.Error(), "server gave HTTP response to HTTPS client"):
		return fmt.Errorf("registry %s speaks plain HTTP: allow it with --insecure-registry %s", host, host), true
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
		return err, false
	case errors.As(err, &dnsErr):
		return fmt.Errorf("registry %s is unreachable: its name does not resolve (%v): check the host name, or the network and DNS", host, dnsErr), false
	case errors.As(err, &opErr) && opErr.Op == "dial":
		return fmt.Errorf("registry %s is unreachable (%v): check the host name and port, or the network", host, opErr.Err), false
	case errors.As(err, &opErr) && opErr.Op == "proxyconnect":
		return fmt.Errorf("registry %s is unreachable through the proxy (%v): check HTTPS_PROXY, or the network", host, opErr.Err), false
	case errors.As(err, &opErr) && opErr.Op == "remote error":
		return fmt.Errorf("registry %s is unreachable: it ended the TLS handshake (%v): check the host name and port, and any proxy or firewall on the way", host, opErr.Err), false
	case ConnectionLost(err):
		return fmt.Errorf("registry %s dropped the connection (%v): check the network, and any proxy or firewall on the way", host, err), false
	}
	return err, false
}

// untrustedCertificate reports whether err is a TLS certificate brefimg
// cannot verify: a configuration to fix, not a network failure.
func untrustedCertificate(err error) bool {
	var verifyErr *tls.CertificateVerificationError
	var authErr x509.UnknownAuthorityError
	var hostErr x509.HostnameError
	var invalidErr x509.CertificateInvalidError
	return errors.As(err, &verifyErr) || errors.As(err, &authErr) || errors.As(err, &hostErr) || errors.As(err, &invalidErr)
}

// explainStatus explains a registry's error answer. Refused credentials
// and missing images are the user's to fix; any other answer (5xx, 429,
// a proxy's 502) is the registry's.
func explainStatus(terr *transport.Error) (error, bool) {
	switch terr.StatusCode {
	case http.StatusUnauthorized, http.StatusForbidden:
		return fmt.Errorf("%s: the registry refused the credentials (log in with docker login or a credential helper, or check the repository's permissions)", statusText(terr)), true
	case http.StatusNotFound:
		return fmt.Errorf("%s: no such image or repository (check the name and tag)", statusText(terr)), true
	}
	return errors.New(statusText(terr)), false
}

// refusedAuth reports whether err is a registry's 401 or 403 answer.
func refusedAuth(err error) bool {
	var terr *transport.Error
	return errors.As(err, &terr) && (terr.StatusCode == http.StatusUnauthorized || terr.StatusCode == http.StatusForbidden)
}

// noCredentials explains a 401 or 403 answer to a request sent without
// credentials: none were found for host, and where brefimg looked.
func noCredentials(host string, err error) error {
	var terr *transport.Error
	errors.As(err, &terr)
	where := "the docker config " + dockerConfigFile() + " and the credential helpers it names, and in Podman's auth file ($REGISTRY_AUTH_FILE)"
	if looksLikeECR(host) {
		where += ", and for Amazon ECR in the AWS SDK's default credential chain (AWS_ACCESS_KEY_ID, AWS_PROFILE, SSO, web identity, instance roles)"
	}
	return fmt.Errorf("%s: the registry wants credentials and brefimg found none for %s: it looked in %s; log in with docker login %s (or a credential helper), or check the image name",
		statusText(terr), host, where, host)
}

// dockerConfigFile is the docker config file brefimg reads credentials from.
func dockerConfigFile() string {
	if dir := os.Getenv("DOCKER_CONFIG"); dir != "" {
		return filepath.Join(dir, "config.json") + " (from $DOCKER_CONFIG)"
	}
	return "~/.docker/config.json (set $DOCKER_CONFIG for another directory)"
}

// looksLikeECR reports whether host is an Amazon ECR registry (see
// package registry/ecr for the exact rules).
func looksLikeECR(host string) bool {
	return strings.Contains(host, ".dkr.ecr.") || strings.Contains(host, ".dkr.ecr-fips.") || strings.Contains(host, ".dkr-ecr.")
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
