package buildkit

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/moby/buildkit/client"
	"github.com/moby/buildkit/exporter/containerimage/exptypes"
	digest "github.com/opencontainers/go-digest"

	"github.com/brefimg/brefimg/builder"
	"github.com/brefimg/brefimg/plan"
)

var amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}

// platformImage is a random image whose config says platform.
func platformImage(t *testing.T, p v1.Platform, mt types.MediaType) v1.Image {
	t.Helper()
	layerMT := types.DockerLayer
	if mt == types.OCIManifestSchema1 {
		layerMT = types.OCILayer
	}
	img := mutate.MediaType(empty.Image, mt)
	for range 2 {
		l, err := random.Layer(100, layerMT)
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.Append(img, mutate.Addendum{Layer: l, MediaType: layerMT}); err != nil {
			t.Fatal(err)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = p.OS, p.Architecture
	if img, err = mutate.ConfigFile(img, cf); err != nil {
		t.Fatal(err)
	}
	return img
}

// TestWriteInputs: each image lands in the store, and the Dockerfile's
// references become named contexts by their familiar name, pinned by
// digest; one reference read for two platforms is named with each.
func TestWriteInputs(t *testing.T) {
	t.Parallel()
	base, ext := platformImage(t, amd64, types.OCIManifestSchema1), platformImage(t, amd64, types.OCIManifestSchema1)
	arm := platformImage(t, v1.Platform{OS: "linux", Architecture: "arm64"}, types.OCIManifestSchema1)
	store := filepath.Join(t.TempDir(), "store")
	ctxs, err := writeInputs(store, []builder.SolveImage{
		{Ref: "docker.io/bref/php-84:3", Platform: amd64, Image: base},
		{Ref: "composer:latest", Platform: amd64, Image: ext},
		{Ref: "bref/extra-gmp-php-84:3", Platform: amd64, Image: ext},
		{Ref: "bref/extra-gmp-php-84:3", Platform: v1.Platform{OS: "linux", Architecture: "arm64"}, Image: arm},
	}, []string{"vendor"})
	if err != nil {
		t.Fatal(err)
	}
	d := func(img v1.Image) string {
		h, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return "oci-layout://brefimg@" + h.String()
	}
	want := map[string]string{
		"bref/php-84:3":                        d(base),
		"composer":                             d(ext),
		"bref/extra-gmp-php-84:3::linux/amd64": d(ext),
		"bref/extra-gmp-php-84:3::linux/arm64": d(arm),
	}
	for k, v := range want {
		if ctxs[k] != v {
			t.Errorf("context %q = %q, want %q", k, ctxs[k], v)
		}
	}
	if len(ctxs) != len(want) {
		t.Errorf("contexts %v, want %v", ctxs, want)
	}
	p := layout.Path(store)
	for _, img := range []v1.Image{base, ext, arm} {
		h, _ := img.Digest()
		cfg, _ := img.ConfigName()
		ls, _ := img.Layers()
		blobs := []v1.Hash{h, cfg}
		for _, l := range ls {
			d, _ := l.Digest()
			blobs = append(blobs, d)
		}
		for _, b := range blobs {
			rc, err := p.Blob(b)
			if err != nil {
				t.Errorf("blob %s of image %s is not in the store: %v", b, h, err)
				continue
			}
			rc.Close()
		}
	}
	// A second build writes into the same store.
	if _, err := writeInputs(store, []builder.SolveImage{{Ref: "bref/php-84:3", Platform: amd64, Image: base}}, nil); err != nil {
		t.Errorf("writing the store again: %v", err)
	}
	// A stage named as an image it reads would be that image to BuildKit.
	_, err = writeInputs(store, []builder.SolveImage{{Ref: "docker.io/library/composer:latest", Platform: amd64, Image: ext}}, []string{"composer"})
	if !plan.IsInput(err) || !strings.Contains(err.Error(), "rename the stage") {
		t.Errorf("a stage named as an image: %v, want an input error", err)
	}
}

// TestFrontendAttrs: the target, the platform, the build args,
// SOURCE_DATE_EPOCH and the named contexts reach the frontend.
func TestFrontendAttrs(t *testing.T) {
	t.Parallel()
	req := builder.SolveRequest{Platform: amd64, Epoch: time.Unix(1700000000, 0), Target: "vendor"}
	req.Solve.BuildArgs = map[string]string{"APP_ENV": "prod"}
	req.Solve.Target = "app"
	got := frontendAttrs(req, map[string]string{"bref/php-84:3": "oci-layout://brefimg@sha256:abc"})
	want := map[string]string{
		"filename": "Dockerfile", "platform": "linux/amd64", "target": "vendor",
		"build-arg:APP_ENV": "prod", "build-arg:SOURCE_DATE_EPOCH": "1700000000",
		"context:bref/php-84:3": "oci-layout://brefimg@sha256:abc",
	}
	if len(got) != len(want) {
		t.Errorf("attrs %v, want %v", got, want)
	}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s = %q, want %q", k, got[k], v)
		}
	}
	req.Target = ""
	if got := frontendAttrs(req, nil); got["target"] != "app" {
		t.Errorf("without a stage, target = %q, want the Dockerfile's app", got["target"])
	}
}

