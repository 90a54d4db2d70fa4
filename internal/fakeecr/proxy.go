package fakeecr

import (
	"io"
	"net"
	"net/http"
	"slices"
	"sync"
)

// Proxy is an HTTP CONNECT proxy on loopback that sends every tunnel to
// host:443 to one address (the Front), so that a client given
// HTTPS_PROXY reaches "123456789012.dkr.ecr.us-east-1.amazonaws.com" there
// under its real name. Other ports are refused.
type Proxy struct {
	// URL is the proxy's URL, for HTTPS_PROXY.
	URL string

	target string
	ln     net.Listener
	server *http.Server

	mu       sync.Mutex
	conns    map[net.Conn]struct{}
	connects []string
}

// newProxy starts a proxy that tunnels to target.
func newProxy(target string) (*Proxy, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, err
	}
	p := &Proxy{URL: "http://" + ln.Addr().String(), target: target, ln: ln, conns: map[net.Conn]struct{}{}}
	p.server = &http.Server{Handler: http.HandlerFunc(p.serve), ErrorLog: quiet}
	go func() { _ = p.server.Serve(ln) }()
	return p, nil
}

// Connects returns the host:port of every tunnel asked for so far.
func (p *Proxy) Connects() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.connects)
}

// Close stops the proxy and cuts every tunnel.
func (p *Proxy) Close() {
	_ = p.server.Close()
	p.mu.Lock()
	defer p.mu.Unlock()
	for c := range p.conns {
		_ = c.Close()
	}
}

func (p *Proxy) track(c net.Conn, on bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if on {
		p.conns[c] = struct{}{}
	} else {
		delete(p.conns, c)
	}
}

func (p *Proxy) serve(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodConnect {
		http.Error(w, "this proxy only tunnels (CONNECT)", http.StatusMethodNotAllowed)
		return
	}
	p.mu.Lock()
	p.connects = append(p.connects, r.Host)
	p.mu.Unlock()
	if _, port, err := net.SplitHostPort(r.Host); err != nil || port != "443" {
		http.Error(w, "only port 443 is tunnelled", http.StatusForbidden)
		return
	}
	up, err := net.Dial("tcp", p.target)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadGateway)
		return
	}
	hj, ok := w.(http.Hijacker)
	if !ok {
		_ = up.Close()
		http.Error(w, "cannot tunnel", http.StatusInternalServerError)
		return
	}
	down, buf, err := hj.Hijack()
	if err != nil {
		_ = up.Close()
		return
	}
	p.track(down, true)
	p.track(up, true)
	if _, err := io.WriteString(down, "HTTP/1.1 200 Connection established\r\n\r\n"); err != nil {
		_ = down.Close()
		_ = up.Close()
		return
	}
	var wg sync.WaitGroup
	wg.Add(2)
	go func() { // client -> front, starting with whatever was read ahead
		defer wg.Done()
		if n := buf.Reader.Buffered(); n > 0 {
			b, _ := buf.Reader.Peek(n)
			_, _ = up.Write(b)
		}
		_, _ = io.Copy(up, down)
		if tc, ok := up.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()
	go func() { // front -> client
		defer wg.Done()
		_, _ = io.Copy(down, up)
		if tc, ok := down.(*net.TCPConn); ok {
			_ = tc.CloseWrite()
		}
	}()
	go func() {
		wg.Wait()
		_ = down.Close()
		_ = up.Close()
		p.track(down, false)
		p.track(up, false)
	}()
}
