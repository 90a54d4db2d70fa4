package fakeecr

import (
	"crypto/tls"
	"encoding/json"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"net/http/httputil"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/brefimg/brefimg/internal/testregistry"
)

// v2Path splits a registry API path into the repository and what follows.
var v2Path = regexp.MustCompile(`^/v2/(.+?)/(blobs/uploads/?.*|blobs/[^/]+|manifests/[^/]+|tags/list)$`)

// quiet discards the servers' own logs (TLS handshakes refused on purpose,
// connections dropped on purpose), which would only clutter test output.
var quiet = log.New(io.Discard, "", 0)

// Request is one registry request the front answered (or passed on).
type Request struct {
	Method string
	Path   string
	// Action is the IAM action ECR checks for it, "" for none (/v2/).
	Action string
	Status int
}

// Fault makes the front fail matching requests before they reach the
// registry, to prove retries.
type Fault struct {
	// Method matches the request method, "" any.
	Method string
	// PathContains matches the request path, "" any.
	PathContains string
	// Status is the answer; 0 drops the connection instead, after reading
	// the request body, as a reset would.
	Status int
	// Body is sent with Status, e.g. a JSON registry error.
	Body string
	// Times is how many matching requests fail (at least one).
	Times int
}

// Front is the fake ECR data plane: TLS for the registry host name, Basic
// auth that accepts only user AWS with a password the Server issued (and
// not expired), NAME_UNKNOWN for repositories the Server has not created,
// TAG_INVALID for a manifest PUT over an existing tag in an immutable
// repository, DENIED for IAM actions the Server was told to deny; all else
// goes to the real distribution registry behind it, whose 202 answers to a
// blob PATCH become 201, as ECR's are.
type Front struct {
	// Addr is the loopback address it listens on.
	Addr string

	server   *httptest.Server
	ecr      *Server
	registry *testregistry.Registry
	upstream *url.URL
	proxy    *httputil.ReverseProxy

	mu       sync.Mutex
	faults   []*Fault
	requests []Request
}

// newFront starts the front on loopback with cert, in front of reg.
func newFront(ecr *Server, reg *testregistry.Registry, cert tls.Certificate) (*Front, error) {
	upstream, err := url.Parse(reg.URL)
	if err != nil {
		return nil, err
	}
	f := &Front{ecr: ecr, registry: reg, upstream: upstream}
	f.proxy = &httputil.ReverseProxy{Rewrite: func(pr *httputil.ProxyRequest) {
		pr.SetURL(upstream)
		pr.SetXForwarded()       // X-Forwarded-Host and -Proto: the registry writes https://<ECR host>/… locations
		pr.Out.Host = pr.In.Host // and sees the ECR host name
		pr.Out.Header.Del("Authorization")
	}, ModifyResponse: func(resp *http.Response) error {
		// ECR answers a blob PATCH with 201 Created where the
		// distribution spec says 202 Accepted.
		if resp.Request.Method == http.MethodPatch && resp.StatusCode == http.StatusAccepted {
			resp.StatusCode, resp.Status = http.StatusCreated, "201 Created"
		}
		return nil
	}, ErrorLog: quiet}
	f.server = httptest.NewUnstartedServer(f)
	f.server.Config.ErrorLog = quiet
	f.server.TLS = &tls.Config{Certificates: []tls.Certificate{cert}, MinVersion: tls.VersionTLS12}
	f.server.StartTLS()
	f.Addr = f.server.Listener.Addr().String()
	return f, nil
}

// Close stops the front.
func (f *Front) Close() {
	f.server.CloseClientConnections()
	f.server.Close()
}

// Inject makes the front fail requests that match fault.
func (f *Front) Inject(fault Fault) {
	if fault.Times < 1 {
		fault.Times = 1
	}
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = append(f.faults, &fault)
}

// ClearFaults drops the injected failures that have not happened yet.
func (f *Front) ClearFaults() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.faults = nil
}

// PendingFaults is how many injected failures have not happened yet.
func (f *Front) PendingFaults() int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, ft := range f.faults {
		n += ft.Times
	}
	return n
}

// Requests returns every request answered so far.
func (f *Front) Requests() []Request {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.requests)
}

// Reset forgets the requests recorded so far.
func (f *Front) Reset() {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.requests = nil
}

func (f *Front) takeFault(r *http.Request) *Fault {
	f.mu.Lock()
	defer f.mu.Unlock()
	for i, ft := range f.faults {
		if (ft.Method == "" || ft.Method == r.Method) && strings.Contains(r.URL.Path, ft.PathContains) {
			ft.Times--
			if ft.Times == 0 {
				f.faults = slices.Delete(f.faults, i, i+1)
			}
			out := *ft
			return &out
		}
	}
	return nil
}