// TestReadOutput: what BuildKit exported is taken only when its exporter
// response names one single-platform image, with gzip layers of its
// manifest's kind.
func TestReadOutput(t *testing.T) {
	t.Parallel()
	store := t.TempDir()
	resp := func(t *testing.T, mt types.MediaType, d v1.Hash, size int64) map[string]string {
		raw, err := json.Marshal(v1.Descriptor{MediaType: mt, Digest: d, Size: size})
		if err != nil {
			t.Fatal(err)
		}
		return map[string]string{exptypes.ExporterImageDescriptorKey: base64.StdEncoding.EncodeToString(raw)}
	}
	stored := func(t *testing.T, img v1.Image) map[string]string {
		if err := storeImage(store, img); err != nil {
			t.Fatal(err)
		}
		d, _ := img.Digest()
		size, _ := img.Size()
		mt, _ := img.MediaType()
		return resp(t, mt, d, size)
	}
	tests := []struct {
		name string
		resp func(t *testing.T) map[string]string
		want string // part of the error; "" for none
	}{
		{name: "one image", resp: func(t *testing.T) map[string]string {
			return stored(t, platformImage(t, amd64, types.OCIManifestSchema1))
		}},
		{name: "an index", resp: func(t *testing.T) map[string]string {
			idx := mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: platformImage(t, amd64, types.OCIManifestSchema1)})
			d, _ := idx.Digest()
			return resp(t, types.OCIImageIndex, d, 100)
		}, want: "not a single-platform image"},
		{name: "an uncompressed layer", resp: func(t *testing.T) map[string]string {
			img := platformImage(t, amd64, types.OCIManifestSchema1)
			l, err := random.Layer(100, types.OCIUncompressedLayer)
			if err != nil {
				t.Fatal(err)
			}
			if img, err = mutate.Append(img, mutate.Addendum{Layer: l, MediaType: types.OCIUncompressedLayer}); err != nil {
				t.Fatal(err)
			}
			return stored(t, img)
		}, want: "Lambda needs gzip layers"},
		{name: "OCI layers in a Docker manifest", resp: func(t *testing.T) map[string]string {
			return stored(t, mutate.MediaType(platformImage(t, amd64, types.OCIManifestSchema1), types.DockerManifestSchema2))
		}, want: "Lambda needs gzip layers"},
		{name: "no descriptor", resp: func(*testing.T) map[string]string { return map[string]string{} }, want: "did not say what it exported"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, err := readOutput(store, filepath.Join(t.TempDir(), "image"), tc.resp(t), true)
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("refused: %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one about %q", err, tc.want)
			}
		})
	}
}

