// Package testbuildkit starts a real BuildKit daemon (buildkitd, with its OCI
// worker running runc) for the tests of one test binary, on first use, in a
// temporary root directory, and stops it when the tests end.
//
// It needs root (rootless BuildKit is out of scope), runc and a buildkitd
// binary: `make buildkit` installs runc from Debian and builds bin/buildkitd
// at the BuildKit version go.mod requires. Without them the tests that call
// [Addr] skip, unless BREFIMG_REQUIRE_BUILDKIT=1 (CI sets it), which makes
// them fail instead.
package testbuildkit

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"runtime"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/brefimg/brefimg/buildkit"
)

const (
	// requireEnv, set to 1, turns every skip for a missing prerequisite into
	// a failure.
	requireEnv = "BREFIMG_REQUIRE_BUILDKIT"
	// binaryEnv names the buildkitd binary to run.
	binaryEnv = "BREFIMG_BUILDKITD"

	// readyTimeout bounds the wait for a started daemon to list a worker.
	readyTimeout = 60 * time.Second
	// readyPoll is the interval between two readiness checks.
	readyPoll = 50 * time.Millisecond
	// stopTimeout is how long a daemon has to exit after SIGTERM before it
	// gets SIGKILL.
	stopTimeout = 10 * time.Second
	// logTailLines is how many lines of the daemon's log a startup failure
	// shows.
	logTailLines = 40
)

// howTo ends every skip or failure message.
const howTo = "run `make buildkit` (as root: installs runc and busybox-static from Debian, builds bin/buildkitd at go.mod's BuildKit version) or set " +
	binaryEnv + " to a buildkitd binary; rootless BuildKit is out of scope, the tests must run as root"

// daemon is a running buildkitd.
type daemon struct {
	addr string
	root string
	pid  int
	// done is closed when the process has exited.
	done chan struct{}
}

var (
	once     sync.Once
	shared   *daemon
	startErr error // why no daemon runs (a missing prerequisite or a failed start)
)

// Addr returns the address ("unix:///…/buildkitd.sock") of a buildkitd this
// test binary shares, starting it on first use. When something it needs is
// missing (the buildkitd binary, runc, root, overlay or native snapshotter
// support), it skips t with a message naming what is missing and how to get
// it (`make buildkit`) — unless the environment has
// BREFIMG_REQUIRE_BUILDKIT=1, in which case it fails t instead (CI sets
// that).
func Addr(t testing.TB) string {
	t.Helper()
	once.Do(func() { shared, startErr = start() })
	if startErr != nil {
		msg := fmt.Sprintf("testbuildkit: no BuildKit daemon: %v\n%s", startErr, howTo)
		if os.Getenv(requireEnv) == "1" {
			t.Fatalf("%s\n(%s=1: failing instead of skipping)", msg, requireEnv)
		}
		t.Skipf("%s\n(set %s=1 to fail instead of skipping)", msg, requireEnv)
	}
	return shared.addr
}

// Main runs the tests of m and stops the daemon if one was started; use it
// as `func TestMain(m *testing.M) { os.Exit(testbuildkit.Main(m)) }`.
func Main(m *testing.M) int {
	code := m.Run()
	if shared != nil {
		if err := shared.stop(); err != nil {
			fmt.Fprintf(os.Stderr, "testbuildkit: stopping buildkitd: %v\n", err)
		}
		shared = nil
	}
	return code
}

// start checks the prerequisites and starts a daemon: with the overlayfs
// snapshotter, and if that one does not come up, once more with native.
func start() (*daemon, error) {
	bin, err := findPrerequisites()
	if err != nil {
		return nil, err
	}
	help, _ := exec.Command(bin, "--help").CombinedOutput()
	var extra []string
	if regexp.MustCompile(`(?m)--oci-worker-gc\s`).Match(help) {
		extra = append(extra, "--oci-worker-gc=false")
	}
	var errs []error
	for _, snapshotter := range []string{"overlayfs", "native"} {
		d, err := launch(bin, snapshotter, extra)
		if err == nil {
			return d, nil
		}
		errs = append(errs, fmt.Errorf("with the %s snapshotter: %w", snapshotter, err))
	}
	return nil, fmt.Errorf("%s did not start (no overlay or native snapshotter support?):\n%w", bin, errors.Join(errs...))
}

