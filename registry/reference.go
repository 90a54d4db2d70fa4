package registry

import (
	"fmt"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
)

// ParseReference parses s as an image reference, with name's options. Its
// errors quote s with any credentials hidden (see [Redact]) and say what to
// write instead of the two mistakes name explains in terms of its own Go
// API: a URL scheme (http://host/app:1) and credentials in the host
// (user:password@host/app:1), which brefimg takes from the docker config only.
func ParseReference(s string, opts ...name.Option) (name.Reference, error) {
	if shown := Redact(s); shown != s {
		return nil, fmt.Errorf("%q is not an image reference: it holds credentials, which brefimg does not take in a reference "+
			"(they would show in logs): store them in the docker config (docker login HOST, or $DOCKER_CONFIG/config.json) "+
			"and write HOST/REPOSITORY:TAG", shown)
	}
	if scheme, rest, ok := strings.Cut(s, "://"); ok {
		return nil, schemeError(s, strings.ToLower(scheme), rest)
	}
	ref, err := name.ParseReference(s, opts...)
	if err != nil {
		return nil, fmt.Errorf("%q is not an image reference: %v", s, err)
	}
	return ref, nil
}

// schemeError explains a reference written as a URL.
func schemeError(s, scheme, rest string) error {
	host, _, _ := strings.Cut(rest, "/")
	hint := fmt.Sprintf("drop the %s:// and write %s", scheme, rest)
	if scheme == "http" {
		hint += fmt.Sprintf(", and pass --insecure-registry %s to reach a registry that speaks plain HTTP", host)
	}
	return fmt.Errorf("%q is not an image reference: an image reference has no URL scheme: %s", s, hint)
}

// Redact hides the credentials a reference or registry address may hold:
// "user:password@host/app:1" becomes "user:xxxxx@host/app:1". A user name
// alone ("token@host") may be a token and is hidden too. A digest
// ("app@sha256:…") is not a credential and is kept.
func Redact(s string) string {
	body, digest := s, ""
	if i := strings.LastIndex(s, "@"); i >= 0 && isDigest(s[i+1:]) {
		body, digest = s[:i], s[i:]
	}
	start := 0
	if i := strings.Index(body, "://"); i >= 0 {
		start = i + len("://")
	}
	at := strings.LastIndex(body, "@")
	if at < start || !isUserinfo(body[start:], at-start) {
		return s
	}
	hidden := "xxxxx"
	if user, _, ok := strings.Cut(body[start:at], ":"); ok {
		hidden = user + ":xxxxx"
	}
	return body[:start] + hidden + body[at:] + digest
}

// isUserinfo reports whether the @ at index at of s (a reference without
// scheme or digest) ends credentials: it comes before the first /, or the
// text before that / is "user:password", not "host:port" (a password may
// hold a /).
func isUserinfo(s string, at int) bool {
	slash := strings.Index(s, "/")
	if slash < 0 || at < slash {
		return true
	}
	_, port, ok := strings.Cut(s[:slash], ":")
	return ok && strings.Trim(port, "0123456789") != ""
}

// isDigest reports whether s is "algorithm:hex", as after the @ of a
// reference by digest.
func isDigest(s string) bool {
	algo, hex, ok := strings.Cut(s, ":")
	if !ok || hex == "" {
		return false
	}
	switch algo {
	case "sha256", "sha384", "sha512":
	default:
		return false
	}
	return strings.Trim(hex, "0123456789abcdefABCDEF") == ""
}
