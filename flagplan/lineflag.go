package flagplan

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/brefimg/brefimg/extensions"
)

// lineWords lists the known lines for messages: "1, 2 or 3".
var lineWords = func() string {
	var ls []string
	for _, l := range extensions.Lines() {
		ls = append(ls, strconv.Itoa(l))
	}
	return strings.Join(ls[:len(ls)-1], ", ") + " or " + ls[len(ls)-1]
}()

// LineValue is the value of the Bref line flag (--bref), with the Set,
// String and Type methods of github.com/spf13/pflag's Value. It refuses 0,
// so that a 0 given is not taken for "not given" (Flags.Line 0: the line
// is inferred), and words that are not numbers; [Plan] refuses the other
// lines that do not exist, as an input error about the line. It shows ""
// until a line is set:
//
//	fs.Var(flagplan.NewLineValue(&o.flags.Line), "bref", fmt.Sprintf("Bref major line: 1, 2 or 3 (default: the app's bref/bref version, else %d)", extensions.DefaultLine))
type LineValue struct{ line *int }

// NewLineValue returns the flag value of a Bref line that writes to *line.
func NewLineValue(line *int) *LineValue { return &LineValue{line: line} }

// errLine0 refuses a Bref 0 line.
var errLine0 = errors.New("Bref 0.x had no container images (they came with Bref 1): use " + lineWords + ", and upgrade a Bref 0.x app to Bref 1 or newer")

// Set parses a Bref line number other than 0. Its errors name the value,
// not the flag: the flag parser prefixes the flag, the environment
// variable or the brefimg.yaml key.
func (v *LineValue) Set(s string) error {
	n, err := strconv.Atoi(strings.TrimSpace(s))
	switch {
	case err != nil:
		//lint:ignore ST1005 Bref is a name
		return fmt.Errorf("Bref line %q is not a number: use %s", s, lineWords)
	case n == 0:
		return errLine0
	}
	*v.line = n
	return nil
}

// String is the line set, or "" when none is.
func (v *LineValue) String() string {
	if v == nil || v.line == nil || *v.line == 0 {
		return ""
	}
	return strconv.Itoa(*v.line)
}

// Type names the value in usage output.
func (v *LineValue) Type() string { return "int" }
