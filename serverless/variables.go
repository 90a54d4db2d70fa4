package serverless

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The variable syntax follows Serverless v3's
// lib/configuration/variables/parse.js (v3.40.0, 19128fadcd30):
//
//	${type:address}              ${self:custom.x}, ${env:HOME}
//	${type(params):address}      ${file(./config.yml):key}
//	${source, fallback, …}       ${opt:stage, self:provider.stage, 'dev'}
//
// A fallback is another source, a quoted string, a number, true, false or
// null. Addresses and params may hold variables. "${" not followed by a
// lowercase type and ":" or "(" is not a variable (${AWS::Region} is
// CloudFormation's) and stays as it is, as does "\${".
//
// Unlike parse.js, this parser also takes ${…} as a fallback
// (${opt:stage, ${self:provider.stage}}, the v1/v2 syntax that v4 reads)
// and a bare word as a string fallback.

// part is a piece of a string: text, or a variable.
type part struct {
	text string    // literal text, when v is nil
	v    *variable // a variable
}

// variable is one ${…}.
type variable struct {
	raw     string   // the variable's text, for messages
	sources []source // the source and its fallbacks, in order
}

// source is one of a variable's sources.
type source struct {
	typ       string    // "self", "env", …; "" for a literal
	hasParams bool      // the source has "(…)", as ${file(…)} has
	address   string    // the text after ":", trimmed; may hold variables
	literal   *string   // a literal's value; nil for null
	nested    *variable // a ${…} given as a fallback
	raw       string    // the source's text, for messages
}

// isType matches a source type.
var isType = regexp.MustCompile(`^[a-z][a-zA-Z0-9]*$`)

// hasVariables reports whether s may hold a variable or an escape.
func hasVariables(s string) bool { return strings.Contains(s, "${") }

// parseString splits s into text and variables.
func parseString(s string) ([]part, error) {
	var parts []part
	var text strings.Builder
	for i := 0; i < len(s); {
		switch {
		case strings.HasPrefix(s[i:], `\${`):
			text.WriteString("${")
			i += 3
		case strings.HasPrefix(s[i:], "${") && isVariableStart(s, i):
			v, end, err := parseVariable(s, i)
			if err != nil {
				return nil, fmt.Errorf("%s: %w", s[i:], err)
			}
			if text.Len() > 0 {
				parts = append(parts, part{text: text.String()})
				text.Reset()
			}
			parts = append(parts, part{v: v})
			i = end
		default:
			text.WriteByte(s[i])
			i++
		}
	}
	if text.Len() > 0 {
		parts = append(parts, part{text: text.String()})
	}
	return parts, nil
}

// isVariableStart reports whether the "${" at s[i:] opens a variable: a
// lowercase type followed by ":" or "(".
func isVariableStart(s string, i int) bool {
	j := i + 2
	if j >= len(s) || s[j] < 'a' || s[j] > 'z' {
		return false
	}
	for j < len(s) && isAlnum(s[j]) {
		j++
	}
	return j < len(s) && (s[j] == ':' || s[j] == '(')
}

func isAlnum(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9'
}

// parseVariable parses the variable that opens at s[i:] ("${") and
// returns it with the index past its "}".
func parseVariable(s string, i int) (*variable, int, error) {
	v := &variable{}
	j := i + 2
	for {
		src, next, err := parseSource(s, j)
		if err != nil {
			return nil, 0, err
		}
		v.sources = append(v.sources, src)
		j = skipSpaces(s, next)
		if j >= len(s) {
			return nil, 0, errors.New("missing the closing }")
		}
		if s[j] == '}' {
			v.raw = s[i : j+1]
			return v, j + 1, nil
		}
		if s[j] != ',' {
			return nil, 0, fmt.Errorf("unexpected %q after a source", s[j])
		}
		j++
	}
}