// findPrerequisites returns the buildkitd binary to run, or an error naming
// everything that is missing: root, runc, buildkitd.
func findPrerequisites() (string, error) {
	var missing []string
	if euid := os.Geteuid(); euid != 0 {
		missing = append(missing, fmt.Sprintf("root (running as uid %d)", euid))
	}
	if _, err := lookPath("runc"); err != nil {
		missing = append(missing, "runc (not in PATH, /usr/sbin or /sbin; Debian package runc)")
	}
	bin, err := findBuildkitd()
	if err != nil {
		missing = append(missing, err.Error())
	}
	if len(missing) > 0 {
		return "", fmt.Errorf("missing %s", strings.Join(missing, "; "))
	}
	return bin, nil
}

// findBuildkitd returns $BREFIMG_BUILDKITD, else bin/buildkitd at the module
// root, else buildkitd in PATH.
func findBuildkitd() (string, error) {
	if p := os.Getenv(binaryEnv); p != "" {
		if !isExecutable(p) {
			return "", fmt.Errorf("buildkitd (%s=%q is not an executable file)", binaryEnv, p)
		}
		return p, nil
	}
	var looked []string
	if root, err := moduleRoot(); err == nil {
		p := filepath.Join(root, "bin", "buildkitd")
		if isExecutable(p) {
			return p, nil
		}
		looked = append(looked, p)
	}
	if p, err := lookPath("buildkitd"); err == nil {
		return p, nil
	}
	looked = append(looked, "buildkitd in PATH")
	return "", fmt.Errorf("buildkitd (no %s)", strings.Join(looked, ", no "))
}

// moduleRoot returns the nearest directory at or above the working directory
// holding a go.mod.
func moduleRoot() (string, error) {
	dir, err := os.Getwd()
	if err != nil {
		return "", err
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir, nil
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "", errors.New("no go.mod above the working directory")
		}
		dir = parent
	}
}

// searchPath is PATH followed by /usr/sbin and /sbin (where Debian installs
// runc) when PATH lacks them.
func searchPath() []string {
	dirs := filepath.SplitList(os.Getenv("PATH"))
	for _, d := range []string{"/usr/sbin", "/sbin"} {
		if !slices.Contains(dirs, d) {
			dirs = append(dirs, d)
		}
	}
	return dirs
}

// lookPath finds an executable named name in [searchPath].
func lookPath(name string) (string, error) {
	for _, d := range searchPath() {
		if d == "" {
			continue
		}
		if p := filepath.Join(d, name); isExecutable(p) {
			return p, nil
		}
	}
	return "", fmt.Errorf("%s: not found", name)
}

// isExecutable reports whether p is a regular file with an execute bit.
func isExecutable(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0
}

// launch starts buildkitd with snapshotter in a new temporary root and waits
// until it lists a worker. On failure it stops the process, removes the root
// and returns an error holding the end of the daemon's log.
func launch(bin, snapshotter string, extra []string) (*daemon, error) {
	// A short root: the socket path must fit in 108 bytes.
	root, err := os.MkdirTemp("", "bk-")
	if err != nil {
		return nil, fmt.Errorf("creating the root directory: %w", err)
	}
	d := &daemon{
		addr: "unix://" + filepath.Join(root, "buildkitd.sock"),
		root: root,
		done: make(chan struct{}),
	}
	logPath := filepath.Join(root, "buildkitd.log")
	logFile, err := os.Create(logPath)
	if err != nil {
		d.removeRoot()
		return nil, fmt.Errorf("creating the log: %w", err)
	}
	args := append([]string{
		"--root", root,
		"--addr", d.addr,
		"--oci-worker=true",
		"--containerd-worker=false",
		"--oci-worker-snapshotter=" + snapshotter,
	}, extra...)
	cmd := exec.Command(bin, args...)
	cmd.Stdout = logFile
	cmd.Stderr = logFile
	cmd.Env = append(os.Environ(), "PATH="+strings.Join(searchPath(), string(filepath.ListSeparator)))
	cmd.SysProcAttr = &syscall.SysProcAttr{
		Setpgid: true,
		// If the test binary dies without running Main's cleanup (a test
		// timeout panics), the daemon gets SIGTERM. The signal follows the
		// thread that started the process, so that thread stays locked to
		// the goroutine that waits for the process, below.
		Pdeathsig: syscall.SIGTERM,
	}
	started := make(chan error, 1)
	go func() {
		runtime.LockOSThread() // never unlocked: the thread ends with the goroutine
		defer close(d.done)
		err := cmd.Start()
		started <- err
		if err == nil {
			_ = cmd.Wait()
		}
		_ = logFile.Close()
	}()
	if err := <-started; err != nil {
		<-d.done
		d.removeRoot()
		return nil, fmt.Errorf("starting %s: %w", bin, err)
	}
	d.pid = cmd.Process.Pid

	if err := d.waitReady(); err != nil {
		tail := logTail(logPath)
		_ = d.stop()
		return nil, fmt.Errorf("%w; the end of its log:\n%s", err, tail)
	}
	return d, nil
}

