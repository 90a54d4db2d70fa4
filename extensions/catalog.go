package extensions

import (
	_ "embed"
	"fmt"
	"slices"
	"strings"
)

// catalogData is which extension images Bref published, read from each
// layers/<name>/config.json of brefphp/extra-php-extensions at the release
// each floating tag points at; its header records the tags, commits and
// how the tags were pushed.
//
//go:embed catalog.tsv
var catalogData string

// release is what one floating extension tag ("0.12", "1", "3") holds.
type release struct {
	// tag is the floating Docker tag, e.g. "0.12".
	tag string
	// version is the release it points at, e.g. "0.12.4".
	version string
	// line is the Bref line the release is for.
	line int
	// php maps each extension name to the PHP versions an image exists
	// for, oldest first; an empty list is a name disabled at that release
	// ("php": [] in its config.json): no image.
	php map[string][]string
}

// catalog is the parsed catalogData.
type catalog struct {
	// releases are ordered by line, then oldest first.
	releases []release
	// aliases maps a floating tag to the tag of the same release ("0" ->
	// "0.12").
	aliases map[string]string
}

var cat = mustParseCatalog(catalogData)

func mustParseCatalog(data string) catalog {
	c, err := parseCatalog(data)
	if err != nil {
		panic("extensions/catalog.tsv: " + err.Error()) // caught by every test of the package
	}
	return c
}

// parseCatalog reads the catalog file: "# alias TAG TAG" lines, comments,
// and rows "tag<TAB>release<TAB>name<TAB>php,php,…".
func parseCatalog(data string) (catalog, error) {
	c := catalog{aliases: map[string]string{}}
	byTag := map[string]int{} // index in c.releases
	for i, line := range strings.Split(data, "\n") {
		if a, ok := strings.CutPrefix(line, "# alias "); ok {
			f := strings.Fields(a)
			if len(f) != 2 {
				return catalog{}, fmt.Errorf("line %d: want # alias TAG TAG", i+1)
			}
			c.aliases[f[0]] = f[1]
			continue
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		if len(f) != 4 {
			return catalog{}, fmt.Errorf("line %d: want 4 tab-separated fields, got %d", i+1, len(f))
		}
		j, ok := byTag[f[0]]
		if !ok {
			l := lineOfMajor(f[0])
			if l == 0 {
				return catalog{}, fmt.Errorf("line %d: tag %q belongs to no Bref line", i+1, f[0])
			}
			j = len(c.releases)
			c.releases = append(c.releases, release{tag: f[0], version: f[1], line: l, php: map[string][]string{}})
			byTag[f[0]] = j
		}
		r := &c.releases[j]
		if r.version != f[1] {
			return catalog{}, fmt.Errorf("line %d: tag %s is release %s here and %s above", i+1, f[0], f[1], r.version)
		}
		if _, dup := r.php[f[2]]; dup || !validName(f[2]) {
			return catalog{}, fmt.Errorf("line %d: name %q is invalid or listed twice", i+1, f[2])
		}
		versions := []string{}
		if f[3] != "" {
			versions = strings.Split(f[3], ",")
		}
		for _, v := range versions {
			if n, err := NormalizePHP(v); err != nil || n != v {
				return catalog{}, fmt.Errorf("line %d: PHP version %q is not MAJOR.MINOR", i+1, v)
			}
		}
		r.php[f[2]] = versions
	}
	slices.SortStableFunc(c.releases, func(a, b release) int {
		if a.line != b.line {
			return a.line - b.line
		}
		return compareVersions(a.version, b.version)
	})
	for alias, tag := range c.aliases {
		if c.release(tag) == nil {
			return catalog{}, fmt.Errorf("alias %s names tag %s, which has no rows", alias, tag)
		}
	}
	return c, nil
}

// release returns the release a tag names: a floating tag, an alias or
// the exact release version ("0.12.4"); nil when the catalog does not know
// the tag.
func (c catalog) release(tag string) *release {
	if t, ok := c.aliases[tag]; ok {
		tag = t
	}
	for i := range c.releases {
		if r := &c.releases[i]; r.tag == tag || r.version == tag {
			return r
		}
	}
	return nil
}

// lineReleases returns a line's releases, newest first.
func (c catalog) lineReleases(line int) []release {
	var out []release
	for _, r := range slices.Backward(c.releases) {
		if r.line == line {
			out = append(out, r)
		}
	}
	return out
}

// versions returns the PHP versions name has an image for under any tag
// of line, oldest first; nil when it has none.
func (c catalog) versions(line int, name string) []string {
	var out []string
	for _, r := range c.lineReleases(line) {
		out = append(out, r.php[name]...)
	}
	slices.SortFunc(out, compareVersions)
	return slices.Compact(out)
}

// listed reports whether any release of line lists name, disabled or not.
func (c catalog) listed(line int, name string) bool {
	for _, r := range c.lineReleases(line) {
		if _, ok := r.php[name]; ok {
			return true
		}
	}
	return false
}

// defaultTag returns the newest tag of line that publishes name for PHP
// version php, or "".
func (c catalog) defaultTag(line int, name, php string) string {
	for _, r := range c.lineReleases(line) {
		if slices.Contains(r.php[name], php) {
			return r.tag
		}
	}
	return ""
}

// lineOfMajor returns the Bref line whose extension tags start with the
// major version of tag ("0.12" -> 1, "1" -> 2, "3.0.9" -> 3), or 0.
func lineOfMajor(tag string) int {
	major, _, _ := strings.Cut(tag, ".")
	for _, l := range Lines() {
		if lineInfos[l].extMajor == major {
			return l
		}
	}
	return 0
}

// compareVersions orders dotted numeric versions ("0.10.10" after "0.9.1").
func compareVersions(a, b string) int {
	as, bs := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < len(as) && i < len(bs); i++ {
		if d := len(as[i]) - len(bs[i]); d != 0 {
			return d
		}
		if c := strings.Compare(as[i], bs[i]); c != 0 {
			return c
		}
	}
	return len(as) - len(bs)
}
