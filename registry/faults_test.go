package registry_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/brefimg/brefimg/internal/faultproxy"
	"github.com/brefimg/brefimg/internal/testregistry"
	"github.com/brefimg/brefimg/registry"
)

// image is a random linux/amd64 image of three 64 KiB layers.
func image(t *testing.T) v1.Image {
	t.Helper()
	img, err := random.Image(64<<10, 3)
	if err != nil {
		t.Fatal(err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.OS, cf.Architecture = "linux", "amd64"
	img, err = mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// faultyRegistry is the real registry behind a fault-injecting proxy, and a
// client that retries fast and gives a silent connection 300 ms.
func faultyRegistry(t *testing.T) (*testregistry.Registry, *faultproxy.Proxy, *registry.Client) {
	t.Helper()
	reg, err := testregistry.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Close)
	proxy, err := faultproxy.Start(reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	c, err := registry.New(registry.WithRetryBackoff(remote.Backoff{Duration: 10 * time.Millisecond, Factor: 2, Jitter: 0.2, Steps: 5}),
		registry.WithIdleTimeout(300*time.Millisecond), registry.WithJobs(2))
	if err != nil {
		t.Fatal(err)
	}
	return reg, proxy, c
}

// readBack reads tag from the registry directly, not through the proxy.
func readBack(t *testing.T, reg *testregistry.Registry, repoTag string) v1.Hash {
	t.Helper()
	ref, err := name.ParseReference(reg.Host + "/" + repoTag)
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(ref)
	if err != nil {
		t.Fatalf("reading back %s: %v", ref, err)
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range ls { // every blob is there and matches its digest
		rc, err := l.Compressed()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io_Copy(rc); err != nil {
			t.Fatalf("reading back a layer of %s: %v", ref, err)
		}
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d
}

// TestFaultsRecovered pushes through every kind of transient fault and
// checks that each push succeeds with the right digest, read back from the
// registry itself.
func TestFaultsRecovered(t *testing.T) {
	const runs = 3
	tests := []struct {
		name   string
		faults []faultproxy.Fault
	}{
		{"500 on blob uploads", []faultproxy.Fault{{Kind: faultproxy.Status, Status: 500, Method: "PATCH", Times: 2}}},
		{"502 on blob checks", []faultproxy.Fault{{Kind: faultproxy.Status, Status: 502, Method: "HEAD", PathContains: "/blobs/", Times: 2}}},
		{"503 on the manifest", []faultproxy.Fault{{Kind: faultproxy.Status, Status: 503, Method: "PUT", PathContains: "/manifests/", Times: 2}}},
		{"429 with Retry-After", []faultproxy.Fault{{Kind: faultproxy.Status, Status: 429, RetryAfter: "1", Method: "POST", Times: 1}}},
		{"connection reset mid-blob", []faultproxy.Fault{{Kind: faultproxy.Reset, Method: "PATCH", Times: 2}}},
		{"slow answers", []faultproxy.Fault{{Kind: faultproxy.Slow, Delay: 100 * time.Millisecond, Times: 4}}},
		{"a stalled upload", []faultproxy.Fault{{Kind: faultproxy.Stall, Method: "PATCH", Times: 1}}},
		{"a stalled check", []faultproxy.Fault{{Kind: faultproxy.Stall, Method: "HEAD", Times: 1}}},
	}
	total := map[faultproxy.Kind]int{}
	builds, ok := 0, 0
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			reg, proxy, c := faultyRegistry(t)
			for i := 0; i < runs; i++ {
				img := image(t)
				want, _ := img.Digest()
				proxy.Inject(tc.faults...)
				tag := fmt.Sprintf("app:run%d", i)
				ref, err := c.Target(proxy.Host + "/" + tag)
				if err != nil {
					t.Fatal(err)
				}
				builds++
				if _, err := c.Push(context.Background(), img, []name.Reference{ref}); err != nil {
					t.Errorf("run %d: %v", i, err)
					continue
				}
				if got := readBack(t, reg, tag); got != want {
					t.Errorf("run %d: read back %s, pushed %s", i, got, want)
					continue
				}
				ok++
				proxy.Clear()
			}
			for k, v := range proxy.Injected() {
				total[k] += v
				if v == 0 {
					t.Errorf("no %s fault was injected: the test proves nothing", k)
				}
			}
			if len(proxy.Injected()) == 0 {
				t.Error("no fault was injected: the test proves nothing")
			}
		})
	}
	kinds := make([]string, 0, len(total))
	for k, v := range total {
		kinds = append(kinds, fmt.Sprintf("%s=%d", k, v))
	}
	sort.Strings(kinds)
	t.Logf("faults injected: %s; pushes: %d, succeeded and read back equal: %d", strings.Join(kinds, " "), builds, ok)
}

// TestFaultsFatal: a registry that keeps failing makes the push fail with
// an error naming the registry and the step, and the tag keeps pointing at
// the complete image it had.
func TestFaultsFatal(t *testing.T) {
	reg, proxy, c := faultyRegistry(t)
	old := image(t)
	ref, err := c.Target(proxy.Host + "/app:live")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := c.Push(context.Background(), old, []name.Reference{ref}); err != nil {
		t.Fatal(err)
	}
	oldDigest, _ := old.Digest()
	tests := []struct {
		name  string
		fault faultproxy.Fault
		want  string
	}{
		{"uploads keep failing", faultproxy.Fault{Kind: faultproxy.Status, Status: 500, Method: "PATCH"}, "500"},
		{"the registry keeps resetting", faultproxy.Fault{Kind: faultproxy.Reset, Method: "PATCH"}, "pushing to"},
		{"the registry stalls", faultproxy.Fault{Kind: faultproxy.Stall, Method: "POST"}, "timeout"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			proxy.Clear()
			proxy.Inject(tc.fault)
			_, err := c.Push(context.Background(), image(t), []name.Reference{ref})
			if err == nil {
				t.Fatal("the push succeeded")
			}
			var rerr *registry.Error
			if !errors.As(err, &rerr) || !strings.Contains(err.Error(), proxy.Host) || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q does not name the registry, the step and %q", err, tc.want)
			}
			if rerr != nil && rerr.IsInput() {
				t.Errorf("a failing registry is reported as bad input (exit 2): %v", err)
			}
			proxy.Clear()
			if got := readBack(t, reg, "app:live"); got != oldDigest {
				t.Errorf("the tag moved to %s after a failed push, want %s", got, oldDigest)
			}
		})
	}
}

