// Package testregistry runs the real distribution registry (the server behind
// Docker Hub's open-source registry) in-process on an httptest server with
// in-memory storage, and records every request it serves so tests can count
// uploads.
package testregistry

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/distribution/distribution/v3/configuration"
	_ "github.com/distribution/distribution/v3/registry/auth/htpasswd" // basic auth for WithBasicAuth
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/inmemory" // the in-memory storage driver
	"github.com/sirupsen/logrus"
	"golang.org/x/crypto/bcrypt"
)

// Request is one request the registry served.
type Request struct {
	Method string
	Path   string
	Status int
}

// Registry is a running in-process registry.
type Registry struct {
	// URL is the base URL, e.g. "http://127.0.0.1:41234".
	URL string
	// Host is the host:port part of URL, usable in image references.
	Host string

	server *httptest.Server
	cancel context.CancelFunc

	mu       sync.Mutex
	requests []Request
}

// Option configures a test registry.
type Option func(*configuration.Configuration) error

// WithBasicAuth makes the registry require this user and password
// (distribution's htpasswd access controller, bcrypt hashed).
func WithBasicAuth(user, password string) Option {
	return func(c *configuration.Configuration) error {
		hash, err := bcrypt.GenerateFromPassword([]byte(password), bcrypt.MinCost)
		if err != nil {
			return err
		}
		dir, err := os.MkdirTemp("", "testregistry-auth-*")
		if err != nil {
			return err
		}
		file := filepath.Join(dir, "htpasswd")
		if err := os.WriteFile(file, []byte(user+":"+string(hash)+"\n"), 0o600); err != nil {
			return err
		}
		c.Auth = configuration.Auth{"htpasswd": configuration.Parameters{"realm": "brefimg-test", "path": file}}
		return nil
	}
}

// Start starts a registry with empty in-memory storage on a loopback port.
func Start(opts ...Option) (*Registry, error) {
	logrus.SetOutput(io.Discard)
	ctx, cancel := context.WithCancel(context.Background())
	config := &configuration.Configuration{
		Storage: configuration.Storage{
			"inmemory": configuration.Parameters{},
			"delete":   configuration.Parameters{"enabled": true},
			"maintenance": configuration.Parameters{"uploadpurging": map[any]any{
				"enabled": false,
			}},
		},
	}
	config.Log.Level = "error"
	config.Log.AccessLog.Disabled = true
	for _, o := range opts {
		if err := o(config); err != nil {
			cancel()
			return nil, fmt.Errorf("configuring test registry: %w", err)
		}
	}
	app := handlers.NewApp(ctx, config)
	r := &Registry{cancel: cancel}
	r.server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		rec := NewStatusRecorder(w)
		app.ServeHTTP(rec, req)
		r.mu.Lock()
		r.requests = append(r.requests, Request{Method: req.Method, Path: req.URL.Path, Status: rec.Status})
		r.mu.Unlock()
	}))
	r.URL = r.server.URL
	r.Host = strings.TrimPrefix(r.server.URL, "http://")
	if r.Host == "" {
		r.Close()
		return nil, fmt.Errorf("starting test registry: no address")
	}
	return r, nil
}

// Close stops the registry and frees its storage.
func (r *Registry) Close() {
	r.server.CloseClientConnections()
	r.server.Close()
	r.cancel()
}

// Requests returns a copy of every request served so far.
func (r *Registry) Requests() []Request {
	r.mu.Lock()
	defer r.mu.Unlock()
	return append([]Request(nil), r.requests...)
}

// Reset forgets the requests recorded so far.
func (r *Registry) Reset() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.requests = nil
}

// BlobUploads counts the blob uploads started since the last Reset
// (POST /v2/<name>/blobs/uploads/ that did not mount an existing blob).
func (r *Registry) BlobUploads() int {
	n := 0
	for _, q := range r.Requests() {
		if q.Method == http.MethodPost && strings.HasSuffix(q.Path, "/blobs/uploads/") && q.Status == http.StatusAccepted {
			n++
		}
	}
	return n
}

// StatusRecorder is an http.ResponseWriter that remembers the status it
// wrote, for servers that log what they answered.
type StatusRecorder struct {
	http.ResponseWriter
	// Status is the status written (200 until one is).
	Status int
}

// NewStatusRecorder wraps w.
func NewStatusRecorder(w http.ResponseWriter) *StatusRecorder {
	return &StatusRecorder{ResponseWriter: w, Status: http.StatusOK}
}

// WriteHeader records code and writes it.
func (s *StatusRecorder) WriteHeader(code int) {
	s.Status = code
	s.ResponseWriter.WriteHeader(code)
}

// Flush lets streaming responses through.
func (s *StatusRecorder) Flush() {
	if f, ok := s.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}
