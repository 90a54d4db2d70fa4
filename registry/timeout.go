package registry

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"time"
)

// DefaultIdleTimeout is how long a connection to a registry may carry no
// byte, either way, before it is given up (and the request retried): a
// registry that stalls mid-blob fails the push instead of hanging it.
const DefaultIdleTimeout = 60 * time.Second

// DefaultResponseTimeout bounds the wait for a registry's answer once a
// request is sent; a registry silent for DefaultIdleTimeout fails sooner.
const DefaultResponseTimeout = 3 * time.Minute

// WithIdleTimeout sets how long a connection may stay silent (default
// DefaultIdleTimeout).
func WithIdleTimeout(d time.Duration) Option {
	return func(c *Client) error {
		if d <= 0 {
			return fmt.Errorf("idle timeout must be greater than zero, got %s", d)
		}
		c.idle = d
		return nil
	}
}

// transportWithTimeouts is http.DefaultTransport's settings plus an idle
// deadline on every connection and a bound on waiting for response headers.
func transportWithTimeouts(idle time.Duration) *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	dialer := &net.Dialer{Timeout: 30 * time.Second, KeepAlive: 30 * time.Second}
	t.DialContext = func(ctx context.Context, network, addr string) (net.Conn, error) {
		conn, err := dialer.DialContext(ctx, network, addr)
		if err != nil {
			return nil, err
		}
		return &idleConn{Conn: conn, idle: idle}, nil
	}
	t.ResponseHeaderTimeout = DefaultResponseTimeout
	return t
}

// idleConn fails a Read or Write that makes no progress for idle.
type idleConn struct {
	net.Conn
	idle time.Duration
}

// Any progress either way moves both deadlines: while a blob is being sent
// the registry says nothing, and the read waiting for its answer must not
// time out as long as the upload moves.
func (c *idleConn) Read(p []byte) (int, error) {
	if err := c.Conn.SetDeadline(time.Now().Add(c.idle)); err != nil {
		return 0, err
	}
	return c.Conn.Read(p)
}

func (c *idleConn) Write(p []byte) (int, error) {
	if err := c.Conn.SetDeadline(time.Now().Add(c.idle)); err != nil {
		return 0, err
	}
	return c.Conn.Write(p)
}
