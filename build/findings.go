package build

import (
	"fmt"
	"strings"
)

// Severity says whether a finding stops the build.
type Severity string

// Severities.
const (
	Warning Severity = "warning"
	Error   Severity = "error"
)

// Finding IDs are stable: scripts and suppressions may rely on them.
const (
	// FindingTmp: a layer brefimg adds writes under /tmp.
	FindingTmp = "tmp-path"
	// FindingOutsideCopy: an extension image holds files outside the copied path; they were left out.
	FindingOutsideCopy = "ext-outside-opt"
	// FindingSkipped: a special file of the app dir (socket, device, pipe) was left out.
	FindingSkipped = "special-file-skipped"
	// FindingHandler: the CMD handler is not in the app layer.
	FindingHandler = "handler-missing"
)

// Finding is something that will break, or may surprise, on Lambda.
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	// Path is the image path or app file concerned, if any.
	Path    string `json:"path,omitempty"`
	Message string `json:"message"`
}

// String renders a finding on one line.
func (f Finding) String() string {
	s := string(f.Severity) + ": "
	if f.Path != "" {
		s += f.Path + ": "
	}
	return s + f.Message + " [" + f.ID + "]"
}

// Errors returns the findings of severity Error.
func Errors(fs []Finding) []Finding {
	var out []Finding
	for _, f := range fs {
		if f.Severity == Error {
			out = append(out, f)
		}
	}
	return out
}

// InputError is a build failure caused by the user's input (flags, app dir,
// references, registry access): the CLI exits 2 for it.
type InputError struct{ Err error }

func (e *InputError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }

func inputf(format string, a ...any) error { return &InputError{Err: fmt.Errorf(format, a...)} }

// FindingsError is returned when a build has findings of severity Error.
type FindingsError struct{ Findings []Finding }

func (e *FindingsError) Error() string {
	parts := make([]string, len(e.Findings))
	for i, f := range e.Findings {
		parts[i] = f.String()
	}
	return strings.Join(parts, "\n")
}
