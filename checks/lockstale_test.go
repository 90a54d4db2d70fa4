package checks

import (
	"testing"

	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/plan"
)

// TestLockStale: one warning naming every stale image, its platform, the
// pinned digest and what the tag gives now (or why it could not be read),
// and the command that updates the lock.
func TestLockStale(t *testing.T) {
	moved := plan.Stale{Ref: "bref/php-84-fpm:3", Platform: "linux/amd64", Pinned: "sha256:aaa", Now: "sha256:bbb"}
	gone := plan.Stale{Ref: "bref/extra-redis-php-84:3", Platform: "linux/arm64", Pinned: "sha256:ccc", Err: "404 Not Found"}
	const fix = "; run brefimg lock --update with this build's flags to pin what the tags point at now"
	tests := []struct {
		name  string
		stale []plan.Stale
		want  string // the message; "" for no finding
	}{
		{name: "none"},
		{name: "a tag moved", stale: []plan.Stale{moved},
			want: "brefimg.lock is stale, the build used its pinned digests: bref/php-84-fpm:3 (linux/amd64) sha256:aaa → sha256:bbb" + fix},
		{name: "a tag could not be checked", stale: []plan.Stale{gone},
			want: "brefimg.lock is stale, the build used its pinned digests: bref/extra-redis-php-84:3 (linux/arm64) sha256:ccc → the tag could not be checked (404 Not Found)" + fix},
		{name: "both", stale: []plan.Stale{moved, gone},
			want: "brefimg.lock is stale, the build used its pinned digests: bref/php-84-fpm:3 (linux/amd64) sha256:aaa → sha256:bbb; " +
				"bref/extra-redis-php-84:3 (linux/arm64) sha256:ccc → the tag could not be checked (404 Not Found)" + fix},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			fs := LockStale(tc.stale)
			if tc.want == "" {
				if len(fs) != 0 {
					t.Errorf("findings %+v, want none", fs)
				}
				return
			}
			if len(fs) != 1 {
				t.Fatalf("%d findings, want 1: %+v", len(fs), fs)
			}
			f := fs[0]
			if f.ID != findings.IDLockStale || f.Severity != findings.Warning || f.Message != tc.want {
				t.Errorf("finding %s %s %q\nwant %s %s %q", f.ID, f.Severity, f.Message, findings.IDLockStale, findings.Warning, tc.want)
			}
		})
	}
}
