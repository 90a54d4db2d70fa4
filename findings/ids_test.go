package findings

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// TestRegistry: every ID constant is in the registry once, and the
// README's checks section names every ID of the registry.
func TestRegistry(t *testing.T) {
	consts := idConstants(t)
	seen := map[string]bool{}
	for _, c := range Registry {
		if seen[c.ID] {
			t.Errorf("%s is in the registry twice", c.ID)
		}
		seen[c.ID] = true
		if c.Doc == "" || (c.Severity != "error" && c.Severity != "warning" && c.Severity != "error or warning") {
			t.Errorf("%s: severity %q, doc %q", c.ID, c.Severity, c.Doc)
		}
	}
	for name, id := range consts {
		if !seen[id] {
			t.Errorf("%s = %q is not in the registry", name, id)
		}
	}
	readme, err := os.ReadFile(filepath.Join("..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range Registry {
		if !strings.Contains(string(readme), "`"+c.ID+"`") {
			t.Errorf("the README does not name %s", c.ID)
		}
	}
}

// TestEmittedIDs: every finding ID the product code names is a constant
// of this package (no ID written as a bare string), so the registry test
// above covers it; a Finding literal whose ID is a string fails.
func TestEmittedIDs(t *testing.T) {
	consts := idConstants(t)
	use := regexp.MustCompile(`findings\.(ID[A-Za-z]+)\b[^(]`)
	literal := regexp.MustCompile(`Finding\{ID: *"`)
	n := 0
	err := filepath.WalkDir("..", func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && (d.Name() == "testdata" || strings.HasPrefix(d.Name(), ".")) && p != ".." {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(p, ".go") || strings.HasSuffix(p, "_test.go") {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		for _, m := range use.FindAllStringSubmatch(string(b), -1) {
			n++
			if _, ok := consts[m[1]]; !ok {
				t.Errorf("%s names findings.%s, which is no ID constant", p, m[1])
			}
		}
		if literal.Match(b) {
			t.Errorf("%s makes a Finding with a string ID: use a findings.ID constant", p)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if n < len(Registry) {
		t.Errorf("only %d uses of ID constants found: is the walk reading the product code?", n)
	}
}

// idConstants parses ids.go: the name and value of every ID constant.
func idConstants(t *testing.T) map[string]string {
	t.Helper()
	f, err := parser.ParseFile(token.NewFileSet(), "ids.go", nil, 0)
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]string{}
	for _, d := range f.Decls {
		gd, ok := d.(*ast.GenDecl)
		if !ok || gd.Tok != token.CONST {
			continue
		}
		for _, s := range gd.Specs {
			vs := s.(*ast.ValueSpec)
			for i, n := range vs.Names {
				if lit, ok := vs.Values[i].(*ast.BasicLit); ok && strings.HasPrefix(n.Name, "ID") {
					v, _ := strconv.Unquote(lit.Value)
					out[n.Name] = v
				}
			}
		}
	}
	if len(out) == 0 {
		t.Fatal("no ID constants in ids.go")
	}
	return out
}
