// Package buildkit builds the stages of a Dockerfile that RUN commands on
// a BuildKit daemon, through BuildKit's Go client and its Dockerfile
// frontend. It hands the daemon the images brefimg already resolved and
// pulled (named contexts backed by an OCI layout this process serves), so
// the daemon pulls nothing and needs no registry credentials, and takes
// the image back as an OCI layout: brefimg checks and pushes it.
package buildkit

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/containerd/containerd/v2/core/content"
	contentlocal "github.com/containerd/containerd/v2/plugins/content/local"
	"github.com/containerd/platforms"
	"github.com/distribution/reference"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/moby/buildkit/client"
	_ "github.com/moby/buildkit/client/connhelper/dockercontainer" // docker-container:// addresses
	_ "github.com/moby/buildkit/client/connhelper/kubepod"         // kube-pod:// addresses
	_ "github.com/moby/buildkit/client/connhelper/podmancontainer" // podman-container:// addresses
	_ "github.com/moby/buildkit/client/connhelper/ssh"             // ssh:// addresses
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	"github.com/moby/buildkit/session/secrets/secretsprovider"
	"github.com/moby/buildkit/sourcepolicy"
	spb "github.com/moby/buildkit/sourcepolicy/pb"
	ocispec "github.com/opencontainers/image-spec/specs-go/v1"
	"github.com/tonistiigi/fsutil"

	"github.com/brefimg/brefimg/builder"
	"github.com/brefimg/brefimg/plan"
)

// Addresses lists the forms of a daemon's address New takes.
const Addresses = "unix://PATH, tcp://HOST:PORT, docker-container://NAME, podman-container://NAME, kube-pod://NAME or ssh://USER@HOST"

// EnvHost is the environment variable BuildKit's own tools read the
// daemon's address from.
const EnvHost = "BUILDKIT_HOST"

// storeID names the OCI layout of input images in the session.
const storeID = "brefimg"

// Solver builds Dockerfile stages on the BuildKit daemon at one address.
// It is safe for concurrent use.
type Solver struct {
	addr string
	o    options

	mu     sync.Mutex
	client *client.Client
	pruned sync.Once
}

var _ builder.Solver = (*Solver)(nil)

// Option configures a [Solver].
type Option func(*options) error

type options struct {
	store      string
	tls        TLS
	status     func(Status)
	secrets    map[string][]byte
	clientOpts []client.ClientOpt
}

// WithSecrets gives the builds the secrets, by id, that RUN
// --mount=type=secret,id=ID reads (at /run/secrets/ID). They reach the
// daemon over the build's session, for the RUN steps that mount them, and
// never an image layer, its history or brefimg's output.
func WithSecrets(secrets map[string][]byte) Option {
	return func(o *options) error {
		o.secrets = secrets
		return nil
	}
}

// TLS holds the files of a TLS connection to a tcp:// daemon, as
// buildctl's --tlscacert, --tlscert, --tlskey and --tlsservername.
type TLS struct {
	CA, Cert, Key, ServerName string
}

// WithTLS connects with t (a tcp:// address). Its files must exist.
func WithTLS(t TLS) Option {
	return func(o *options) error {
		if (t.Cert == "") != (t.Key == "") {
			return errors.New("a TLS client certificate needs its key, and a key its certificate")
		}
		for _, f := range []string{t.CA, t.Cert, t.Key} {
			if _, err := os.Stat(f); f != "" && err != nil {
				return fmt.Errorf("TLS file: %w", err)
			}
		}
		o.tls = t
		return nil
	}
}

// WithStore keeps the blobs of the input images in the OCI layout dir
// (created when missing), where later builds find them: a warm build
// writes no blob again. Default: a temporary directory per build.
func WithStore(dir string) Option {
	return func(o *options) error {
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return fmt.Errorf("BuildKit image store %s: %w", dir, err)
		}
		o.store = dir
		return nil
	}
}

