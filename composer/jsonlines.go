package composer

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"strconv"
	"strings"
)

// lineIndex maps JSON pointers (RFC 6901: "/require/ext-gmp",
// "/packages/3/version") to the 1-based line where that member's key, or that
// array element, starts. It is built by walking the document's tokens with
// a json.Decoder and reading its input offsets: keys and scalars cannot span
// lines, so the line of the offset where a token ends is the line it is on.
type lineIndex struct {
	lines    map[string]int
	newlines []int // offsets of '\n'
}

// lineAt returns the 1-based line of byte offset off.
func (ix *lineIndex) lineAt(off int64) int {
	return sort.SearchInts(ix.newlines, int(off)) + 1
}

// line returns the line of the member or element at pointer, 0 if unknown.
func (ix *lineIndex) line(pointer string) int {
	if ix == nil {
		return 0
	}
	return ix.lines[pointer]
}

// pointer joins reference tokens into a JSON pointer, escaping "~" and "/".
func pointer(tokens ...string) string {
	var b strings.Builder
	for _, t := range tokens {
		b.WriteByte('/')
		t = strings.ReplaceAll(t, "~", "~0")
		b.WriteString(strings.ReplaceAll(t, "/", "~1"))
	}
	return b.String()
}

// indexLines walks data and records the line of every object member and
// array element. data must already be known to be valid JSON (json.Unmarshal
// also bounds its depth).
func indexLines(data []byte) (*lineIndex, error) {
	ix := &lineIndex{lines: map[string]int{}}
	for i, b := range data {
		if b == '\n' {
			ix.newlines = append(ix.newlines, i)
		}
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.UseNumber()
	if _, err := ix.value(dec, ""); err != nil {
		return nil, err
	}
	return ix, nil
}

// value reads the value at ptr, recording the lines of its members and
// elements, and returns the line where it starts.
func (ix *lineIndex) value(dec *json.Decoder, ptr string) (int, error) {
	tok, err := dec.Token()
	if err != nil {
		return 0, err
	}
	line := ix.lineAt(dec.InputOffset() - 1)
	switch tok {
	case json.Delim('{'):
		for dec.More() {
			kt, err := dec.Token()
			if err != nil {
				return 0, err
			}
			key, _ := kt.(string)
			child := ptr + pointer(key)
			ix.lines[child] = ix.lineAt(dec.InputOffset() - 1)
			if _, err := ix.value(dec, child); err != nil {
				return 0, err
			}
		}
		_, err = dec.Token() // '}'
	case json.Delim('['):
		for i := 0; dec.More(); i++ {
			child := ptr + "/" + strconv.Itoa(i)
			l, err := ix.value(dec, child)
			if err != nil {
				return 0, err
			}
			ix.lines[child] = l
		}
		_, err = dec.Token() // ']'
	}
	return line, err
}

// syntaxPosition returns the line and column of a JSON decoding error at a
// byte offset, for messages.
func syntaxPosition(data []byte, off int64) (line, col int) {
	if off > int64(len(data)) {
		off = int64(len(data))
	}
	line, col = 1, 1
	for _, b := range data[:off] {
		if b == '\n' {
			line++
			col = 1
			continue
		}
		col++
	}
	return line, col
}

// jsonError turns a decoding error into a *SyntaxError naming the file and
// the position.
func jsonError(file string, data []byte, err error) error {
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		line, col := syntaxPosition(data, se.Offset)
		return &SyntaxError{File: file, Line: line, Column: col, Err: err}
	case errors.As(err, &te):
		line, col := syntaxPosition(data, te.Offset)
		return &SyntaxError{File: file, Line: line, Column: col, Err: err}
	}
	return &SyntaxError{File: file, Err: err}
}

// SyntaxError is a Composer file that is not valid JSON or does not have
// the shape Composer gives it.
type SyntaxError struct {
	// File is the file, relative to the app dir ("composer.json").
	File string
	// Line and Column locate the error, 1-based; 0 when unknown.
	Line, Column int
	// Err is the decoding error.
	Err error
}

// Error says which file is wrong, where, and how.
func (e *SyntaxError) Error() string {
	if e.Line > 0 {
		return fmt.Sprintf("reading %s: line %d, column %d: %v", e.File, e.Line, e.Column, e.Err)
	}
	return fmt.Sprintf("reading %s: %v", e.File, e.Err)
}

// Unwrap returns the decoding error.
func (e *SyntaxError) Unwrap() error { return e.Err }