// TestCorruptBlob: a layer whose bytes do not match its digest is refused.
func TestCorruptBlob(t *testing.T) {
	reg, proxy, c := faultyRegistry(t)
	img := image(t)
	ref, _ := c.Target(reg.Host + "/app:1")
	if _, err := c.Push(context.Background(), img, []name.Reference{ref}); err != nil {
		t.Fatal(err)
	}
	proxy.Inject(faultproxy.Fault{Kind: faultproxy.Corrupt, Method: "GET", PathContains: "/blobs/sha256:"})
	got, _, err := c.Image(context.Background(), proxy.Host+"/app:1", v1.Platform{OS: "linux", Architecture: "amd64"})
	if err == nil {
		ls, _ := got.Layers()
		rc, lerr := ls[0].Compressed()
		if lerr == nil {
			_, err = io_Copy(rc)
		} else {
			err = lerr
		}
	}
	if err == nil || !strings.Contains(err.Error(), "sha256 checksum") {
		t.Errorf("a corrupt blob was read without error: %v", err)
	}
	if proxy.Injected()[faultproxy.Corrupt] == 0 {
		t.Error("no corruption was injected")
	}
}

// slowLayer sends its blob slowly but steadily, as a big layer on a slow
// link does.
type slowLayer struct{ v1.Layer }

func (s slowLayer) Compressed() (io.ReadCloser, error) {
	rc, err := s.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	return &trickle{rc}, nil
}

type trickle struct{ io.ReadCloser }

func (t *trickle) Read(p []byte) (int, error) {
	time.Sleep(20 * time.Millisecond)
	return t.ReadCloser.Read(p[:min(len(p), 2048)])
}

// TestSlowUploadIsNotIdle: an upload that keeps moving for longer than the
// idle timeout succeeds; only silence fails a request.
func TestSlowUploadIsNotIdle(t *testing.T) {
	reg, _, c := faultyRegistry(t) // idle timeout 300 ms
	fresh, err := random.Layer(64<<10, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	slow, err := mutate.AppendLayers(image(t), slowLayer{fresh}) // about 32 reads of 2 KiB: over half a second
	if err != nil {
		t.Fatal(err)
	}
	ref, _ := c.Target(reg.Host + "/slow:1")
	if _, err := c.Push(context.Background(), slow, []name.Reference{ref}); err != nil {
		t.Fatalf("a steady upload longer than the idle timeout failed: %v", err)
	}
}
