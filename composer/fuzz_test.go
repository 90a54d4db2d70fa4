package composer

import (
	"os"
	"path/filepath"
	"testing"
)

// FuzzParseConstraint: no constraint string panics, and one that parses
// gives the same answers after a round trip through String.
func FuzzParseConstraint(f *testing.F) {
	for _, s := range []string{"^8.2", "~8.1", ">=8.0 <8.3", "8.0 - 8.2", "8.*", "^7.4 || ^8.0", "!=8.1.2", "8.2.*@dev", "dev-main", "~1.2.3|^2",
		">2.0@dev", ">2.0@stable,<=3.0@dev", "~2.0.3.x-dev", "2.0.3.x-dev - 3.0.3.x-dev", ">2.0,,<=3.0", "^1@dev ,", "1.0 as 2.0", "^1.3 || 2 - 0"} {
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

// FuzzVersionOrder: no version string panics parseVersion, and the order
// of two numeric versions is antisymmetric and reflexive, as NewestSatisfying
// needs. (PHP's version_compare is not, on strings that are not
// normalised: "1." is below itself.)
func FuzzVersionOrder(f *testing.F) {
	for _, s := range []string{"1.0.0", "1.0.0-beta2", "1.0.0.RC.15-dev", "2.x-dev", "1.0.0-p1", "20100102-203040-p1", "v1.2.3.4", "041.x-dev", "1.0-STABLE", "dev-main"} {
		f.Add(s, "1.0.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, errA := parseVersion(a)
		vb, errB := parseVersion(b)
		if errA != nil || errB != nil || va.isBranch() || vb.isBranch() {
			return
		}
		if c := compareVersions(va, va); c != 0 {
			t.Errorf("%q (%s) compares %d with itself", a, va, c)
		}
		if ab, ba := compareVersions(va, vb), compareVersions(vb, va); ab != -ba {
			t.Errorf("%q (%s) against %q (%s): %d, and %d the other way", a, va, b, vb, ab, ba)
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
