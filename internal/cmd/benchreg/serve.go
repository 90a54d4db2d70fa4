package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	_ "github.com/distribution/distribution/v3/registry/storage/driver/filesystem" // the storage of both registries
	"github.com/sirupsen/logrus"

	"github.com/brefimg/brefimg/internal/benchfix"
)

func serveCmd(args []string) error {
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	state := fs.String("state", "", "directory for the registries' storage (created; removed on exit)")
	app := fs.String("app", "", "also write the app into this directory")
	scale := fs.Int("scale", 1, "app scale factor, with -app")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *state == "" {
		return fmt.Errorf("serve: -state is required")
	}
	logrus.SetOutput(io.Discard)
	if err := os.MkdirAll(*state, 0o755); err != nil {
		return err
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()

	source, err := startRegistry(filepath.Join(*state, "source"))
	if err != nil {
		return err
	}
	defer source.close()
	target, err := startRegistry(filepath.Join(*state, "target"))
	if err != nil {
		return err
	}
	defer target.close()

	start := time.Now()
	if err := benchfix.Seed(ctx, source.host); err != nil {
		return fmt.Errorf("seeding the source registry: %w", err)
	}
	seedBytes := source.uploadBytes.Load()
	fmt.Fprintf(os.Stderr, "benchreg: source seeded in %.1fs\n", time.Since(start).Seconds())
	if *app != "" {
		start = time.Now()
		a, err := benchfix.WriteApp(*app, *scale)
		if err != nil {
			return err
		}
		fmt.Fprintf(os.Stderr, "benchreg: app (%d files, %d bytes) written in %.1fs\n", len(a.Files), a.Bytes, time.Since(start).Seconds())
	}
	source.mark()

	ctl, err := startControl(source, target)
	if err != nil {
		return err
	}
	defer ctl.Close()

	fmt.Printf("SOURCE=%s\nTARGET=%s\nCONTROL=%s\n", source.host, target.host, ctl.Addr)
	if *app != "" {
		fmt.Printf("APP=%s\n", *app)
	}
	fmt.Printf("SEED_BYTES=%d\nREADY\n", seedBytes)
	os.Stdout.Sync()

	<-ctx.Done()
	fmt.Fprintln(os.Stderr, "benchreg: shutting down")
	return nil
}

// registry is a distribution registry on a fixed loopback address whose
// storage can be swapped for an empty one ([registry.reset]), and which
// counts blob uploads and downloads.
type registry struct {
	host string
	root string // storage directories are root-<generation>
	srv  *http.Server

	mu     sync.RWMutex // held for reading while a request is served
	app    *handlers.App
	cancel context.CancelFunc
	dir    string
	gen    int

	uploads, uploadBytes, blobGets, blobGetBytes atomic.Int64
}

// startRegistry starts a registry with empty storage under root-1.
func startRegistry(root string) (*registry, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting a registry: %w", err)
	}
	r := &registry{host: ln.Addr().String(), root: root}
	if err := r.reset(); err != nil {
		ln.Close()
		return nil, err
	}
	r.srv = &http.Server{Handler: r, ReadHeaderTimeout: time.Minute}
	go func() {
		if err := r.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "benchreg: registry:", err)
		}
	}()
	return r, nil
}

// reset replaces the storage with an empty one and zeroes the counters;
// it waits for the requests being served.
func (r *registry) reset() error {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.gen++
	dir := fmt.Sprintf("%s-%d", r.root, r.gen)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("resetting the registry: %w", err)
	}
	config := &configuration.Configuration{
		Storage: configuration.Storage{
			"filesystem": configuration.Parameters{"rootdirectory": dir},
			"delete":     configuration.Parameters{"enabled": true},
			"maintenance": configuration.Parameters{"uploadpurging": map[any]any{
				"enabled": false,
			}},
		},
	}
	config.Log.Level = "error"
	config.Log.AccessLog.Disabled = true
	ctx, cancel := context.WithCancel(context.Background())
	app := handlers.NewApp(ctx, config)
	if r.cancel != nil {
		r.cancel()
		if err := os.RemoveAll(r.dir); err != nil {
			fmt.Fprintln(os.Stderr, "benchreg: removing old storage:", err)
		}
	}
	r.app, r.cancel, r.dir = app, cancel, dir
	r.mark()
	return nil
}

