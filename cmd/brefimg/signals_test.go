package main

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/brefimg/brefimg/internal/faultproxy"
)

// stalledBuild starts a build in a subprocess whose source registry stalls
// every blob download, so the build hangs writing its -o output; it returns
// the running command, its output dir and its temporary dir.
func stalledBuild(t *testing.T, extra ...string) (*exec.Cmd, *strings.Builder, string, string, *faultproxy.Proxy) {
	t.Helper()
	reg := seeded(t)
	proxy, err := faultproxy.Start(reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(proxy.Close)
	proxy.Inject(faultproxy.Fault{Kind: faultproxy.Stall, Method: "GET", PathContains: "/blobs/sha256:"})
	out, tmp := t.TempDir(), t.TempDir()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	args := append([]string{"build", "--bref", "1", "--php", "8.0", "--ext", "redis,gmp", "--mirror", proxy.Host,
		"-o", "oci:" + filepath.Join(out, "layout"), "-o", "tar:" + filepath.Join(out, "image.tar"),
		"--digest-file", filepath.Join(out, "digest"), "--metadata-file", filepath.Join(out, "meta.json")}, extra...)
	cmd := exec.Command(exe, append(args, appDir(t))...)
	cmd.Env = append(os.Environ(), "BREFIMG_TEST_RUN_MAIN=1", "TMPDIR="+tmp, "XDG_CACHE_HOME="+testCache)
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	return cmd, &stderr, out, tmp, proxy
}

// leftovers lists what a stopped build left in dirs.
func leftovers(t *testing.T, dirs ...string) []string {
	t.Helper()
	var out []string
	for _, d := range dirs {
		entries, err := os.ReadDir(d)
		if err != nil {
			t.Fatal(err)
		}
		for _, e := range entries {
			out = append(out, filepath.Join(d, e.Name()))
		}
	}
	return out
}

func TestInterruptLeavesNothing(t *testing.T) {
	t.Parallel()
	for _, sig := range []syscall.Signal{syscall.SIGTERM, syscall.SIGINT} {
		t.Run(sig.String(), func(t *testing.T) {
			cmd, stderr, out, tmp, proxy := stalledBuild(t)
			for proxy.Injected()[faultproxy.Stall] == 0 {
				if cmd.ProcessState != nil {
					t.Fatalf("the build ended before stalling: %s", stderr)
				}
				runtimeGosched()
			}
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait() // a build that ignored the signal would hang here
			ee, ok := err.(*exec.ExitError)
			if !ok || ee.ExitCode() != 128+int(sig) || !strings.Contains(stderr.String(), "interrupted") {
				t.Errorf("exit %v, stderr %s", err, stderr)
			}
			if left := leftovers(t, out, tmp); len(left) > 0 {
				t.Errorf("an interrupted build left %v", left)
			}
		})
	}
}

func TestTimeoutLeavesNothing(t *testing.T) {
	t.Parallel()
	cmd, stderr, out, tmp, _ := stalledBuild(t, "--timeout", "1s")
	err := cmd.Wait()
	ee, ok := err.(*exec.ExitError)
	if !ok || ee.ExitCode() != exitBuild || !strings.Contains(stderr.String(), "--timeout") {
		t.Errorf("exit %v, stderr %s", err, stderr)
	}
	if left := leftovers(t, out, tmp); len(left) > 0 {
		t.Errorf("a timed-out build left %v", left)
	}
}

// runtimeGosched yields while polling the proxy.
func runtimeGosched() { time.Sleep(10 * time.Millisecond) }