// WithStatus calls f with the daemon's progress: steps started and done,
// and what RUN steps print. f is called from one goroutine at a time.
func WithStatus(f func(Status)) Option {
	return func(o *options) error {
		o.status = f
		return nil
	}
}

// New returns a Solver for the daemon at addr: unix://, tcp://, or an
// address of a connection helper BuildKit's client knows
// (docker-container://, kube-pod://, podman-container://, ssh://). It
// connects on the first build.
func New(addr string, opts ...Option) (*Solver, error) {
	if addr == "" {
		return nil, errors.New("BuildKit address is empty: give " + Addresses)
	}
	if !strings.Contains(addr, "://") {
		return nil, fmt.Errorf("BuildKit address %q has no scheme: give %s", addr, Addresses)
	}
	s := &Solver{addr: addr}
	for _, opt := range opts {
		if err := opt(&s.o); err != nil {
			return nil, err
		}
	}
	if s.o.tls.CA != "" || s.o.tls.ServerName != "" {
		s.o.clientOpts = append(s.o.clientOpts, client.WithServerConfig(s.o.tls.ServerName, s.o.tls.CA))
	}
	if s.o.tls.Cert != "" {
		s.o.clientOpts = append(s.o.clientOpts, client.WithCredentials(s.o.tls.Cert, s.o.tls.Key))
	}
	return s, nil
}

// Close closes the connection to the daemon.
func (s *Solver) Close() error {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client == nil {
		return nil
	}
	err := s.client.Close()
	s.client = nil
	return err
}

// connect returns the client, connecting once.
func (s *Solver) connect(ctx context.Context) (*client.Client, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.client != nil {
		return s.client, nil
	}
	c, err := client.New(ctx, s.addr, s.o.clientOpts...)
	if err != nil {
		return nil, fmt.Errorf("connecting to BuildKit at %s: %w", s.addr, err)
	}
	// A daemon that does not answer in time is not there; the build
	// itself may take as long as it takes.
	cctx, cancel := context.WithTimeout(ctx, connectTimeout)
	defer cancel()
	if err := hasWorker(cctx, c); err != nil {
		c.Close()
		return nil, fmt.Errorf("connecting to BuildKit at %s: %v: is buildkitd running there? (start one with buildkitd, or docker run -d --privileged moby/buildkit)", s.addr, cause(err))
	}
	s.client = c
	return c, nil
}

// connectTimeout bounds the wait for a daemon to answer.
const connectTimeout = 30 * time.Second

// hasWorker returns nil when the daemon c talks to lists a worker.
func hasWorker(ctx context.Context, c *client.Client) error {
	ws, err := c.ListWorkers(ctx)
	if err != nil {
		return err
	}
	if len(ws) == 0 {
		return errors.New("the daemon lists no worker")
	}
	return nil
}

// Ready returns nil when the daemon at addr answers and lists a worker,
// with a connection of its own (a gRPC connection that failed once backs
// off for seconds): for those who start a daemon and wait for it.
func Ready(ctx context.Context, addr string) error {
	c, err := client.New(ctx, addr)
	if err != nil {
		return err
	}
	defer c.Close()
	return hasWorker(ctx, c)
}