// parseSource parses the source at s[j:] (spaces first) and returns it
// with the index past it.
func parseSource(s string, j int) (source, int, error) {
	j = skipSpaces(s, j)
	start := j
	if j >= len(s) {
		return source{}, 0, errors.New("missing the closing }")
	}
	switch {
	case s[j] == '\'' || s[j] == '"':
		lit, next, err := quoted(s, j)
		if err != nil {
			return source{}, 0, err
		}
		return source{literal: &lit, raw: s[start:next]}, next, nil
	case strings.HasPrefix(s[j:], "${"):
		if !isVariableStart(s, j) {
			return source{}, 0, fmt.Errorf("%q is not a variable", s[j:])
		}
		v, next, err := parseVariable(s, j)
		if err != nil {
			return source{}, 0, err
		}
		return source{nested: v, raw: v.raw}, next, nil
	}
	k := j
	for k < len(s) && (isAlnum(s[k]) || s[k] == '.' || s[k] == '-' || s[k] == '_') {
		k++
	}
	if k < len(s) && (s[k] == ':' || s[k] == '(') && isType.MatchString(s[j:k]) {
		return parseTyped(s, j, k)
	}
	end, err := until(s, j, ",}")
	if err != nil {
		return source{}, 0, err
	}
	word := strings.TrimSpace(s[j:end])
	if word == "" {
		return source{}, 0, errors.New("empty source")
	}
	src := source{raw: word}
	if word != "null" {
		src.literal = &word
	}
	return src, end, nil
}

// parseTyped parses "type(params):address" at s[j:], whose type ends at k.
func parseTyped(s string, j, k int) (source, int, error) {
	src := source{typ: s[j:k]}
	if s[k] == '(' {
		end, err := until(s, k+1, ")")
		if err != nil {
			return source{}, 0, err
		}
		src.hasParams = true
		k = end + 1
		if k >= len(s) || s[k] != ':' {
			src.raw = s[j:k]
			return src, k, nil
		}
	}
	// s[k] is ':'
	a := skipSpaces(s, k+1)
	if a < len(s) && (s[a] == '\'' || s[a] == '"') {
		addr, next, err := quoted(s, a)
		if err != nil {
			return source{}, 0, err
		}
		src.address, src.raw = addr, s[j:next]
		return src, next, nil
	}
	end, err := until(s, a, ",}")
	if err != nil {
		return source{}, 0, err
	}
	src.address = strings.TrimSpace(s[a:end])
	src.raw = strings.TrimSpace(s[j:end])
	return src, end, nil
}

// until returns the index of the first byte of stops at s[j:] outside
// nested variables. As in parse.js, quotes inside an address or params
// are plain text.
func until(s string, j int, stops string) (int, error) {
	depth := 0
	for i := j; i < len(s); i++ {
		c := s[i]
		switch {
		case c == '$' && i+1 < len(s) && s[i+1] == '{':
			depth++
			i++
		case c == '}' && depth > 0:
			depth--
		case depth == 0 && strings.IndexByte(stops, c) >= 0:
			return i, nil
		}
	}
	return 0, fmt.Errorf("missing %q", stops[len(stops)-1])
}

// quoted reads the quoted string at s[j:]: '…' as it is, "…" with JSON's
// escapes. It returns the string and the index past its closing quote.
func quoted(s string, j int) (string, int, error) {
	q := s[j]
	for i := j + 1; i < len(s); i++ {
		switch {
		case s[i] == '\\' && q == '"':
			i++
		case s[i] == q:
			if q == '\'' {
				return s[j+1 : i], i + 1, nil
			}
			v, err := strconv.Unquote(s[j : i+1])
			if err != nil {
				return "", 0, fmt.Errorf("string %s: %w", s[j:i+1], err)
			}
			return v, i + 1, nil
		}
	}
	return "", 0, fmt.Errorf("missing the closing %c", q)
}

func skipSpaces(s string, j int) int {
	for j < len(s) && s[j] == ' ' {
		j++
	}
	return j
}
