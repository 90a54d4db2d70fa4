package build

import (
	"fmt"

	"github.com/brefimg/brefimg/findings"
)

// Severity says whether a finding stops the build.
type Severity = findings.Severity

// Severities.
const (
	Warning = findings.Warning
	Error   = findings.Error
)

// Finding IDs of the builder are stable: scripts and suppressions may rely on them.
const (
	// FindingTmp: a layer brefimg adds writes under /tmp.
	FindingTmp = "tmp-path"
	// FindingOutsideCopy: an extension image holds files outside the copied path; they were left out.
	FindingOutsideCopy = "ext-outside-opt"
	// FindingSkipped: a special file of the app dir (socket, device, pipe) was left out.
	FindingSkipped = "special-file-skipped"
	// FindingHandler: the CMD handler is not in the app layer.
	FindingHandler = "handler-missing"
	// FindingUnpinned: an image was pulled by tag, not pinned by brefimg.lock.
	FindingUnpinned = "unpinned-refs"
	// FindingExtNotLoaded: a Dockerfile step copies a PHP extension (.so)
	// that no ini file of the image loads, so PHP never loads it.
	FindingExtNotLoaded = "ext-not-loaded"
	// FindingUnreadable: a Dockerfile step copies files or directories that
	// Lambda's non-root user cannot read, enter or execute.
	FindingUnreadable = "not-world-readable"
)

// Finding is something that will break, or may surprise, on Lambda.
type Finding = findings.Finding

// Errors returns the findings of severity Error.
func Errors(fs []Finding) []Finding { return findings.Errors(fs) }

// InputError is a build failure caused by the user's input (flags, app dir,
// references, registry access): the CLI exits 2 for it.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }

func inputf(format string, a ...any) error { return &InputError{Err: fmt.Errorf(format, a...)} }
