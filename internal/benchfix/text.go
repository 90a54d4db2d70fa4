package benchfix

import (
	"strings"
)

// commonWords are identifiers and English words found in PHP libraries; the
// generated text draws from them and from synthetic words, with a skewed
// distribution, so that it compresses about as well as real PHP (3 to 4
// times with gzip).
var commonWords = strings.Fields(`
get set has add remove create make build resolve handle process parse render
send dispatch register boot load save find update delete validate normalize
format merge filter map reduce apply call invoke push pop shift first last
value values key keys name names type types item items data config options
request response route router middleware controller model query builder
collection container service provider event listener subscriber handler
exception error message context logger cache store driver connection database
table column schema migration session cookie header headers body stream file
path directory view template engine compiler factory manager repository entity
attribute attributes relation relations parameter parameters argument arguments
callback closure resolver binding instance instances default defaults result
results token user auth guard policy gate permission role locale translator
string array integer boolean float null mixed object iterable callable static
self parent this true false return new throw try catch finally foreach while
if else elseif switch case break continue public protected private function
class interface trait abstract final extends implements namespace use const
the a an of to in for is on that by with as be it this are from at or not
when which will if all can should must may each any given current instance
returns string the value of the given key to be used when the request is
`)

// syllables build the synthetic words.
var syllables = strings.Fields(`ab ac ad al am an ap ar as at ba be bi bo ca ce
ci co cu da de di do du el em en er es et ex fa fe fi fo ga ge gi go ha he hi
ho id il im in io ir is it la le li lo lu ma me mi mo mu na ne ni no nu ob oc
od ol om on op or os ot pa pe pi po pu qu ra re ri ro ru sa se si so su ta te
ti to tu ul um un ur us va ve vi vo xa ze zo`)

