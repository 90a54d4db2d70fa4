package serverless

import (
	"fmt"
	"strconv"

	"go.yaml.in/yaml/v3"
)

// member is a key of a YAML mapping with its value, as written.
type member struct {
	key   string
	line  int        // the key's line
	value *yaml.Node // unresolved
}

// deref follows aliases (*anchor).
func deref(n *yaml.Node) *yaml.Node {
	for i := 0; n != nil && n.Kind == yaml.AliasNode && i < 100; i++ {
		n = n.Alias
	}
	return n
}

// members returns the keys of mapping m in order, with those merged in by
// "<<: *anchor" (YAML's merge key, which js-yaml applies) first unless m
// sets them itself. A key m sets twice is an error, as in js-yaml.
func members(m *yaml.Node) ([]member, error) {
	budget := maxMerged
	return membersDepth(m, 0, &budget)
}

// maxMerged bounds the keys that merges may bring into one mapping, so
// that aliases of aliases cannot make a small file huge.
const maxMerged = 100_000

func membersDepth(m *yaml.Node, depth int, budget *int) ([]member, error) {
	if depth > 20 {
		return nil, fmt.Errorf("line %d: merge keys (<<) nest too deep", m.Line)
	}
	if *budget -= len(m.Content) / 2; *budget < 0 {
		return nil, fmt.Errorf("line %d: merge keys (<<) bring in too many keys", m.Line)
	}
	var own, merged []member
	seen := map[string]int{}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i], m.Content[i+1]
		if k.Kind == yaml.ScalarNode && k.ShortTag() == "!!merge" {
			more, err := mergeMembers(v, depth, budget)
			if err != nil {
				return nil, err
			}
			merged = append(merged, more...)
			continue
		}
		if line, dup := seen[k.Value]; dup {
			return nil, fmt.Errorf("line %d: key %q is already set on line %d", k.Line, k.Value, line)
		}
		seen[k.Value] = k.Line
		own = append(own, member{key: k.Value, line: k.Line, value: v})
	}
	var out []member
	for _, mm := range merged {
		if _, set := seen[mm.key]; !set {
			seen[mm.key] = mm.line
			out = append(out, mm)
		}
	}
	return append(out, own...), nil
}

// mergeMembers returns the members "<<: v" merges in: v is a mapping or a
// list of mappings, the first ones winning.
func mergeMembers(v *yaml.Node, depth int, budget *int) ([]member, error) {
	v = deref(v)
	var maps []*yaml.Node
	switch v.Kind {
	case yaml.MappingNode:
		maps = []*yaml.Node{v}
	case yaml.SequenceNode:
		for _, e := range v.Content {
			maps = append(maps, deref(e))
		}
	}
	var out []member
	seen := map[string]bool{}
	for _, mp := range maps {
		if mp == nil || mp.Kind != yaml.MappingNode {
			return nil, fmt.Errorf("line %d: << merges mappings only", v.Line)
		}
		ms, err := membersDepth(mp, depth+1, budget)
		if err != nil {
			return nil, err
		}
		for _, mm := range ms {
			if !seen[mm.key] {
				seen[mm.key] = true
				out = append(out, mm)
			}
		}
	}
	return out, nil
}

// lookupMember returns the member key of mapping m, or nil.
func lookupMember(m *yaml.Node, key string) (*member, error) {
	ms, err := members(m)
	if err != nil {
		return nil, err
	}
	for i := range ms {
		if ms[i].key == key {
			return &ms[i], nil
		}
	}
	return nil, nil
}

// element returns the element of sequence s at index key, or nil.
func element(s *yaml.Node, key string) *yaml.Node {
	i, err := strconv.Atoi(key)
	if err != nil || i < 0 || i >= len(s.Content) {
		return nil
	}
	return s.Content[i]
}

// isNull reports whether n is absent or YAML's null.
func isNull(n *yaml.Node) bool {
	return n == nil || n.Kind == yaml.ScalarNode && n.ShortTag() == "!!null"
}

// isCustomTag reports whether n has a tag of its own, such as
// CloudFormation's !Ref, !Sub or !GetAtt.
func isCustomTag(n *yaml.Node) bool {
	return len(n.Tag) > 1 && n.Tag[0] == '!' && n.Tag[1] != '!'
}

// kindName names n's kind for messages.
func kindName(n *yaml.Node) string {
	switch n.Kind {
	case yaml.MappingNode:
		return "a mapping"
	case yaml.SequenceNode:
		return "a list"
	case yaml.ScalarNode:
		if isCustomTag(n) {
			return "a CloudFormation function (" + n.Tag + ")"
		}
		switch n.ShortTag() {
		case "!!int", "!!float":
			return "a number"
		case "!!bool":
			return "a boolean"
		case "!!null":
			return "null"
		}
		return "a string"
	}
	return "a document"
}
