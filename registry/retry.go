package registry

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"strconv"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// DefaultBackoff is how requests to a registry are retried: 5 attempts,
// waiting about 0.5 s, 1 s, 2 s and 4 s (±20% jitter, so parallel uploads
// do not retry in step).
var DefaultBackoff = remote.Backoff{Duration: 500 * time.Millisecond, Factor: 2, Jitter: 0.2, Steps: 5}

// MaxRetryAfter bounds how long a Retry-After header can make brefimg wait.
const MaxRetryAfter = 30 * time.Second

// WithRetryBackoff sets how failed requests are retried (default DefaultBackoff).
func WithRetryBackoff(b remote.Backoff) Option {
	return func(c *Client) error {
		if b.Steps < 1 {
			return errors.New("retry backoff needs at least one step")
		}
		c.backoff = b
		return nil
	}
}

// Retryable says whether a failed registry request is worth another try:
// any 5xx, 408 or 429 answer whatever error code its body names
// (go-containerregistry alone only retries codes it knows to be
// temporary), and connections reset, closed, timed out or cut short.
func Retryable(err error) bool {
	if err == nil || errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
		return false
	}
	var terr *transport.Error
	if errors.As(err, &terr) {
		return terr.StatusCode >= 500 || terr.StatusCode == http.StatusTooManyRequests ||
			terr.StatusCode == http.StatusRequestTimeout || terr.Temporary()
	}
	var nerr net.Error
	if errors.As(err, &nerr) && nerr.Timeout() {
		return true
	}
	var temp interface{ Temporary() bool }
	if errors.As(err, &temp) && temp.Temporary() {
		return true
	}
	return ConnectionLost(err)
}

// ConnectionLost reports whether err is a connection the other end dropped.
func ConnectionLost(err error) bool {
	return errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) || errors.Is(err, syscall.ECONNRESET) ||
		errors.Is(err, syscall.ECONNABORTED) || errors.Is(err, syscall.EPIPE) || errors.Is(err, net.ErrClosed)
}

// retryAfterTransport honours Retry-After on 429 and 503 answers: it waits
// as long as the registry asks (at most MaxRetryAfter) and sends the request
// again, up to three times, when its body can be sent again.
type retryAfterTransport struct {
	next http.RoundTripper
}

func (t *retryAfterTransport) RoundTrip(r *http.Request) (*http.Response, error) {
	for attempt := 0; ; attempt++ {
		resp, err := t.next.RoundTrip(r)
		if err != nil || attempt == 3 || (resp.StatusCode != http.StatusTooManyRequests && resp.StatusCode != http.StatusServiceUnavailable) {
			return resp, err
		}
		wait, ok := retryAfter(resp.Header.Get("Retry-After"))
		if !ok || (r.Body != nil && r.GetBody == nil) {
			return resp, nil
		}
		io.Copy(io.Discard, io.LimitReader(resp.Body, 64<<10))
		resp.Body.Close()
		timer := time.NewTimer(wait)
		select {
		case <-r.Context().Done():
			timer.Stop()
			return nil, r.Context().Err()
		case <-timer.C:
		}
		if r.GetBody != nil {
			body, err := r.GetBody()
			if err != nil {
				return nil, err
			}
			r = r.Clone(r.Context())
			r.Body = body
		}
	}
}

// retryAfter parses a Retry-After header: seconds, or an HTTP date.
func retryAfter(v string) (time.Duration, bool) {
	if v == "" {
		return 0, false
	}
	var d time.Duration
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		d = time.Duration(n) * time.Second
	} else if at, err := http.ParseTime(v); err == nil {
		d = time.Until(at)
	} else {
		return 0, false
	}
	return min(max(d, 0), MaxRetryAfter), true
}
