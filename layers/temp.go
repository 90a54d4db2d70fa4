package layers

import (
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"
)

// The names of the temporary files a build keeps while it runs: layer
// files and spool files, each named brefimg-<kind>-<pid>-<random>, so that
// the files of a process that is gone can be told from those of a live one.
const (
	layerPrefix = "brefimg-layer-"
	spoolPrefix = "brefimg-spool-"
)

// Ages of temporary files: one older than staleAge whose process is gone
// (or unknown) is stale; one older than deadAge always is (its pid may
// have been reused since).
const (
	staleAge = time.Hour
	deadAge  = 24 * time.Hour
)

// tempPattern is the os.CreateTemp pattern of a temporary file with
// prefix, carrying this process's pid.
func tempPattern(prefix string) string {
	return prefix + strconv.Itoa(os.Getpid()) + "-*"
}

// RemoveStaleTemp removes from dir the temporary files that builds killed
// before they could clean up (SIGKILL, a crash, a lost CI runner) left
// there: layer and spool files of brefimg processes that no longer run,
// older than an hour, and any older than a day. Files of live builds and
// files of other programs are left alone; errors are ignored (another
// build may be removing the same files). It returns how many it removed.
func RemoveStaleTemp(dir string) int {
	return removeStale(dir, func(name string) bool {
		return strings.HasPrefix(name, layerPrefix) || strings.HasPrefix(name, spoolPrefix)
	}, time.Now())
}

// removeStale removes the stale files of dir whose names ours accepts.
func removeStale(dir string, ours func(name string) bool, now time.Time) int {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return 0
	}
	n := 0
	for _, e := range entries {
		if !e.Type().IsRegular() || !ours(e.Name()) {
			continue
		}
		info, err := e.Info()
		if err != nil || !stale(e.Name(), now.Sub(info.ModTime())) {
			continue
		}
		if os.Remove(filepath.Join(dir, e.Name())) == nil {
			n++
		}
	}
	return n
}

// stale reports whether a temporary file named name, last written age
// ago, belongs to no live build.
func stale(name string, age time.Duration) bool {
	switch {
	case age > deadAge:
		return true
	case age <= staleAge:
		return false
	}
	pid, ok := pidOf(name)
	return !ok || !alive(pid)
}

// pidOf returns the pid a temporary file's name carries:
// brefimg-layer-<pid>-<random>.tar.gz; false for names without one (older
// brefimg versions, the cache's own temporary files).
func pidOf(name string) (int, bool) {
	for _, prefix := range []string{layerPrefix, spoolPrefix} {
		if rest, ok := strings.CutPrefix(name, prefix); ok {
			digits, _, found := strings.Cut(rest, "-")
			pid, err := strconv.Atoi(digits)
			return pid, found && err == nil && pid > 0
		}
	}
	return 0, false
}