// waitReady polls the daemon every [readyPoll] until ListWorkers returns a
// worker, the process exits, or [readyTimeout] passes.
func (d *daemon) waitReady() error {
	ctx, cancel := context.WithTimeout(context.Background(), readyTimeout)
	defer cancel()
	sock := strings.TrimPrefix(d.addr, "unix://")
	tick := time.NewTicker(readyPoll)
	defer tick.Stop()
	var last error
	for {
		select {
		case <-d.done:
			return errors.New("buildkitd exited")
		case <-ctx.Done():
			if last == nil {
				last = errors.New("its socket never appeared")
			}
			return fmt.Errorf("buildkitd did not answer within %s: %w", readyTimeout, last)
		case <-tick.C:
		}
		if _, err := os.Stat(sock); err != nil {
			continue
		}
		last = listWorkers(ctx, d.addr)
		if last == nil {
			return nil
		}
	}
}

// listWorkers returns nil when the daemon at addr lists a worker.
func listWorkers(ctx context.Context, addr string) error {
	ctx, cancel := context.WithTimeout(ctx, time.Second)
	defer cancel()
	return buildkit.Ready(ctx, addr)
}

// logTail returns the last [logTailLines] lines of the log at p.
func logTail(p string) string {
	b, err := os.ReadFile(p)
	if err != nil {
		return fmt.Sprintf("(reading the log: %v)", err)
	}
	lines := strings.Split(strings.TrimRight(string(b), "\n"), "\n")
	if len(lines) > logTailLines {
		lines = lines[len(lines)-logTailLines:]
	}
	return strings.Join(lines, "\n")
}

// stop sends SIGTERM to the daemon's process group, SIGKILL after
// [stopTimeout], then unmounts what is left mounted under the root and
// removes the root.
func (d *daemon) stop() error {
	if d.pid > 0 {
		_ = syscall.Kill(-d.pid, syscall.SIGTERM)
		select {
		case <-d.done:
		case <-time.After(stopTimeout):
			_ = syscall.Kill(-d.pid, syscall.SIGKILL)
			<-d.done
		}
		// Children that outlived buildkitd (runc, a build step) share its
		// process group.
		_ = syscall.Kill(-d.pid, syscall.SIGKILL)
	}
	return d.removeRoot()
}

// removeRoot unmounts everything mounted under the root (deepest first) and
// removes the root, unless something is still mounted there: removing then
// could reach outside it.
func (d *daemon) removeRoot() error {
	mounts, err := mountsUnder(d.root)
	if err != nil {
		return fmt.Errorf("leaving %s: %w", d.root, err)
	}
	for _, m := range mounts {
		_ = syscall.Unmount(m, syscall.MNT_DETACH)
	}
	if mounts, err := mountsUnder(d.root); err != nil || len(mounts) > 0 {
		return fmt.Errorf("leaving %s: still mounted there: %v %v", d.root, mounts, err)
	}
	return os.RemoveAll(d.root)
}

// mountsUnder returns the mount points at or under root, deepest first, from
// /proc/self/mountinfo.
func mountsUnder(root string) ([]string, error) {
	b, err := os.ReadFile("/proc/self/mountinfo")
	if err != nil {
		return nil, fmt.Errorf("reading mounts: %w", err)
	}
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		// Fields: ID parentID major:minor root mountpoint options ...
		f := strings.Fields(sc.Text())
		if len(f) < 5 {
			continue
		}
		mp := unescapeMountinfo(f[4])
		if mp == root || strings.HasPrefix(mp, root+"/") {
			out = append(out, mp)
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("reading mounts: %w", err)
	}
	slices.SortFunc(out, func(a, b string) int { return len(b) - len(a) })
	return out, nil
}

// unescapeMountinfo decodes the octal escapes (\040 for a space, ...) of a
// mountinfo path.
func unescapeMountinfo(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var sb strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+4 <= len(s) {
			if n, err := strconv.ParseUint(s[i+1:i+4], 8, 8); err == nil {
				sb.WriteByte(byte(n))
				i += 3
				continue
			}
		}
		sb.WriteByte(s[i])
	}
	return sb.String()
}
