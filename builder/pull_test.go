package builder

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/lockfile"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

// tagSource reads its Source, but for the tags of moved, which read
// another reference (as a tag moved by a release does), and the tags of
// gone, which fail. It records the references asked for.
type tagSource struct {
	Source
	moved map[string]string
	gone  map[string]bool
	asked []string
}

func (s *tagSource) Image(ctx context.Context, ref string, p v1.Platform) (v1.Image, registry.Resolved, error) {
	s.asked = append(s.asked, ref)
	if s.gone[ref] {
		return nil, registry.Resolved{Ref: ref}, errors.New("tag gone")
	}
	if to, ok := s.moved[ref]; ok {
		img, res, err := s.Source.Image(ctx, to, p)
		res.Ref = ref
		return img, res, err
	}
	return s.Source.Image(ctx, ref, p)
}

// fixtureDigest is the digest of the fixture image ref.
func fixtureDigest(t *testing.T, ref string) string {
	t.Helper()
	img, err := fixtures.Get(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	return d.String()
}

// TestLockedStale: a locked build pulls the pinned digests whatever the
// tags say now, and notes in Result.Stale the tags that moved or could not
// be read; it fails only when a pinned digest cannot be read.
func TestLockedStale(t *testing.T) {
	src := source(t)
	const base, redis = "bref/php-80-fpm:1", "bref/extra-redis-php-80:0.10"
	pinBase, pinRedis := fixtureDigest(t, base), fixtureDigest(t, redis)
	missing := "sha256:" + strings.Repeat("0", 64)
	pl := plan.Plan{Base: base, Platform: amd64,
		Steps: []plan.Step{{Image: redis, Name: "redis", Src: "/opt", Dest: "/opt"}}}
	tests := []struct {
		name      string
		locked    bool
		pinBase   string // default pinBase
		moved     map[string]string
		gone      map[string]bool
		wantStale []plan.Stale
		wantErr   string // in the error; "" for none
	}{
		{name: "tags still at the pins", locked: true},
		{name: "base tag moved", locked: true, moved: map[string]string{base: "bref/php-80:1"},
			wantStale: []plan.Stale{{Ref: base, Platform: "linux/amd64", Pinned: pinBase, Now: fixtureDigest(t, "bref/php-80:1")}}},
		{name: "extension tag gone", locked: true, gone: map[string]bool{redis: true},
			wantStale: []plan.Stale{{Ref: redis, Platform: "linux/amd64", Pinned: pinRedis, Err: "tag gone"}}},
		{name: "not locked: the tags are not checked", moved: map[string]string{base: "bref/php-80:1"}, gone: map[string]bool{redis: true}},
		{name: "pinned digest gone", locked: true, pinBase: missing, wantErr: base + " pinned by " + lockfile.Name + " to " + missing},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			lock := &lockfile.File{}
			pin := pinBase
			if tc.pinBase != "" {
				pin = tc.pinBase
			}
			lock.Set(lockfile.Entry{Ref: base, Platform: "linux/amd64", Digest: pin})
			lock.Set(lockfile.Entry{Ref: redis, Platform: "linux/amd64", Digest: pinRedis})
			ts := &tagSource{Source: src, moved: tc.moved, gone: tc.gone}
			res, err := build(t, ts, pl, WithLock(lock, tc.locked))
			if tc.wantErr != "" {
				if err == nil {
					res.Close()
					t.Fatal("no error")
				}
				if !plan.IsInput(err) || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error %q (input %v), want an input error naming %q", err, plan.IsInput(err), tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			defer res.Close()
			if !slices.Equal(res.Stale, tc.wantStale) {
				t.Errorf("stale %+v, want %+v", res.Stale, tc.wantStale)
			}
			if got := res.Base.Digest.String(); got != pinBase || !res.Base.Pinned {
				t.Errorf("base read at %s (pinned %v), want the pinned %s", got, res.Base.Pinned, pinBase)
			}
			if len(res.Inputs) != 1 || res.Inputs[0].Digest.String() != pinRedis {
				t.Errorf("inputs %+v, want redis at the pinned %s", res.Inputs, pinRedis)
			}
			if checked := slices.Contains(ts.asked, base); checked != tc.locked {
				t.Errorf("tag %s read: %v, want %v (asked %v)", base, checked, tc.locked, ts.asked)
			}
		})
	}
}
