package composer

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseConstraint: no constraint string panics, and one that parses
// gives the same answers after a round trip through String.
func FuzzParseConstraint(f *testing.F) {
	for _, s := range []string{"^8.2", "~8.1", ">=8.0 <8.3", "8.0 - 8.2", "8.*", "^7.4 || ^8.0", "!=8.1.2", "8.2.*@dev", "dev-main", "~1.2.3|^2"} {
		f.Add(s, "8.2.3")
	}
	f.Fuzz(func(t *testing.T, s, v string) {
		c, err := ParseConstraint(s)
		if err != nil {
			return
		}
		again, err := ParseConstraint(c.String())
		if err != nil {
			t.Fatalf("%q parses, its String %q does not: %v", s, c.String(), err)
		}
		if c.Check(v) != again.Check(v) {
			t.Errorf("%q and its String %q disagree on %q", s, c.String(), v)
		}
	})
}

// FuzzLoad: no composer.json or composer.lock content panics Load.
func FuzzLoad(f *testing.F) {
	f.Add([]byte(`{"require":{"php":"^8.2","ext-gmp":"*"},"config":{"platform":{"php":"8.2.0"}}}`), []byte(`{"packages":[{"name":"bref/bref","version":"2.1.5","require":{"php":">=8.0"}}],"packages-dev":[]}`))
	f.Add([]byte(`{`), []byte(`[]`))
	f.Fuzz(func(t *testing.T, composerJSON, lock []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, JSONFile), composerJSON, 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, LockFile), lock, 0o644); err != nil {
			t.Fatal(err)
		}
		p, err := Load(dir)
		if err == nil && p == nil {
			t.Error("Load returned neither a project nor an error")
		}
	})
}