// TestStatus: each step is reported started and done once, cached steps
// as such, and what a step prints line by line, its last partial line
// when it ends.
func TestStatus(t *testing.T) {
	t.Parallel()
	var got []string
	r := newStatusReader(func(s Status) {
		switch s.Kind {
		case StepStarted:
			got = append(got, "start "+s.Step)
		case StepDone:
			got = append(got, "done "+s.Step+map[bool]string{true: " cached"}[s.Cached])
		case StepFailed:
			got = append(got, "failed "+s.Step+": "+s.Err)
		case StepLog:
			got = append(got, "log "+s.Step+": "+s.Log)
		}
	})
	now := time.Now()
	run, cp, bad := digest.FromString("run"), digest.FromString("copy"), digest.FromString("bad")
	r.read(&client.SolveStatus{Vertexes: []*client.Vertex{
		{Digest: run, Name: "[1/2] RUN make", Started: &now},
		{Digest: cp, Name: "[2/2] COPY . /", Started: &now, Cached: true, Completed: &now},
	}})
	r.read(&client.SolveStatus{
		Vertexes: []*client.Vertex{{Digest: run, Name: "[1/2] RUN make", Started: &now}},
		Logs:     []*client.VertexLog{{Vertex: run, Data: []byte("one\ntw")}, {Vertex: run, Data: []byte("o\nthree")}},
	})
	r.read(&client.SolveStatus{Vertexes: []*client.Vertex{
		{Digest: run, Name: "[1/2] RUN make", Started: &now, Completed: &now},
		{Digest: bad, Name: "RUN false", Started: &now, Completed: &now, Error: "exit code: 1"},
	}})
	want := []string{
		"start [1/2] RUN make", "done [2/2] COPY . / cached",
		"log [1/2] RUN make: one", "log [1/2] RUN make: two",
		"log [1/2] RUN make: three", "done [1/2] RUN make",
		"start RUN false", "failed RUN false: exit code: 1",
	}
	if !slices.Equal(got, want) {
		t.Errorf("got\n%s\nwant\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
}

// TestNewRefusesBadAddresses: an address without a scheme, or a TLS
// certificate without its key, is refused before any connection.
func TestNewRefusesBadAddresses(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		addr string
		opts []Option
		want string
	}{
		{addr: "", want: "empty"},
		{addr: "/run/buildkit/buildkitd.sock", want: "no scheme"},
		{addr: "tcp://127.0.0.1:1234", opts: []Option{WithTLS(TLS{Cert: "cert.pem"})}, want: "needs its key"},
	} {
		if _, err := New(tc.addr, tc.opts...); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("New(%q) = %v, want an error about %q", tc.addr, err, tc.want)
		}
	}
	if _, err := New("docker-container://buildkitd"); err != nil {
		t.Errorf("a connection helper's address: %v", err)
	}
}

// TestExcluded: the build's own files inside the context are left out of
// what is sent, by their path in it.
func TestExcluded(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	got := excluded(dir, []string{filepath.Join(dir, "out", "image.tar"), filepath.Join(t.TempDir(), "elsewhere"), "", filepath.Join(dir, "digest.txt")})
	if want := []string{"digest.txt", "out/image.tar"}; !slices.Equal(got, want) {
		t.Errorf("excluded = %q, want %q", got, want)
	}
}

// TestPutBlob: a blob is stored only when its bytes match its digest and
// size; a partial file under the digest (a killed build's) is replaced.
func TestPutBlob(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	data := []byte("layer bytes")
	d, size, err := v1.SHA256(bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	open := func(b []byte) func() (io.ReadCloser, error) {
		return func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil }
	}
	if err := putBlob(dir, d, size, open([]byte("other bytes"))); err == nil {
		t.Error("a blob that does not match its digest was stored")
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 0 {
		t.Errorf("a refused blob left %d files", len(entries))
	}
	if err := os.WriteFile(filepath.Join(dir, d.Hex), data[:4], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := putBlob(dir, d, size, open(data)); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(filepath.Join(dir, d.Hex)); !bytes.Equal(got, data) {
		t.Errorf("stored %q, want %q", got, data)
	}
	if err := putBlob(dir, d, size, func() (io.ReadCloser, error) { return nil, errors.New("read again") }); err != nil {
		t.Errorf("a blob already stored was read again: %v", err)
	}
}

// TestPruneStore: the blobs no build used for the maximum age go; those
// used since, and fresh ones, stay.
func TestPruneStore(t *testing.T) {
	t.Parallel()
	store := t.TempDir()
	old, kept := platformImage(t, amd64, types.OCIManifestSchema1), platformImage(t, amd64, types.OCIManifestSchema1)
	for _, img := range []v1.Image{old, kept} {
		if err := storeImage(store, img); err != nil {
			t.Fatal(err)
		}
	}
	blobs := filepath.Join(store, "blobs", "sha256")
	long := time.Now().Add(-2 * storeMaxAge)
	entries, _ := os.ReadDir(blobs)
	for _, e := range entries {
		if err := os.Chtimes(filepath.Join(blobs, e.Name()), long, long); err != nil {
			t.Fatal(err)
		}
	}
	if err := storeImage(store, kept); err != nil { // used again: marked
		t.Fatal(err)
	}
	if err := pruneStore(store, storeMaxAge, time.Now()); err != nil {
		t.Fatal(err)
	}
	has := func(img v1.Image) bool {
		d, _ := img.Digest()
		_, err := os.Stat(filepath.Join(blobs, d.Hex))
		return err == nil
	}
	if has(old) || !has(kept) {
		t.Errorf("after pruning: the unused image's manifest kept %v, the used one's kept %v", has(old), has(kept))
	}
}