// ServeHTTP serves the registry API as ECR does.
func (f *Front) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	rec := testregistry.NewStatusRecorder(w)
	action := dataPlaneAction(r.Method, r.URL.Path)
	defer func() {
		f.mu.Lock()
		f.requests = append(f.requests, Request{Method: r.Method, Path: r.URL.Path, Action: action, Status: rec.Status})
		f.mu.Unlock()
	}()
	if ft := f.takeFault(r); ft != nil {
		if ft.Status == 0 {
			_, _ = io.Copy(io.Discard, r.Body)
			if hj, ok := w.(http.Hijacker); ok {
				if conn, _, err := hj.Hijack(); err == nil {
					rec.Status = 0
					_ = conn.Close()
					return
				}
			}
			panic(http.ErrAbortHandler)
		}
		rec.WriteHeader(ft.Status)
		_, _ = io.WriteString(rec, ft.Body)
		return
	}

	user, password, ok := r.BasicAuth()
	known, expired := f.ecr.checkPassword(password)
	if !ok || user != "AWS" || !known {
		rec.Header().Set("WWW-Authenticate", `Basic realm="https://`+r.Host+`/",service="ecr.amazonaws.com"`)
		registryError(rec, r, http.StatusUnauthorized, "UNAUTHORIZED", "Not Authorized")
		return
	}
	if expired {
		registryError(rec, r, http.StatusForbidden, "DENIED", "Your authorization token has expired. Reauthenticate and try again.")
		return
	}
	if r.URL.Path == "/v2/" || r.URL.Path == "/v2" {
		rec.Header().Set("Docker-Distribution-API-Version", "registry/2.0")
		rec.Header().Set("Content-Type", "application/json")
		_, _ = io.WriteString(rec, "{}")
		return
	}
	m := v2Path.FindStringSubmatch(r.URL.Path)
	if m == nil {
		registryError(rec, r, http.StatusNotFound, "NOT_FOUND", "404 page not found")
		return
	}
	name, rest := m[1], m[2]
	if action != "" && f.ecr.isDenied(action) {
		registryError(rec, r, http.StatusForbidden, "DENIED", AccessDenied(action, repositoryARN(name)))
		return
	}
	repo, ok := f.ecr.Repository(name)
	if !ok {
		registryError(rec, r, http.StatusNotFound, "NAME_UNKNOWN", notFound(name))
		return
	}
	if ref, isManifest := strings.CutPrefix(rest, "manifests/"); isManifest && r.Method == http.MethodPut && repo.Immutable &&
		!strings.Contains(ref, ":") && f.tagExists(name, ref) {
		registryError(rec, r, http.StatusBadRequest, "TAG_INVALID", "The image tag '"+ref+"' already exists in the '"+name+
			"' repository and cannot be overwritten because the tag is immutable.")
		return
	}
	f.proxy.ServeHTTP(rec, r)
}

// tagExists asks the registry behind whether repo has tag.
func (f *Front) tagExists(repo, tag string) bool {
	req, err := http.NewRequest(http.MethodHead, f.registry.URL+"/v2/"+repo+"/manifests/"+tag, nil)
	if err != nil {
		return false
	}
	req.Header.Set("Accept", strings.Join([]string{
		"application/vnd.oci.image.manifest.v1+json", "application/vnd.docker.distribution.manifest.v2+json",
		"application/vnd.oci.image.index.v1+json", "application/vnd.docker.distribution.manifest.list.v2+json",
	}, ", "))
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	_ = resp.Body.Close()
	return resp.StatusCode == http.StatusOK
}

// registryError writes an OCI distribution error (no body for HEAD).
func registryError(w http.ResponseWriter, r *http.Request, status int, code, message string) {
	w.Header().Set("Content-Type", "application/json; charset=utf-8")
	w.WriteHeader(status)
	if r.Method == http.MethodHead {
		return
	}
	_ = json.NewEncoder(w).Encode(map[string]any{"errors": []map[string]string{{"code": code, "message": message}}})
}

// dataPlaneAction is the IAM action ECR checks for a registry request
// (AWS's ECR documentation, "Amazon ECR registry permissions").
func dataPlaneAction(method, path string) string {
	m := v2Path.FindStringSubmatch(path)
	if m == nil {
		return ""
	}
	rest := m[2]
	switch {
	case strings.HasPrefix(rest, "blobs/uploads"):
		return map[string]string{http.MethodPost: "ecr:InitiateLayerUpload", http.MethodPatch: "ecr:UploadLayerPart",
			http.MethodPut: "ecr:CompleteLayerUpload", http.MethodGet: "ecr:UploadLayerPart"}[method]
	case strings.HasPrefix(rest, "blobs/"):
		return map[string]string{http.MethodHead: "ecr:BatchCheckLayerAvailability", http.MethodGet: "ecr:GetDownloadUrlForLayer"}[method]
	case strings.HasPrefix(rest, "manifests/"):
		return map[string]string{http.MethodPut: "ecr:PutImage", http.MethodGet: "ecr:BatchGetImage",
			http.MethodHead: "ecr:BatchGetImage", http.MethodDelete: "ecr:BatchDeleteImage"}[method]
	case rest == "tags/list":
		return "ecr:ListImages"
	}
	return ""
}
