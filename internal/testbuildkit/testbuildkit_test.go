package testbuildkit_test

import (
	"context"
	"os"
	"runtime"
	"testing"
	"time"

	"github.com/brefimg/brefimg/internal/testbuildkit"
	"github.com/moby/buildkit/client"
)

func TestMain(m *testing.M) { os.Exit(testbuildkit.Main(m)) }

// TestAddr checks that the daemon answers and has a worker for the host's
// platform.
func TestAddr(t *testing.T) {
	addr := testbuildkit.Addr(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	c, err := client.New(ctx, addr)
	if err != nil {
		t.Fatalf("connecting to %s: %v", addr, err)
	}
	defer c.Close()
	workers, err := c.ListWorkers(ctx)
	if err != nil {
		t.Fatalf("listing workers: %v", err)
	}
	var seen []string
	for _, w := range workers {
		for _, p := range w.Platforms {
			if p.OS == "linux" && p.Architecture == runtime.GOARCH {
				return
			}
			seen = append(seen, p.OS+"/"+p.Architecture)
		}
	}
	t.Fatalf("no worker for linux/%s among %d workers (platforms %v)", runtime.GOARCH, len(workers), seen)
}

// TestAddrShared checks that a second call returns the same daemon.
func TestAddrShared(t *testing.T) {
	if a, b := testbuildkit.Addr(t), testbuildkit.Addr(t); a != b {
		t.Fatalf("Addr returned %q, then %q", a, b)
	}
}
