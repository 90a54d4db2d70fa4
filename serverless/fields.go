package serverless

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/brefimg/brefimg/plan"
)

// reader reads the fields of one serverless.yml, resolving the variables
// of those it reads.
type reader struct {
	file   string     // the file's path, for messages
	root   *yaml.Node // the document's mapping
	opts   Options
	active map[*yaml.Node]bool // scalars being resolved, to catch cycles
	notes  []note
	stage  *string // the stage, once known
	region *string // the region, once known
}

// field is a value read from the file.
type field struct {
	n    *yaml.Node // the value, variables resolved; nil when absent or null
	path string     // its path from the root, e.g. "provider.ecr.images.api"
	line int        // the line of its key (of its parent's when absent)
}

// rootField is the whole document.
func (r *reader) rootField() field { return field{n: r.root, line: r.root.Line} }

// errorf returns an input error at f: "FILE:LINE: path: message".
func (r *reader) errorf(f field, format string, a ...any) error {
	return r.fail(f, fmt.Errorf(format, a...))
}

// fail returns err as an input error at f. Inside the resolution of a
// variable, the outer error names the file, so this one names the line
// only: "FILE:12: functions.api.name: line 30: custom.name: …".
func (r *reader) fail(f field, err error) error {
	where, sep := r.file, ":"
	if len(r.active) > 0 {
		where, sep = "line", " "
	}
	if f.line > 0 {
		where += sep + strconv.Itoa(f.line)
	}
	if f.path != "" {
		where += ": " + f.path
	}
	field := plan.FieldFile
	if fe := plan.FieldOf(err); fe != "" {
		field = fe
	}
	return &plan.InputError{Field: field, Err: fmt.Errorf("%s: %w", where, err)}
}

// note is a note about a line.
type note struct {
	line int
	text string
}

// note records a note about f.
func (r *reader) note(f field, format string, a ...any) {
	r.notes = append(r.notes, note{f.line, fmt.Sprintf("%s:%d: %s: %s", r.file, f.line, f.path, fmt.Sprintf(format, a...))})
}

// sortedNotes returns the notes in the order of their lines.
func (r *reader) sortedNotes() []string {
	slices.SortStableFunc(r.notes, func(a, b note) int { return a.line - b.line })
	var out []string
	for _, n := range r.notes {
		out = append(out, n.text)
	}
	return out
}

// join appends key to path.
func join(path, key string) string {
	if path == "" {
		return key
	}
	return path + "." + key
}

// child returns f's member key, resolved. f must be a mapping (or absent);
// a list takes an index.
func (r *reader) child(f field, key string) (field, error) {
	return r.childOf(f, key, false)
}

// childOf is child; lenient makes a key of a scalar absent rather than an
// error, as ${self:…} reads it.
func (r *reader) childOf(f field, key string, lenient bool) (field, error) {
	out := field{path: join(f.path, key), line: f.line}
	if f.n == nil {
		return out, nil
	}
	var raw *yaml.Node
	switch f.n.Kind {
	case yaml.MappingNode:
		m, err := lookupMember(f.n, key)
		if err != nil {
			return out, r.fail(f, err)
		}
		if m == nil {
			return out, nil
		}
		raw, out.line = m.value, m.line
	case yaml.SequenceNode:
		raw = element(f.n, key)
		if raw == nil {
			return out, nil
		}
		out.line = raw.Line
	default:
		if lenient {
			return out, nil
		}
		return out, r.errorf(f, "is %s: want a mapping with %s", kindName(f.n), key)
	}
	v, err := r.value(raw)
	if err != nil {
		return out, r.fail(out, err)
	}
	out.n = v
	return out, nil
}

// at returns the field at a dotted path from the root.
func (r *reader) at(path string, lenient bool) (field, error) {
	f := r.rootField()
	for _, key := range strings.Split(path, ".") {
		var err error
		if f, err = r.childOf(f, key, lenient); err != nil {
			return f, err
		}
		if f.n == nil {
			return f, nil
		}
	}
	return f, nil
}

// has reports whether f, a mapping, sets key, without resolving it.
func (r *reader) has(f field, key string) bool {
	if f.n == nil || f.n.Kind != yaml.MappingNode {
		return false
	}
	m, err := lookupMember(f.n, key)
	return err == nil && m != nil && !isNull(deref(m.value))
}

// keys returns the keys of f, a mapping (or absent), in order.
func (r *reader) keys(f field) ([]member, error) {
	if f.n == nil {
		return nil, nil
	}
	if f.n.Kind != yaml.MappingNode {
		return nil, r.errorf(f, "is %s: want a mapping", kindName(f.n))
	}
	ms, err := members(f.n)
	if err != nil {
		return nil, r.fail(f, err)
	}
	return ms, nil
}

// text returns f as a string; "" when absent.
func (r *reader) text(f field) (string, error) {
	if f.n == nil {
		return "", nil
	}
	if f.n.Kind != yaml.ScalarNode || isCustomTag(f.n) {
		return "", r.errorf(f, "is %s: want a string brefimg can read", kindName(f.n))
	}
	return f.n.Value, nil
}

// list returns f, a list of strings, or a string read as a list of one
// (with a note, as Serverless's schema wants a list); nil when absent.
func (r *reader) list(f field) ([]string, error) {
	if f.n == nil {
		return nil, nil
	}
	if f.n.Kind == yaml.ScalarNode {
		s, err := r.text(f)
		if err != nil {
			return nil, err
		}
		r.note(f, "is a string: Serverless's schema wants a list; brefimg reads it as [%q]", s)
		return []string{s}, nil
	}
	if f.n.Kind != yaml.SequenceNode {
		return nil, r.errorf(f, "is %s: want a list of strings", kindName(f.n))
	}
	out := make([]string, 0, len(f.n.Content))
	for i := range f.n.Content {
		e, err := r.child(f, strconv.Itoa(i))
		if err != nil {
			return nil, err
		}
		if e.n == nil {
			return nil, r.errorf(e, "is null: want a string")
		}
		s, err := r.text(e)
		if err != nil {
			return nil, err
		}
		out = append(out, s)
	}
	return out, nil
}

// stringMap returns f, a mapping of strings; nil when absent or empty.
func (r *reader) stringMap(f field) (map[string]string, error) {
	ms, err := r.keys(f)
	if err != nil || len(ms) == 0 {
		return nil, err
	}
	out := make(map[string]string, len(ms))
	for _, m := range ms {
		e, err := r.child(f, m.key)
		if err != nil {
			return nil, err
		}
		if e.n == nil {
			return nil, r.errorf(e, "has no value: give it a string")
		}
		if out[m.key], err = r.text(e); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// boolean returns f as a boolean; false when absent.
func (r *reader) boolean(f field) (bool, error) {
	s, err := r.text(f)
	if err != nil || s == "" {
		return false, err
	}
	b, err := strconv.ParseBool(strings.ToLower(s))
	if err != nil {
		return false, r.errorf(f, "is %q: want true or false", s)
	}
	return b, nil
}

// integer returns f as a positive integer; 0 when absent.
func (r *reader) integer(f field) (int, error) {
	s, err := r.text(f)
	if err != nil || s == "" {
		return 0, err
	}
	i, err := strconv.Atoi(s)
	if err != nil || i < 1 {
		return 0, r.errorf(f, "is %q: want a whole number, 1 or more", s)
	}
	return i, nil
}