// mark zeroes the counters.
func (r *registry) mark() {
	r.uploads.Store(0)
	r.uploadBytes.Store(0)
	r.blobGets.Store(0)
	r.blobGetBytes.Store(0)
}

// close stops the registry and removes its storage.
func (r *registry) close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = r.srv.Shutdown(ctx)
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.cancel != nil {
		r.cancel()
	}
	_ = os.RemoveAll(r.dir)
}

// ServeHTTP serves a registry request and counts it.
func (r *registry) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	r.mu.RLock()
	defer r.mu.RUnlock()
	upload := strings.Contains(req.URL.Path, "/blobs/uploads/")
	if upload && req.Body != nil {
		req.Body = &countingBody{ReadCloser: req.Body, n: &r.uploadBytes}
	}
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	r.app.ServeHTTP(rec, req)
	switch {
	case req.Method == http.MethodPost && strings.HasSuffix(req.URL.Path, "/blobs/uploads/"):
		// 202: an upload session starts. 201 without mount=: a monolithic
		// upload. 201 with mount=: a mount, nothing sent.
		if rec.status == http.StatusAccepted || (rec.status == http.StatusCreated && req.URL.Query().Get("mount") == "") {
			r.uploads.Add(1)
		}
	case req.Method == http.MethodGet && strings.Contains(req.URL.Path, "/blobs/sha256:") &&
		(rec.status == http.StatusOK || rec.status == http.StatusPartialContent):
		r.blobGets.Add(1)
		r.blobGetBytes.Add(rec.n)
	}
}

// countingBody counts the bytes read from a request body.
type countingBody struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c *countingBody) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

// recorder records the status and the body size of a response.
type recorder struct {
	http.ResponseWriter
	status int
	n      int64
}

func (r *recorder) WriteHeader(code int) {
	r.status = code
	r.ResponseWriter.WriteHeader(code)
}

func (r *recorder) Write(p []byte) (int, error) {
	n, err := r.ResponseWriter.Write(p)
	r.n += int64(n)
	return n, err
}

// Flush lets streaming responses through.
func (r *recorder) Flush() {
	if f, ok := r.ResponseWriter.(http.Flusher); ok {
		f.Flush()
	}
}

// control is the loopback HTTP endpoint of benchreg ctl.
type control struct {
	Addr string
	srv  *http.Server
}

// Close stops the control endpoint.
func (c *control) Close() {
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = c.srv.Shutdown(ctx)
}

func startControl(source, target *registry) (*control, error) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return nil, fmt.Errorf("starting the control endpoint: %w", err)
	}
	mux := http.NewServeMux()
	mux.HandleFunc("POST /reset", func(w http.ResponseWriter, _ *http.Request) {
		if err := target.reset(); err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		source.mark()
		fmt.Fprintln(w, "reset")
	})
	mux.HandleFunc("POST /mark", func(w http.ResponseWriter, _ *http.Request) {
		target.mark()
		source.mark()
		fmt.Fprintln(w, "marked")
	})
	mux.HandleFunc("GET /stats", func(w http.ResponseWriter, _ *http.Request) {
		fmt.Fprintf(w, "uploads=%d upload_bytes=%d source_blob_gets=%d source_blob_bytes=%d\n",
			target.uploads.Load(), target.uploadBytes.Load(), source.blobGets.Load(), source.blobGetBytes.Load())
	})
	c := &control{Addr: ln.Addr().String(), srv: &http.Server{Handler: mux, ReadHeaderTimeout: time.Minute}}
	go func() {
		if err := c.srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
			fmt.Fprintln(os.Stderr, "benchreg: control:", err)
		}
	}()
	return c, nil
}
