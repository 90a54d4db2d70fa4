package pipeline

import (
	"fmt"
	"slices"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/lockfile"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

// Option configures [Run].
type Option func(*options) error

type options struct {
	policy     Policy
	targets    []name.Reference
	outputs    []registry.Output
	publisher  Publisher
	fileChecks bool
	checkOnly  bool
	noImages   string // why the images cannot be read (WithoutImages)
	observer   Observer
	lock       *lockfile.File
	locked     bool
	notef      func(format string, a ...any)
	deployer   Deployer
}

func newOptions(opts []Option) (*options, error) {
	o := &options{}
	for _, opt := range opts {
		if err := opt(o); err != nil {
			return nil, err
		}
	}
	return o, nil
}

func (o *options) note(format string, a ...any) {
	if o.notef != nil {
		o.notef(format, a...)
	}
}

// WithPolicy applies p to the findings.
func WithPolicy(p Policy) Option {
	return func(o *options) error {
		if err := p.Validate(); err != nil {
			return err
		}
		o.policy = p
		return nil
	}
}

// WithPush pushes the image to every target through p.
func WithPush(p Publisher, targets ...name.Reference) Option {
	return func(o *options) error {
		if p == nil && len(targets) > 0 {
			return fmt.Errorf("pushing to %s needs a publisher", targets[0])
		}
		o.publisher, o.targets = p, targets
		return nil
	}
}

// WithOutputs writes the image to each output (OCI layout, tarball)
// before any push. An output that cannot be written there is an input
// error before anything is built.
func WithOutputs(outs ...registry.Output) Option {
	return func(o *options) error {
		for _, out := range outs {
			if err := out.Check(); err != nil {
				return plan.AsInput("", err)
			}
		}
		o.outputs = outs
		return nil
	}
}

// WithFileChecks reads every layer of the image, the base's included, to
// check parent directories and modes (brefimg check).
func WithFileChecks() Option {
	return func(o *options) error {
		o.fileChecks = true
		return nil
	}
}

// CheckOnly builds and checks, and writes and pushes nothing; a registry
// that cannot be reached only skips the image checks.
func CheckOnly() Option {
	return func(o *options) error {
		o.checkOnly = true
		return nil
	}
}

// WithObserver tells ob what the pipeline does.
func WithObserver(ob Observer) Option {
	return func(o *options) error {
		o.observer = ob
		return nil
	}
}

// WithLock refuses a strictly locked build (locked) whose lock was made
// for another Bref line or PHP version; the builder pulls by the lock.
func WithLock(lock *lockfile.File, locked bool) Option {
	return func(o *options) error {
		o.lock, o.locked = lock, locked
		return nil
	}
}

// WithNotes sends one line per step done (outputs written) to f.
func WithNotes(f func(format string, a ...any)) Option {
	return func(o *options) error {
		o.notef = f
		return nil
	}
}

// Policy turns findings into what stops a build.
type Policy struct {
	// Skip silences these finding IDs.
	Skip []string
	// Strict makes every warning an error.
	Strict bool
}

// Validate checks that every skipped ID is a finding ID.
func (p Policy) Validate() error {
	for _, id := range p.Skip {
		if !findings.Known(id) {
			hint := ""
			if s := extensions.Suggest(id, findings.IDs()); s != "" {
				hint = fmt.Sprintf(": did you mean %q?", s)
			}
			return fmt.Errorf("skipped check %q is not a check%s (brefimg check --list lists every ID)", id, hint)
		}
	}
	return nil
}

// Apply drops skipped findings and, when strict, makes warnings errors.
func (p Policy) Apply(fs []findings.Finding) []findings.Finding {
	var out []findings.Finding
	for _, f := range fs {
		if slices.Contains(p.Skip, f.ID) {
			continue
		}
		if p.Strict && f.Severity == findings.Warning {
			f.Severity = findings.Error
		}
		out = append(out, f)
	}
	return out
}

// WithDeploy deploys the image, once pushed, with d: the first reference
// pushed to Amazon ECR.
func WithDeploy(d Deployer) Option {
	return func(o *options) error {
		o.deployer = d
		return nil
	}
}