// Solve builds req on the daemon and returns the image, which it reads
// from req.Dir (the builder removes it after the push).
func (s *Solver) Solve(ctx context.Context, req builder.SolveRequest) (v1.Image, error) {
	c, err := s.connect(ctx)
	if err != nil {
		return nil, err
	}
	if req.Dir == "" {
		return nil, errors.New("BuildKit solve: no directory for the image")
	}
	store := s.o.store
	if store == "" {
		store = filepath.Join(req.Dir, "store")
	}
	s.pruned.Do(func() {
		// An old blob is only space: a build that needs it writes it again.
		_ = pruneStore(store, storeMaxAge, time.Now())
	})
	contexts, err := writeInputs(store, req.Images, req.Solve.Stages)
	if err != nil {
		return nil, err
	}
	cs, err := contentlocal.NewStore(store)
	if err != nil {
		return nil, fmt.Errorf("opening the BuildKit image store %s: %w", store, err)
	}
	dfDir := filepath.Join(req.Dir, "dockerfile")
	if err := writeDockerfile(dfDir, req); err != nil {
		return nil, err
	}
	mounts, err := localMounts(req, dfDir)
	if err != nil {
		return nil, err
	}
	opt := client.SolveOpt{
		Frontend:      "dockerfile.v0",
		FrontendAttrs: frontendAttrs(req, contexts),
		LocalMounts:   mounts,
		SharedKey:     sharedKey(req.Solve.ContextDir),
		OCIStores:     map[string]content.Store{storeID: cs},
		SourcePolicy:  noPulls,
		// The image comes back into the store that holds the inputs:
		// the base's blobs are there, and are not sent back.
		Exports: []client.ExportEntry{{
			Type:        client.ExporterOCI,
			OutputStore: cs,
			Attrs:       exportAttrs(req),
		}},
	}
	if len(s.o.secrets) > 0 {
		opt.Session = append(opt.Session, secretsprovider.FromMap(s.o.secrets))
	}
	resp, err := s.solve(ctx, c, opt)
	if err != nil {
		what := req.File
		if req.Target != "" && req.Target != req.Solve.Target {
			what = "stage " + req.Target + " of " + req.File
		}
		return nil, fmt.Errorf("BuildKit building %s: %w", what, err)
	}
	return readOutput(store, filepath.Join(req.Dir, "image"), resp, !req.Intermediate)
}

// exportAttrs are the OCI exporter's options: gzip layers whose times are
// SOURCE_DATE_EPOCH for an image brefimg pushes; for an intermediate one,
// which brefimg only reads (its COPY writes its own times), layers left
// uncompressed as they are, which saves compressing them twice.
func exportAttrs(req builder.SolveRequest) map[string]string {
	attrs := map[string]string{"tar": "false", "oci-mediatypes": strconv.FormatBool(req.OCI)}
	if req.Intermediate {
		attrs["compression"] = "uncompressed"
	} else {
		attrs["compression"] = "gzip"
		attrs["rewrite-timestamp"] = "true"
	}
	return attrs
}

// sharedKey names the build context for the daemon, so that a rebuild of
// the same directory sends only what changed since the last one.
func sharedKey(dir string) string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		abs = dir
	}
	sum := sha256.Sum256([]byte(abs))
	return "brefimg-" + hex.EncodeToString(sum[:8])
}

// solve runs one solve, forwarding its status.
func (s *Solver) solve(ctx context.Context, c *client.Client, opt client.SolveOpt) (map[string]string, error) {
	ch := make(chan *client.SolveStatus)
	done := make(chan struct{})
	go func() {
		defer close(done)
		st := newStatusReader(s.o.status)
		for ss := range ch {
			st.read(ss)
		}
	}()
	resp, err := c.Solve(ctx, nil, opt, ch)
	<-done
	switch {
	case ctx.Err() != nil:
		return nil, ctx.Err()
	case err != nil && strings.Contains(err.Error(), sourcepolicy.ErrSourceDenied.Error()):
		return nil, fmt.Errorf("%s: BuildKit would pull that image itself, unpinned: name it in a FROM or COPY --from= (for RUN --mount=from=IMAGE, a stage FROM IMAGE AS name, then --mount=from=name), so that brefimg hands it over", cause(err))
	case err != nil:
		return nil, errors.New(cause(err))
	}
	return resp.ExporterResponse, nil
}

// noPulls is the source policy of every build: the daemon pulls no image
// from a registry (brefimg hands it each, pinned), but for the Dockerfile
// frontends a "# syntax=" line names (docker.io/docker/dockerfile).
var noPulls = &spb.Policy{Rules: []*spb.Rule{
	{Action: spb.PolicyAction_DENY, Selector: &spb.Selector{Identifier: "docker-image://*"}},
	{Action: spb.PolicyAction_ALLOW, Selector: &spb.Selector{Identifier: "docker-image://docker.io/docker/dockerfile*"}},
}}