// vocabulary is commonWords followed by synthetic words, built once.
var vocabulary = func() []string {
	words := append([]string(nil), commonWords...)
	r := newRNG("vocabulary")
	seen := map[string]bool{}
	for _, w := range words {
		seen[w] = true
	}
	for len(words) < 1600 {
		n := r.between(2, 4)
		var b strings.Builder
		for range n {
			b.WriteString(syllables[r.intn(len(syllables))])
		}
		w := b.String()
		if !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return words
}()

// textGen appends PHP-looking or prose-looking text to a buffer.
type textGen struct {
	r   *rng
	buf []byte
}

// word returns a word, common ones more often (a skewed distribution:
// the index is uniform in [0, uniform in [0, n))).
func (g *textGen) word() string {
	n := len(vocabulary)
	return vocabulary[g.r.intn(g.r.intn(n)+1)]
}

// ident appends an identifier of 1 to 3 words: camelCase, or PascalCase when
// upper is true.
func (g *textGen) ident(upper bool) {
	n := 1 + g.r.intn(g.r.intn(3)+1)
	for i := range n {
		w := g.word()
		if upper || i > 0 {
			g.buf = append(g.buf, strings.ToUpper(w[:1])...)
			g.buf = append(g.buf, w[1:]...)
		} else {
			g.buf = append(g.buf, w...)
		}
	}
}

// s appends literal text.
func (g *textGen) s(text string) { g.buf = append(g.buf, text...) }

// sentence appends words separated by spaces.
func (g *textGen) sentence(lo, hi int) {
	n := g.r.between(lo, hi)
	for i := range n {
		if i > 0 {
			g.buf = append(g.buf, ' ')
		}
		g.buf = append(g.buf, g.word()...)
	}
}

var phpTypes = []string{"string", "int", "bool", "array", "mixed", "float", "?string", "callable", "iterable", "object", "static", "void"}

// phpType appends a type: scalar or a class name.
func (g *textGen) phpType() {
	if g.r.intn(3) == 0 {
		g.ident(true)
		return
	}
	g.s(phpTypes[g.r.intn(len(phpTypes))])
}

// docblock appends a doc comment at the given indentation.
func (g *textGen) docblock(indent string, params int) {
	g.s(indent + "/**\n" + indent + " * ")
	g.sentence(4, 14)
	g.s(".\n")
	if g.r.intn(2) == 0 {
		g.s(indent + " *\n" + indent + " * ")
		g.sentence(6, 20)
		g.s(".\n")
	}
	if params > 0 {
		g.s(indent + " *\n")
	}
	for range params {
		g.s(indent + " * @param  ")
		g.phpType()
		g.s("  $")
		g.ident(false)
		g.s("\n")
	}
	if params >= 0 {
		g.s(indent + " * @return ")
		g.phpType()
		g.s("\n")
	}
	g.s(indent + " */\n")
}

// statement appends one line of a method body.
func (g *textGen) statement(indent string) {
	g.s(indent)
	switch g.r.intn(8) {
	case 0, 1:
		g.s("$")
		g.ident(false)
		g.s(" = $this->")
		g.ident(false)
		g.s("->")
		g.ident(false)
		g.s("($")
		g.ident(false)
		g.s(");\n")
	case 2:
		g.s("if ($")
		g.ident(false)
		g.s(" === null) {\n" + indent + "    throw new ")
		g.ident(true)
		g.s("Exception('")
		g.sentence(3, 9)
		g.s("');\n" + indent + "}\n")
	case 3:
		g.s("foreach ($")
		g.ident(false)
		g.s(" as $key => $value) {\n" + indent + "    $this->")
		g.ident(false)
		g.s("[$key] = $value;\n" + indent + "}\n")
	case 4:
		g.s("return $this->")
		g.ident(false)
		g.s("($")
		g.ident(false)
		g.s(", '")
		g.s(g.word())
		g.s("');\n")
	case 5:
		g.s("// ")
		g.sentence(4, 12)
		g.s("\n")
	case 6:
		g.s("$")
		g.ident(false)
		g.s(" = ")
		g.ident(true)
		g.s("::")
		g.ident(false)
		g.s("($")
		g.ident(false)
		g.s(", [")
		for i := range g.r.between(1, 3) {
			if i > 0 {
				g.s(", ")
			}
			g.s("'")
			g.ident(false)
			g.s("'")
		}
		g.s("]);\n")
	default:
		g.s("$this->")
		g.ident(false)
		g.s(" = $")
		g.ident(false)
		g.s(";\n")
	}
}

// method appends a method with a doc comment.
func (g *textGen) method() {
	params := g.r.intn(4)
	g.s("\n")
	g.docblock("    ", params)
	vis := [...]string{"public", "public", "protected", "private", "public static"}[g.r.intn(5)]
	g.s("    " + vis + " function ")
	g.ident(false)
	g.s("(")
	for i := range params {
		if i > 0 {
			g.s(", ")
		}
		g.phpType()
		g.s(" $")
		g.ident(false)
	}
	g.s("): ")
	g.phpType()
	g.s("\n    {\n")
	for range g.r.between(1, 9) {
		g.statement("        ")
	}
	g.s("    }\n")
}

// php returns a PHP class file of exactly size bytes in namespace ns.
func php(r *rng, ns string, size int) []byte {
	g := &textGen{r: r, buf: make([]byte, 0, size+2048)}
	g.s("<?php\n\n")
	if r.intn(2) == 0 {
		g.s("/*\n * This file is part of the ")
		g.s(ns)
		g.s(" package.\n *\n * For the full copyright and license information, please view the LICENSE\n * file that was distributed with this source code.\n */\n\n")
	}
	g.s("namespace " + ns + ";\n\n")
	for range r.between(1, 8) {
		g.s("use " + ns + "\\")
		g.ident(true)
		g.s("\\")
		g.ident(true)
		g.s(";\n")
	}
	g.s("\n")
	g.docblock("", -1)
	g.s([...]string{"class ", "final class ", "abstract class ", "interface ", "trait "}[r.intn(5)])
	g.ident(true)
	if r.intn(2) == 0 {
		g.s(" extends ")
		g.ident(true)
	}
	g.s("\n{\n")
	for range r.between(0, 4) {
		g.s("    /**\n     * ")
		g.sentence(3, 10)
		g.s(".\n     *\n     * @var ")
		g.phpType()
		g.s("\n     */\n    protected $")
		g.ident(false)
		g.s(" = ")
		g.s([...]string{"null", "[]", "false", "true", "0", "''"}[r.intn(6)])
		g.s(";\n\n")
	}
	for len(g.buf) < size-2 {
		g.method()
	}
	g.buf = append(g.buf[:min(len(g.buf), size-2)], "}\n"...)
	return g.buf[:size]
}

// prose returns size bytes of plain text (documentation, licences, headers).
func prose(r *rng, size int) []byte {
	g := &textGen{r: r, buf: make([]byte, 0, size+256)}
	for len(g.buf) < size {
		g.sentence(5, 16)
		if r.intn(6) == 0 {
			g.s(".\n\n")
		} else {
			g.s(". ")
		}
	}
	return g.buf[:size]
}

// elfBytes returns size bytes that look like a compiled binary: an ELF magic,
// then blocks of random bytes with some runs of zeros and symbol names, so
// that gzip saves only about a tenth.
func elfBytes(r *rng, what string, size int) []byte {
	b := make([]byte, size)
	copy(b, "\x7fELF\x02\x01\x01\x00"+what+"\n")
	for off := min(len(b), 64); off < len(b); off += 4096 {
		end := min(off+4096, len(b))
		switch r.intn(16) {
		case 0: // padding: zeros
		case 1: // a symbol table: text
			g := &textGen{r: r, buf: b[off:off]}
			for len(g.buf) < end-off {
				g.ident(false)
				g.s("\x00")
			}
			copy(b[off:end], g.buf)
		default:
			r.fill(b[off:end])
		}
	}
	return b
}
