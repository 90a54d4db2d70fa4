package serverless

import (
	"fmt"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"
)

// unresolvableError is a variable whose source brefimg cannot read
// (${ssm:…}, ${cf:…}, ${file(…)}, …): it would need AWS, other files or
// Serverless's plugins.
type unresolvableError struct{ raw string }

func (e *unresolvableError) Error() string {
	return e.raw + " cannot be resolved by brefimg: use ${env:NAME} or ${opt:…} instead (brefimg reads ${self:…}, ${env:…}, ${opt:stage}, ${opt:region}, ${sls:stage} and ${aws:region})"
}

// readable are the variable sources brefimg reads (sls and aws only for
// some addresses).
var readable = []string{"self", "env", "opt", "sls", "aws"}

// value returns n with its variables resolved: n itself when it has none,
// the value of a variable that is the whole of n (any node, as in
// Serverless: ${self:custom.images} can be a mapping), else a string
// scalar at n's place. It returns nil for null.
func (r *reader) value(n *yaml.Node) (*yaml.Node, error) {
	n = deref(n)
	if isNull(n) {
		return nil, nil
	}
	if n.Kind != yaml.ScalarNode || !hasVariables(n.Value) {
		return n, nil
	}
	if r.active[n] {
		return nil, fmt.Errorf("%s refers to itself (line %d)", n.Value, n.Line)
	}
	r.active[n] = true
	defer delete(r.active, n)

	parts, err := parseString(n.Value)
	if err != nil {
		return nil, fmt.Errorf("variable syntax: %w", err)
	}
	if len(parts) == 1 && parts[0].v != nil {
		return r.required(parts[0].v)
	}
	var b strings.Builder
	for _, p := range parts {
		if p.v == nil {
			b.WriteString(p.text)
			continue
		}
		v, err := r.required(p.v)
		if err != nil {
			return nil, err
		}
		if v == nil {
			return nil, fmt.Errorf("%s is null, which cannot be part of a string", p.v.raw)
		}
		if v.Kind != yaml.ScalarNode {
			return nil, fmt.Errorf("%s is %s, which cannot be part of a string", p.v.raw, kindName(v))
		}
		b.WriteString(v.Value)
	}
	out := *n
	out.Value = b.String()
	if !isCustomTag(n) {
		out.Tag = "!!str"
	}
	return &out, nil
}

// expand resolves the variables of s, which must give a string (an
// address with variables: ${self:custom.${sls:stage}.region}).
func (r *reader) expand(s string) (string, error) {
	if !hasVariables(s) {
		return s, nil
	}
	v, err := r.value(&yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s})
	if err != nil {
		return "", err
	}
	if v == nil || v.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("%s does not give a string", s)
	}
	return v.Value, nil
}

// required returns the value of v; no value is an error saying why,
// unless v's last fallback is null.
func (r *reader) required(v *variable) (*yaml.Node, error) {
	n, missing, err := r.variable(v)
	if err != nil || n != nil || missing == "" {
		return n, err
	}
	remedy := "give one of them a value"
	if len(v.sources) == 1 {
		remedy = fmt.Sprintf("give it one, or a fallback: %s, 'value'}", strings.TrimSuffix(v.raw, "}"))
	}
	return nil, fmt.Errorf("%s has no value (%s): %s", v.raw, missing, remedy)
}

// variable returns the value of the first of v's sources that has one;
// else nil and why none has (or "" when the last is null).
func (r *reader) variable(v *variable) (*yaml.Node, string, error) {
	var why []string
	for _, src := range v.sources {
		n, missing, err := r.source(src)
		if err != nil || n != nil {
			return n, "", err
		}
		if missing == "" {
			return nil, "", nil
		}
		why = append(why, missing)
	}
	return nil, strings.Join(why, "; "), nil
}

// source returns the value of src, or nil and why it has none ("" for a
// null literal).
func (r *reader) source(src source) (*yaml.Node, string, error) {
	switch {
	case src.nested != nil:
		return r.variable(src.nested)
	case src.typ == "":
		if src.literal == nil {
			return nil, "", nil
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: *src.literal}, "", nil
	case src.hasParams || !slices.Contains(readable, src.typ):
		return nil, "", &unresolvableError{raw: "${" + src.raw + "}"}
	}
	addr, err := r.expand(src.address)
	if err != nil {
		return nil, "", err
	}
	text := func(s, missing string) (*yaml.Node, string, error) {
		if s == "" {
			return nil, missing, nil
		}
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}, "", nil
	}
	switch {
	case src.typ == "self":
		return r.self(addr)
	case src.typ == "env":
		getenv := r.opts.Getenv
		if getenv == nil {
			getenv = func(string) string { return "" }
		}
		return text(getenv(addr), fmt.Sprintf("the environment variable %s is not set", addr))
	case src.typ == "opt" && addr == "stage":
		return text(r.opts.Stage, "no --stage given")
	case src.typ == "opt" && addr == "region":
		return text(r.opts.Region, "no --region given")
	case src.typ == "opt":
		return nil, fmt.Sprintf("brefimg passes no --%s (only --stage and --region)", addr), nil
	case src.typ == "sls" && addr == "stage":
		s, err := r.getStage()
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}, "", err
	case src.typ == "aws" && addr == "region":
		s, err := r.getRegion()
		return &yaml.Node{Kind: yaml.ScalarNode, Tag: "!!str", Value: s}, "", err
	}
	return nil, "", &unresolvableError{raw: "${" + src.raw + "}"}
}

// self returns the value at addr, a dotted path from the root (the whole
// document for "").
func (r *reader) self(addr string) (*yaml.Node, string, error) {
	if addr == "" {
		return r.root, "", nil
	}
	f, err := r.at(addr, true)
	if err != nil {
		return nil, "", err
	}
	if f.n == nil {
		return nil, fmt.Sprintf("%s is not set", addr), nil
	}
	return f.n, "", nil
}
