package registry_test

import (
	"strings"
	"testing"

	"github.com/brefimg/brefimg/registry"
)

func TestRedact(t *testing.T) {
	digest := "sha256:" + strings.Repeat("ab", 32)
	tests := []struct{ in, want string }{
		{"registry.example.com/app:1", "registry.example.com/app:1"},
		{"registry.example.com:5000/app@" + digest, "registry.example.com:5000/app@" + digest},
		{"alpine@" + digest, "alpine@" + digest},
		{"ci:s3cret@mirror.example.com", "ci:xxxxx@mirror.example.com"},
		{"https://ci:s3cret@mirror.example.com/hub/", "https://ci:xxxxx@mirror.example.com/hub/"},
		{"ghp_token@mirror.example.com/hub", "xxxxx@mirror.example.com/hub"},
		{"ci:pa/ss@w@rd@host:5000/app:1", "ci:xxxxx@host:5000/app:1"},
		{"ci:s3cret@host/app@" + digest, "ci:xxxxx@host/app@" + digest},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			if got := registry.Redact(tc.in); got != tc.want {
				t.Errorf("Redact(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

// TestReferenceMessages: a reference written as a URL, or holding
// credentials, is refused with what to write instead, never with
// go-containerregistry's advice to Go programmers, never echoing a password.
func TestReferenceMessages(t *testing.T) {
	c, err := registry.New()
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name   string
		parse  func(string) error
		ref    string
		want   []string
		secret string
	}{
		{"http tag", target(c), "http://registry.internal:5000/app:1",
			[]string{`-t "http://registry.internal:5000/app:1"`, "drop the http:// and write registry.internal:5000/app:1", "--insecure-registry registry.internal:5000"}, ""},
		{"https source", source(c), "https://registry.example.com/app:1",
			[]string{"drop the https:// and write registry.example.com/app:1"}, ""},
		{"credentials in a tag", target(c), "ci:s3cret@registry.example.com/app:1",
			[]string{`-t "ci:xxxxx@registry.example.com/app:1"`, "holds credentials", "docker login"}, "s3cret"},
		{"credentials and a scheme", source(c), "http://ci:s3cret@registry.example.com/app:1",
			[]string{`"http://ci:xxxxx@registry.example.com/app:1" is not an image reference: it holds credentials`}, "s3cret"},
		{"malformed", target(c), "UPPER/Case::x", []string{`-t "UPPER/Case::x" is not an image reference`}, ""},
		{"mirror with credentials", mirror, "ci:s3cret@mirror.example.com/hub",
			[]string{`--mirror "ci:xxxxx@mirror.example.com/hub" holds credentials`, "docker login"}, "s3cret"},
		{"mirror URL with credentials", mirror, "https://ci:s3cret@mirror.example.com", []string{"ci:xxxxx@mirror.example.com"}, "s3cret"},
		{"insecure registry with credentials", insecure, "ci:s3cret@registry.internal:5000", []string{"holds credentials"}, "s3cret"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.parse(tc.ref)
			if err == nil {
				t.Fatal("accepted")
			}
			for _, w := range tc.want {
				if !strings.Contains(err.Error(), w) {
					t.Errorf("error %q lacks %q", err, w)
				}
			}
			if strings.Contains(err.Error(), "name.Insecure") || tc.secret != "" && strings.Contains(err.Error(), tc.secret) {
				t.Errorf("error %q shows Go API advice or the password", err)
			}
		})
	}
}

func target(c *registry.Client) func(string) error {
	return func(s string) error { _, err := c.Target(s); return err }
}

func source(c *registry.Client) func(string) error {
	return func(s string) error { _, err := c.Source(s); return err }
}

func mirror(s string) error {
	_, err := registry.New(registry.WithMirror(s))
	return err
}

func insecure(s string) error {
	_, err := registry.New(registry.WithInsecure(s))
	return err
}
