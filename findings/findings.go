// Package findings holds the value every check produces: something that will
// break, or may surprise, on Lambda, with where it is and how to fix it.
// It is a leaf: checks and the builder produce findings, the CLI renders them.
package findings

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

// Finding is one result of a check. IDs are stable: scripts and
// --skip-check rely on them.
type Finding struct {
	ID       string   `json:"id"`
	Severity Severity `json:"severity"`
	// Path is the image path or app file concerned, if any.
	Path string `json:"path,omitempty"`
	// Line is the 1-based line in Path, when known.
	Line int `json:"line,omitempty"`
	// Message says what is wrong and how to fix it.
	Message string `json:"message"`
}

// String renders a finding on one line: "warning: path:line: message [id]".
func (f Finding) String() string {
	s := string(f.Severity) + ": "
	if f.Path != "" {
		s += f.Path
		if f.Line > 0 {
			s += fmt.Sprintf(":%d", f.Line)
		}
		s += ": "
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

// Join renders findings one per line.
func Join(fs []Finding) string {
	parts := make([]string, len(fs))
	for i, f := range fs {
		parts[i] = f.String()
	}
	return strings.Join(parts, "\n")
}

// Summarize joins items with commas, the first n of them and a count of
// the rest ("a, b and 3 more"); n <= 0 joins them all.
func Summarize(items []string, n int) string {
	if n <= 0 || len(items) <= n {
		return strings.Join(items, ", ")
	}
	return fmt.Sprintf("%s and %d more", strings.Join(items[:n], ", "), len(items)-n)
}
