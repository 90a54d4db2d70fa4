package layers

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Mode bits as chmod(1) names them.
const (
	bitSetuid = 0o4000
	bitSetgid = 0o2000
	bitSticky = 0o1000
	bitsUser  = 0o700
	bitsGroup = 0o070
	bitsOther = 0o007
	// bitsStandard are the bits "a" and an empty who stand for.
	bitsStandard = bitSetuid | bitSetgid | bitsUser | bitsGroup | bitsOther
)

// chmod is a --chmod value, applied to each copied file and directory.
type chmod struct {
	octal   bool
	mode    int64
	clauses []chmodClause
}

// chmodClause is one comma-separated part of a symbolic mode: who, then
// one or more operations.
type chmodClause struct {
	who int64
	ops []chmodOp
}

// chmodOp is an operator ('+', '-' or '=') with either permission letters
// or a class to copy from ('u', 'g' or 'o').
type chmodOp struct {
	op    byte
	perms string
	copy  byte
}

// ParseChmod checks a --chmod value the way BuildKit does: an octal number
// up to 07777, or a symbolic mode as chmod(1) describes it ("u+x",
// "go-w", "a=rX", "u=rwx,go=rx"). The error says what is wrong.
func ParseChmod(s string) error {
	_, err := parseChmod(s)
	return err
}

func parseChmod(s string) (*chmod, error) {
	nonOctal := fmt.Errorf("invalid chmod parameter %q: use an octal mode between 0 and 07777 (e.g. 0644) or a symbolic one (e.g. a+rX)", s)
	if s == "" {
		return nil, nonOctal
	}
	if v, err := strconv.ParseUint(s, 8, 32); err == nil {
		if v > 0o7777 {
			return nil, nonOctal
		}
		return &chmod{octal: true, mode: int64(v)}, nil
	}
	if s[0] >= '0' && s[0] <= '9' {
		return nil, nonOctal
	}
	c := &chmod{}
	for _, part := range strings.Split(s, ",") {
		cl, err := parseClause(part)
		if err != nil {
			return nil, fmt.Errorf("invalid chmod parameter %q: %w", s, err)
		}
		c.clauses = append(c.clauses, cl)
	}
	return c, nil
}

var errChmodSyntax = errors.New("not a symbolic mode such as u+x, go-w or a=rX")

func parseClause(s string) (chmodClause, error) {
	var cl chmodClause
	i := 0
	for ; i < len(s); i++ {
		switch s[i] {
		case 'u':
			cl.who |= bitSetuid | bitsUser
		case 'g':
			cl.who |= bitSetgid | bitsGroup
		case 'o':
			cl.who |= bitsOther
		case 'a':
			cl.who |= bitsStandard
		default:
			goto ops
		}
	}
ops:
	if i == len(s) {
		return cl, errChmodSyntax
	}
	for i < len(s) {
		op := s[i]
		if op != '+' && op != '-' && op != '=' {
			return cl, errChmodSyntax
		}
		i++
		o := chmodOp{op: op}
		if i < len(s) && strings.IndexByte("ugo", s[i]) >= 0 {
			o.copy = s[i]
			i++
		} else {
			j := i
			for j < len(s) && strings.IndexByte("rwxXst", s[j]) >= 0 {
				j++
			}
			o.perms = s[i:j]
			i = j
		}
		cl.ops = append(cl.ops, o)
	}
	return cl, nil
}

// apply returns the mode of a copied entry (its source mode, 07777 bits)
// once the --chmod value is applied.
func (c *chmod) apply(mode int64, isDir bool) int64 {
	if c.octal {
		return c.mode
	}
	orig := mode
	for _, cl := range c.clauses {
		for _, o := range cl.ops {
			mode = applyOp(mode, orig, isDir, cl.who, o)
		}
	}
	return mode
}

// applyOp applies one operation, as BSD setmode(3) does with a zero umask
// (what BuildKit uses): an empty who means all bits; X adds execute only
// with '+', to directories and to files someone may already execute.
func applyOp(mode, orig int64, isDir bool, who int64, o chmodOp) int64 {
	eff := who
	if eff == 0 {
		eff = bitsStandard
	}
	if o.copy != 0 {
		var v int64
		switch o.copy {
		case 'u':
			v = mode & bitsUser >> 6
		case 'g':
			v = mode & bitsGroup >> 3
		case 'o':
			v = mode & bitsOther
		}
		spread := v<<6 | v<<3 | v
		bits := spread & eff & (bitsUser | bitsGroup | bitsOther)
		switch o.op {
		case '+':
			mode |= bits
		case '-':
			mode &^= bits
		case '=':
			mode = mode&^(eff&(bitsUser|bitsGroup|bitsOther)) | bits
		}
		return mode
	}
	var perm, permX int64
	onlyOther := who != 0 && who&^bitsOther == 0
	for i := 0; i < len(o.perms); i++ {
		switch o.perms[i] {
		case 'r':
			perm |= 0o444
		case 'w':
			perm |= 0o222
		case 'x':
			perm |= 0o111
		case 'X':
			if o.op == '+' {
				permX = 0o111
			}
		case 's':
			if !onlyOther {
				perm |= bitSetuid | bitSetgid
			}
		case 't':
			if !onlyOther {
				eff |= bitSticky
				perm |= bitSticky
			}
		}
	}
	bits := eff & perm
	switch o.op {
	case '+':
		mode |= bits
	case '-':
		mode &^= bits
	case '=':
		clear := who
		if clear == 0 {
			clear = bitsStandard
		}
		mode = mode&^clear | bits
	}
	if permX != 0 && (isDir || orig&0o111 != 0) {
		mode |= eff & permX
	}
	return mode
}
