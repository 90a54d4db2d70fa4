package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/signal"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/distribution/distribution/v3/configuration"
	"github.com/distribution/distribution/v3/registry/handlers"
	"github.com/sirupsen/logrus"
)

// The "registry in its own process" of the benchmark is Debian's
// docker-registry package (distribution 2.8) when the script can install
// it, else `benchreg registry`: distribution v3's registry application
// with the configuration its registry binary ships (filesystem storage,
// the in-memory blob descriptor cache, request logging), alone in a
// process of its own. distribution's registry binary itself does not build
// from this module's dependencies (its storage drivers need modules the
// module does not require). Either writes an access log in the combined
// log format, which `benchreg extstats` reads the blob uploads from.

// registryCmd serves one registry in this process until SIGINT or SIGTERM.
func registryCmd(args []string) error {
	fs := flag.NewFlagSet("registry", flag.ContinueOnError)
	root := fs.String("root", "", "storage directory (created)")
	addr := fs.String("addr", "127.0.0.1:5000", "address to listen on")
	accessLog := fs.String("access-log", "", "append an access log (combined log format) to this file")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *root == "" {
		return errors.New("registry: -root is required")
	}
	if err := os.MkdirAll(*root, 0o755); err != nil {
		return err
	}
	logrus.SetOutput(os.Stderr)
	config := &configuration.Configuration{
		Storage: configuration.Storage{
			"filesystem": configuration.Parameters{"rootdirectory": *root},
			"delete":     configuration.Parameters{"enabled": true},
			"cache":      configuration.Parameters{"blobdescriptor": "inmemory"},
		},
	}
	config.Log.Level = "info"
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	var h http.Handler = handlers.NewApp(ctx, config)
	if *accessLog != "" {
		f, err := os.OpenFile(*accessLog, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
		if err != nil {
			return err
		}
		defer f.Close()
		h = &accessLogger{next: h, w: f}
	}
	ln, err := net.Listen("tcp", *addr)
	if err != nil {
		return err
	}
	srv := &http.Server{Handler: h, ReadHeaderTimeout: time.Minute}
	go func() {
		<-ctx.Done()
		sctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
		defer cancel()
		_ = srv.Shutdown(sctx)
	}()
	if err := srv.Serve(ln); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	return nil
}

// accessLogger writes a line per request in the combined log format, as
// the registry binary does.
type accessLogger struct {
	next http.Handler
	mu   sync.Mutex
	w    io.Writer
}

func (a *accessLogger) ServeHTTP(w http.ResponseWriter, req *http.Request) {
	rec := &recorder{ResponseWriter: w, status: http.StatusOK}
	a.next.ServeHTTP(rec, req)
	host, _, _ := net.SplitHostPort(req.RemoteAddr)
	a.mu.Lock()
	defer a.mu.Unlock()
	fmt.Fprintf(a.w, "%s - - [%s] %q %d %d %q %q\n", host, time.Now().Format("02/Jan/2006:15:04:05 -0700"),
		req.Method+" "+req.RequestURI+" "+req.Proto, rec.status, rec.n, req.Referer(), req.UserAgent())
}

// accessLine matches the request and status of a combined-log-format line.
var accessLine = regexp.MustCompile(`"([A-Z]+) (\S+) HTTP/[0-9.]+" (\d{3}) `)

// uploadStarted reports whether a request started a blob upload: a POST
// to /blobs/uploads/ answered 202 (an upload session), or 201 without
// mount= (a monolithic upload); a 201 with mount= is a cross-repository
// mount, nothing sent. (The counting benchreg's own registries do.)
func uploadStarted(method, uri string, status int) bool {
	if method != http.MethodPost || !strings.Contains(uri, "/blobs/uploads/") {
		return false
	}
	return status == http.StatusAccepted || (status == http.StatusCreated && !strings.Contains(uri, "mount="))
}

// countUploads counts the blob uploads an access log records.
func countUploads(r io.Reader) (int, error) {
	n := 0
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 64<<10), 1<<20)
	for sc.Scan() {
		m := accessLine.FindStringSubmatch(sc.Text())
		if m == nil {
			continue
		}
		status, _ := strconv.Atoi(m[3])
		if uploadStarted(m[1], m[2], status) {
			n++
		}
	}
	return n, sc.Err()
}

// extstatsCmd prints "uploads=N upload_bytes=-1" for the access log lines
// after -offset bytes (the log's size before the run).
func extstatsCmd(args []string) error {
	fs := flag.NewFlagSet("extstats", flag.ContinueOnError)
	logFile := fs.String("log", "", "the registry's access log")
	offset := fs.Int64("offset", 0, "count the lines after this many bytes")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	f, err := os.Open(*logFile)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := f.Seek(*offset, io.SeekStart); err != nil {
		return err
	}
	n, err := countUploads(f)
	if err != nil {
		return err
	}
	fmt.Printf("uploads=%d upload_bytes=-1\n", n)
	return nil
}

// freeportCmd prints a loopback address with a port free now.
func freeportCmd(args []string) error {
	fs := flag.NewFlagSet("freeport", flag.ContinueOnError)
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer ln.Close()
	fmt.Println(ln.Addr().String())
	return nil
}

// waitCmd waits until a registry at -addr answers GET /v2/.
func waitCmd(args []string) error {
	fs := flag.NewFlagSet("wait", flag.ContinueOnError)
	addr := fs.String("addr", "", "the registry's address")
	timeout := fs.Duration("timeout", 30*time.Second, "give up after this long")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	client := &http.Client{Timeout: time.Second}
	deadline := time.Now().Add(*timeout)
	for {
		resp, err := client.Get("http://" + *addr + "/v2/")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return nil
			}
		}
		if time.Now().After(deadline) {
			return fmt.Errorf("the registry at %s did not answer in %s: %v", *addr, *timeout, err)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
