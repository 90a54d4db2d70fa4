package registry

import (
	"net/http"
	"strings"
)

// EventKind says what happened to a blob or manifest on a registry.
type EventKind string

// Event kinds, as a push reports them.
const (
	// BlobExisting: the target already had the blob; nothing was sent.
	BlobExisting EventKind = "existing"
	// BlobMounted: the registry linked the blob from another repository; nothing was sent.
	BlobMounted EventKind = "mounted"
	// BlobPushed: the blob was uploaded.
	BlobPushed EventKind = "pushed"
	// ManifestPushed: the manifest was put, moving the tag.
	ManifestPushed EventKind = "manifest"
)

// Event is one thing a registry did for us, seen on the wire.
type Event struct {
	Kind EventKind
	// Registry is the host, Repository the path within it.
	Registry, Repository string
	// Digest is the blob's digest, or the manifest's tag or digest.
	Digest string
}

// WithEvents calls fn for every blob found, mounted or uploaded and every
// manifest put, as the registry answers. fn may be called concurrently.
func WithEvents(fn func(Event)) Option {
	return func(c *Client) error {
		c.events = fn
		return nil
	}
}

// eventTransport watches registry answers and reports events.
type eventTransport struct {
	next http.RoundTripper
	fn   func(Event)
}

func (t *eventTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	resp, err := t.next.RoundTrip(r)
	if err != nil {
		return resp, err
	}
	repo, kind, rest, ok := splitV2Path(r.URL.Path)
	if !ok {
		return resp, nil
	}
	ev := Event{Registry: r.URL.Host, Repository: repo}
	switch {
	case kind == "blobs" && r.Method == http.MethodHead && resp.StatusCode == http.StatusOK:
		ev.Kind, ev.Digest = BlobExisting, rest
	case kind == "blobs" && r.Method == http.MethodPost && resp.StatusCode == http.StatusCreated && r.URL.Query().Get("mount") != "":
		ev.Kind, ev.Digest = BlobMounted, r.URL.Query().Get("mount")
	case kind == "blobs" && r.Method == http.MethodPut && resp.StatusCode == http.StatusCreated && r.URL.Query().Get("digest") != "":
		ev.Kind, ev.Digest = BlobPushed, r.URL.Query().Get("digest")
	case kind == "manifests" && r.Method == http.MethodPut && resp.StatusCode == http.StatusCreated:
		ev.Kind, ev.Digest = ManifestPushed, rest
	default:
		return resp, nil
	}
	t.fn(ev)
	return resp, nil
}

// splitV2Path splits "/v2/<repo>/<blobs|manifests>/<rest>".
func splitV2Path(p string) (repo, kind, rest string, ok bool) {
	p, found := strings.CutPrefix(p, "/v2/")
	if !found {
		return "", "", "", false
	}
	for _, k := range []string{"/blobs/", "/manifests/"} {
		if i := strings.LastIndex(p, k); i > 0 {
			return p[:i], strings.Trim(k, "/"), p[i+len(k):], true
		}
	}
	return "", "", "", false
}
