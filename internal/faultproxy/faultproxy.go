// Package faultproxy is a reverse proxy in front of a test registry that
// injects the faults real registries and networks produce: error answers
// (500, 502, 503, 429 with Retry-After), connections reset in the middle of
// a blob, slow answers and stalls; and the lies of a broken or hostile
// proxy: answers it corrupts, requests it rewrites before passing them on.
// Tests count what it injected.
package faultproxy

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Kind is a kind of fault.
type Kind string

// Kinds of faults.
const (
	// Status answers with Status (and RetryAfter, if set) instead of forwarding.
	Status Kind = "status"
	// Reset reads part of the request body, then drops the connection.
	Reset Kind = "reset"
	// Slow forwards the request after Delay.
	Slow Kind = "slow"
	// Stall never answers: it holds the connection until the client gives up.
	Stall Kind = "stall"
	// Corrupt forwards the request and flips a byte of the answer's body.
	Corrupt Kind = "corrupt"
	// Rewrite forwards the request with its body changed by Body (by
	// default a newline appended: a manifest stays valid JSON, and the
	// registry stores it under another digest than the client computed).
	Rewrite Kind = "rewrite"
)

// Fault is one rule: requests whose method and path match get the fault,
// Times times (0 means every time).
type Fault struct {
	Kind         Kind
	Method       string // "" matches any
	PathContains string // "" matches any
	Status       int
	RetryAfter   string
	Delay        time.Duration
	Times        int
	// Body rewrites the request body of a Rewrite fault (nil: append "\n").
	Body func([]byte) []byte
}

// Proxy is a running fault-injecting proxy.
type Proxy struct {
	// Host is host:port to use in image references.
	Host string

	server *httptest.Server
	rp     *httputil.ReverseProxy

	mu       sync.Mutex
	faults   []*Fault
	injected map[Kind]int
	stalls   chan struct{}
}

// Start proxies to the registry at target (e.g. "http://127.0.0.1:5000").
func Start(target string) (*Proxy, error) {
	u, err := url.Parse(target)
	if err != nil {
		return nil, err
	}
	p := &Proxy{rp: httputil.NewSingleHostReverseProxy(u), injected: map[Kind]int{}, stalls: make(chan struct{})}
	p.rp.ErrorLog = nil
	p.server = httptest.NewServer(http.HandlerFunc(p.serve))
	p.Host = strings.TrimPrefix(p.server.URL, "http://")
	return p, nil
}

// Inject adds fault rules, matched in order.
func (p *Proxy) Inject(fs ...Fault) {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i := range fs {
		f := fs[i]
		p.faults = append(p.faults, &f)
	}
}

// Clear removes every rule.
func (p *Proxy) Clear() {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.faults = nil
}

// Injected returns how many faults of each kind were injected.
func (p *Proxy) Injected() map[Kind]int {
	p.mu.Lock()
	defer p.mu.Unlock()
	out := map[Kind]int{}
	for k, v := range p.injected {
		out[k] = v
	}
	return out
}

// Close releases stalled requests and stops the proxy.
func (p *Proxy) Close() {
	close(p.stalls)
	p.server.CloseClientConnections()
	p.server.Close()
}

func (p *Proxy) match(r *http.Request) *Fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	for i, f := range p.faults {
		if (f.Method == "" || f.Method == r.Method) && strings.Contains(r.URL.RequestURI(), f.PathContains) {
			p.injected[f.Kind]++
			if f.Times > 0 {
				if f.Times--; f.Times == 0 {
					p.faults = append(p.faults[:i], p.faults[i+1:]...)
				}
			}
			cp := *f
			return &cp
		}
	}
	return nil
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	f := p.match(r)
	if f == nil {
		p.rp.ServeHTTP(w, r)
		return
	}
	switch f.Kind {
	case Status:
		if f.RetryAfter != "" {
			w.Header().Set("Retry-After", f.RetryAfter)
		}
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(f.Status)
		io.WriteString(w, `{"errors":[{"code":"UNKNOWN","message":"injected fault"}]}`)
	case Reset:
		if r.Body != nil {
			io.CopyN(io.Discard, r.Body, 512)
		}
		if hj, ok := w.(http.Hijacker); ok {
			if conn, _, err := hj.Hijack(); err == nil {
				conn.Close()
				return
			}
		}
		panic(http.ErrAbortHandler)
	case Slow:
		time.Sleep(f.Delay)
		p.rp.ServeHTTP(w, r)
	case Stall:
		select {
		case <-r.Context().Done():
		case <-p.stalls:
		}
	case Rewrite:
		p.rewrite(w, r, f.Body)
	case Corrupt:
		rec := httptest.NewRecorder()
		p.rp.ServeHTTP(rec, r)
		body := rec.Body.Bytes()
		if len(body) > 0 {
			body[len(body)/2] ^= 0xff
		}
		for k, v := range rec.Header() {
			w.Header()[k] = v
		}
		w.WriteHeader(rec.Code)
		w.Write(body)
	}
}

// rewrite forwards r with its body passed through body.
func (p *Proxy) rewrite(w http.ResponseWriter, r *http.Request, body func([]byte) []byte) {
	if body == nil {
		body = func(b []byte) []byte { return append(b, '\n') }
	}
	var b []byte
	if r.Body != nil {
		var err error
		if b, err = io.ReadAll(r.Body); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
	}
	b = body(b)
	r.Body = io.NopCloser(bytes.NewReader(b))
	r.ContentLength = int64(len(b))
	r.Header.Del("Content-Length")
	p.rp.ServeHTTP(w, r)
}
