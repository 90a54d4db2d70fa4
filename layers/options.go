package layers

import (
	"errors"
	"fmt"
	"os"
	"path"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/moby/patternmatcher"
)

// Option configures how a layer is made.
type Option func(*options) error

type options struct {
	epoch     time.Time
	matcher   *patternmatcher.PatternMatcher
	mediaType types.MediaType
	tempDir   string
	capture   []string

	existingPrefix bool
	cache          *Cache
	cacheGroup     string
	exclude        []string
}

func makeOptions(opts []Option) (*options, error) {
	o := &options{
		epoch:     time.Unix(0, 0).UTC(),
		mediaType: types.OCILayer,
		tempDir:   os.TempDir(),
	}
	for _, opt := range opts {
		if opt == nil {
			continue
		}
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

// WithEpoch sets the modification time of every entry, truncated to whole
// seconds. The default is the Unix epoch, time.Unix(0, 0). Use the value of
// SOURCE_DATE_EPOCH here. Times before 1970 are refused.
func WithEpoch(t time.Time) Option {
	return func(o *options) error {
		if t.Before(time.Unix(0, 0)) {
			return fmt.Errorf("epoch %s is before 1970-01-01T00:00:00Z: use a Unix time of 0 or more", t.Format(time.RFC3339))
		}
		o.epoch = t.Truncate(time.Second).UTC()
		return nil
	}
}

// WithIgnorePatterns sets the .dockerignore patterns that [FromDir] applies,
// with Docker's semantics (see [ReadIgnoreFile]). Patterns are relative to the
// directory being packed and may use "**" and "!" exceptions. A later
// WithIgnorePatterns replaces an earlier one. Invalid patterns are an error.
// [Subtree] refuses this option.
func WithIgnorePatterns(patterns []string) Option {
	return func(o *options) error {
		if len(patterns) == 0 {
			o.matcher = nil
			return nil
		}
		pm, err := patternmatcher.New(patterns)
		if err != nil {
			return fmt.Errorf("parsing .dockerignore patterns: %w", err)
		}
		// Compile every pattern now, so that a bad one is reported here and
		// not halfway through a walk.
		for _, p := range pm.Patterns() {
			one, err := patternmatcher.New([]string{p.String()})
			if err == nil {
				_, _, err = one.MatchesUsingParentResults("x", patternmatcher.MatchInfo{})
			}
			if err != nil {
				return fmt.Errorf("parsing .dockerignore pattern %q: %w", p.String(), err)
			}
		}
		// A matcher is not safe for concurrent use: each application of the
		// option (one per FromDir call) makes its own.
		o.matcher = pm
		return nil
	}
}

// WithMediaType sets the layer's media type: [types.OCILayer] (the default)
// or [types.DockerLayer], to match the manifest of the image the layer is
// added to. Both are gzip-compressed, as Lambda requires; any other media type
// is an error. The layer's bytes do not depend on it.
func WithMediaType(mt types.MediaType) Option {
	return func(o *options) error {
		switch mt {
		case types.OCILayer, types.DockerLayer:
			o.mediaType = mt
			return nil
		}
		return fmt.Errorf("layer media type %q is not supported: Lambda needs gzip layers, use %q or %q",
			mt, types.OCILayer, types.DockerLayer)
	}
}

// WithTempDir sets the directory where the compressed layer file is written.
// The default is [os.TempDir].
func WithTempDir(dir string) Option {
	return func(o *options) error {
		if dir == "" {
			return errors.New("temporary directory for layers must not be empty")
		}
		o.tempDir = dir
		return nil
	}
}

// WithContents makes [ReadTree] keep the contents of the regular files at
// or under these absolute paths (up to 1 MiB each) while it reads the
// headers, e.g. "/etc/passwd", so that reading them later does not read
// their layer again. Other functions ignore it.
func WithContents(paths ...string) Option {
	return func(o *options) error {
		for _, p := range paths {
			if !path.IsAbs(p) {
				return fmt.Errorf("content path %q is not absolute: use an image path such as \"/etc/passwd\"", p)
			}
			o.capture = append(o.capture, path.Clean(p))
		}
		return nil
	}
}

// WithExistingPrefix tells Subtree that the copied path already exists in
// the image the layer is appended to, as /opt does in every Bref base: like
// COPY, which leaves an existing destination's metadata alone, it writes
// the prefix and its ancestors as plain 0755 root directories whatever the
// source image says of them.
func WithExistingPrefix() Option {
	return func(o *options) error {
		o.existingPrefix = true
		return nil
	}
}

// WithExclude makes [FromDir], [FromDirSplit] and [ContextTree] leave out
// the files and directories at these paths of the host (absolute, or
// relative to the working directory), whatever the ignore patterns say,
// and report those they met as skipped ([Skipped.Excluded]): brefimg's own
// layer cache and the outputs of a build, which a build would otherwise
// bake into the next one's image. A path that does not exist, or lies
// outside the directory, changes nothing.
func WithExclude(paths ...string) Option {
	return func(o *options) error {
		for _, p := range paths {
			if p != "" {
				o.exclude = append(o.exclude, p)
			}
		}
		return nil
	}
}

// WithCacheGroup names the layer [Tree.WriteLayer] writes from one build
// to the next, e.g. the Dockerfile and the line of the step: with
// [WithCache], when none of the build context files it holds changed, the
// layer is found from their stats alone. Layers of one build need distinct
// names; a name only ever costs speed, never correctness.
func WithCacheGroup(name string) Option {
	return func(o *options) error {
		o.cacheGroup = name
		return nil
	}
}