// frontendAttrs are the Dockerfile frontend's options: the target and
// its platform, the build args, SOURCE_DATE_EPOCH, and a named context
// per input image.
func frontendAttrs(req builder.SolveRequest, contexts map[string]string) map[string]string {
	attrs := map[string]string{
		"filename": "Dockerfile",
		"platform": req.Platform.String(),
	}
	target := req.Target
	if target == "" {
		target = req.Solve.Target
	}
	if target != "" {
		attrs["target"] = target
	}
	for k, v := range req.Solve.BuildArgs {
		attrs["build-arg:"+k] = v
	}
	attrs["build-arg:SOURCE_DATE_EPOCH"] = strconv.FormatInt(req.Epoch.Unix(), 10)
	for k, v := range contexts {
		attrs["context:"+k] = v
	}
	return attrs
}

// indexOne makes dir an OCI layout whose index holds desc alone and whose
// blobs are the store's.
func indexOne(store, dir string, desc v1.Descriptor) (v1.ImageIndex, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	blobs, err := filepath.Abs(filepath.Join(store, "blobs"))
	if err != nil {
		return nil, err
	}
	if err := os.Symlink(blobs, filepath.Join(dir, "blobs")); err != nil {
		return nil, err
	}
	p, err := layout.Write(dir, empty.Index)
	if err != nil {
		return nil, err
	}
	if err := p.AppendDescriptor(desc); err != nil {
		return nil, err
	}
	return p.ImageIndex()
}

// writeInputs writes every input image (its manifest, config and layers;
// blobs already there are kept) to the OCI layout store, and returns the
// named contexts that point the Dockerfile's references at them:
// "oci-layout://brefimg@sha256:…" by the reference's familiar name, and by
// name and platform when one reference is read for two platforms.
func writeInputs(store string, images []builder.SolveImage, stages []string) (map[string]string, error) {
	count := map[string]int{}
	names := make([]string, len(images))
	for i, in := range images {
		named, err := reference.ParseNormalizedNamed(in.Ref)
		if err != nil {
			return nil, fmt.Errorf("image %q: %w", in.Ref, err)
		}
		// As BuildKit's Dockerfile frontend names the context it looks
		// for (dockerui's NamedContext).
		names[i] = strings.TrimSuffix(reference.FamiliarString(named), ":latest")
		count[names[i]]++
		for _, st := range stages {
			if strings.EqualFold(st, names[i]) {
				return nil, plan.Inputf(plan.FieldFile, "stage %q has the name of the image %s, which BuildKit would build the stage as: rename the stage (e.g. AS %s-build)", st, in.Ref, st)
			}
		}
	}
	contexts := map[string]string{}
	for i, in := range images {
		if err := storeImage(store, in.Image); err != nil {
			return nil, fmt.Errorf("writing %s to the BuildKit image store %s: %w", in.Ref, store, err)
		}
		d, err := in.Image.Digest()
		if err != nil {
			return nil, fmt.Errorf("reading the digest of %s: %w", in.Ref, err)
		}
		key := names[i]
		if count[key] > 1 {
			p := ocispec.Platform{OS: in.Platform.OS, Architecture: in.Platform.Architecture, Variant: in.Platform.Variant}
			key += "::" + platforms.FormatAll(platforms.Normalize(p))
		}
		contexts[key] = "oci-layout://" + storeID + "@" + d.String()
	}
	return contexts, nil
}

// writeDockerfile writes the Dockerfile as read, and the context's ignore
// patterns as its own .dockerignore, which BuildKit prefers to the
// context's: the patterns brefimg applied are the ones BuildKit applies.
func writeDockerfile(dir string, req builder.SolveRequest) error {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return fmt.Errorf("writing the Dockerfile for BuildKit: %w", err)
	}
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile"), req.Solve.Dockerfile, 0o644); err != nil {
		return fmt.Errorf("writing the Dockerfile for BuildKit: %w", err)
	}
	ignore := strings.Join(req.Solve.Ignore, "\n") + "\n"
	if err := os.WriteFile(filepath.Join(dir, "Dockerfile.dockerignore"), []byte(ignore), 0o644); err != nil {
		return fmt.Errorf("writing the Dockerfile's ignore file for BuildKit: %w", err)
	}
	return nil
}

// localMounts are the directories the session serves: the build context
// (without the files the build itself writes) and the Dockerfile's.
func localMounts(req builder.SolveRequest, dfDir string) (map[string]fsutil.FS, error) {
	ctxFS, err := fsutil.NewFS(req.Solve.ContextDir)
	if err != nil {
		return nil, fmt.Errorf("build context %s: %w", req.Solve.ContextDir, err)
	}
	if ex := excluded(req.Solve.ContextDir, req.Exclude); len(ex) > 0 {
		if ctxFS, err = fsutil.NewFilterFS(ctxFS, &fsutil.FilterOpt{ExcludePatterns: ex}); err != nil {
			return nil, fmt.Errorf("build context %s: %w", req.Solve.ContextDir, err)
		}
	}
	dfFS, err := fsutil.NewFS(dfDir)
	if err != nil {
		return nil, fmt.Errorf("the Dockerfile's directory %s: %w", dfDir, err)
	}
	return map[string]fsutil.FS{"context": ctxFS, "dockerfile": dfFS}, nil
}

// excluded turns the machine paths of exclude that are inside dir into
// exclude patterns relative to it.
func excluded(dir string, exclude []string) []string {
	abs, err := filepath.Abs(dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, e := range exclude {
		ae, err := filepath.Abs(e)
		if err != nil {
			continue
		}
		if rel, err := filepath.Rel(abs, ae); err == nil && rel != "." && !strings.HasPrefix(rel, "..") {
			out = append(out, filepath.ToSlash(rel))
		}
	}
	sort.Strings(out)
	return out
}

// readOutput reads the image BuildKit exported to the store, as its
// exporter response describes it, through an OCI layout at dir that
// indexes it alone: one single-platform image manifest, and no
// attestation, with gzip layers (unless not gzipOnly: an intermediate
// image). The builder checks its platform.
func readOutput(store, dir string, resp map[string]string, gzipOnly bool) (v1.Image, error) {
	raw, err := base64.StdEncoding.DecodeString(resp[exptypes.ExporterImageDescriptorKey])
	if err != nil || len(raw) == 0 {
		return nil, fmt.Errorf("BuildKit did not say what it exported (%s: %q)", exptypes.ExporterImageDescriptorKey, resp[exptypes.ExporterImageDescriptorKey])
	}
	var desc v1.Descriptor
	if err := json.Unmarshal(raw, &desc); err != nil {
		return nil, fmt.Errorf("BuildKit's descriptor of what it exported: %w", err)
	}
	if !desc.MediaType.IsImage() {
		return nil, fmt.Errorf("BuildKit exported a %s, not a single-platform image (an attestation or multi-platform index is not what Lambda takes)", desc.MediaType)
	}
	idx, err := indexOne(store, dir, desc)
	if err != nil {
		return nil, fmt.Errorf("reading the image BuildKit exported: %w", err)
	}
	img, err := idx.Image(desc.Digest)
	if err != nil {
		return nil, fmt.Errorf("reading the image BuildKit exported: %w", err)
	}
	if err := validate.Image(img, validate.Fast); err != nil {
		return nil, fmt.Errorf("the image BuildKit exported is broken: %w", err)
	}
	if !gzipOnly {
		return img, nil
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading the manifest of the image BuildKit exported: %w", err)
	}
	gzip := types.OCILayer
	if desc.MediaType == types.DockerManifestSchema2 {
		gzip = types.DockerLayer
	}
	for _, l := range m.Layers {
		if l.MediaType != gzip {
			return nil, fmt.Errorf("BuildKit exported layer %s as %s in a %s: Lambda needs gzip layers of the manifest's kind (%s)", l.Digest, l.MediaType, desc.MediaType, gzip)
		}
	}
	return img, nil
}
