package composer

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode"

	"github.com/Masterminds/semver/v3"
)

// versionPattern is composer/semver's $versionRegex: up to four numbers,
// then a stability modifier or ".x-dev", then optional build metadata.
// Groups: 1-4 numbers, 5 stability, 6 stability numbers, 7 "dev", 8 "x-dev".
const versionPattern = `v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:` + modifier + `|\.([x*][.-]?dev))(?:\+[^\s]+)?`

var (
	orSplitRe    = regexp.MustCompile(`\s*\|\|?\s*`)
	atomFlagRe   = regexp.MustCompile(`(?i)^([^,\s]*?)@(stable|rc|beta|alpha|dev)$`)
	refRe        = regexp.MustCompile(`(?i)^(dev-[^,\s@]+?|[^,\s@]+?\.x-dev)#.+$`)
	matchAllRe   = regexp.MustCompile(`(?i)^(v)?[x*](\.[x*])*$`)
	tildeRe      = regexp.MustCompile(`(?i)^~>?` + versionPattern + `$`)
	caretRe      = regexp.MustCompile(`(?i)^\^` + versionPattern + `$`)
	xRangeRe     = regexp.MustCompile(`(?i)^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.[x*])+$`)
	hyphenRe     = regexp.MustCompile(`(?i)^(` + versionPattern + `) +- +(` + versionPattern + `)$`)
	comparatorRe = regexp.MustCompile(`^(<>|!=|>=?|<=?|==?)?\s*(.*)$`)
	modSuffixRe  = regexp.MustCompile(`(?i)-` + modifier + `$`)
	branchLikeRe = regexp.MustCompile(`^[0-9a-zA-Z./-]+$`)
)

// Constraint is a parsed Composer version constraint such as "^8.1 || ~7.4".
// The zero Constraint matches no version.
type Constraint struct {
	text string
	// groups are OR-ed; the atoms of a group are AND-ed.
	groups [][]atom
}

// atom is one comparison: op is "==", "!=", "<", "<=", ">", ">=", or "*"
// (anything).
type atom struct {
	op  string
	ver version
}

// String returns the constraint as it was written.
func (c Constraint) String() string { return c.text }

// ParseConstraint parses a Composer version constraint with Composer's
// semantics (see the package documentation). The error names the
// constraint and the part that could not be parsed.
func ParseConstraint(s string) (Constraint, error) {
	c := Constraint{text: s}
	trimmed := strings.TrimSpace(s)
	if trimmed == "" {
		return Constraint{}, fmt.Errorf("parsing version constraint %q: it is empty", s)
	}
	for _, or := range orSplitRe.Split(trimmed, -1) {
		parts, err := splitAnd(or)
		if err != nil {
			return Constraint{}, fmt.Errorf("parsing version constraint %q: %w", s, err)
		}
		var group []atom
		for _, p := range parts {
			atoms, err := parseAtom(p)
			if err != nil {
				return Constraint{}, fmt.Errorf("parsing version constraint %q: %w", s, err)
			}
			group = append(group, atoms...)
		}
		c.groups = append(c.groups, group)
	}
	return c, nil
}

// MustParseConstraint is ParseConstraint for constraints known to be valid,
// such as literals in code; it panics on an error.
func MustParseConstraint(s string) Constraint {
	c, err := ParseConstraint(s)
	if err != nil {
		panic(err)
	}
	return c
}

// splitAnd splits one OR part into its AND-ed constraints: on commas and
// spaces, except that an operator stays with its version (">= 1.0"), a
// hyphen range stays whole ("1.0 - 2.0") and an alias is dropped ("1.0 as
// 2.0" is "1.0"), as composer/semver's splitting expression does.
func splitAnd(s string) ([]string, error) {
	toks := strings.FieldsFunc(s, func(r rune) bool { return r == ',' || unicode.IsSpace(r) })
	if len(toks) == 0 {
		return nil, errors.New("an empty alternative (check the || and |)")
	}
	var out []string
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		for isOperator(t) && i+1 < len(toks) {
			i++
			t += " " + toks[i]
		}
		if i+2 < len(toks) && toks[i+1] == "-" {
			t += " - " + toks[i+2]
			i += 2
		}
		if i+2 < len(toks) && toks[i+1] == "as" {
			i += 2
		}
		out = append(out, t)
	}
	return out, nil
}

// isOperator reports whether t is only a comparison operator, which Composer
// keeps with the version after it.
func isOperator(t string) bool {
	switch t {
	case "<>", "!=", ">", ">=", "<", "<=", "=", "==":
		return true
	}
	return false
}

// parseAtom parses one AND-ed constraint into one or two comparisons, as
// composer/semver's VersionParser::parseConstraint does.
func parseAtom(s string) ([]atom, error) {
	c, stabilityFlag := stripAtomSuffixes(s)
	if atoms, ok := parseMatchAll(c); ok {
		return atoms, nil
	}
	if strings.HasPrefix(c, "~>") {
		return nil, fmt.Errorf("%q: invalid operator \"~>\", you probably meant \"~\"", s)
	}
	atoms, ok, err := parseRange(c)
	if !ok {
		atoms, err = parseComparison(c, stabilityFlag)
	}
	if err != nil {
		return nil, fmt.Errorf("%q: %w", s, err)
	}
	return atoms, nil
}

// stripAtomSuffixes removes from one constraint what does not take part
// in the comparison: an alias ("1.0 as 2.0" is "1.0"), a stability flag
// ("^1.0@beta"; returned lower-cased, "" for "stable", and a lone flag
// is "*") and a commit reference ("dev-main#abc123" is "dev-main").
func stripAtomSuffixes(s string) (c, stabilityFlag string) {
	c = s
	if m := aliasRe.FindStringSubmatch(c); m != nil {
		c = m[1]
	}
	if m := atomFlagRe.FindStringSubmatch(c); m != nil {
		c = m[1]
		if c == "" {
			c = "*"
		}
		if !strings.EqualFold(m[2], "stable") {
			stabilityFlag = strings.ToLower(m[2])
		}
	}
	if m := refRe.FindStringSubmatch(c); m != nil {
		c = m[1]
	}
	return c, stabilityFlag
}

// parseMatchAll parses a constraint that matches every version ("*",
// "x.*"; with a "v" or several parts, every numeric version), and reports
// whether c is one.
func parseMatchAll(c string) ([]atom, bool) {
	m := matchAllRe.FindStringSubmatch(c)
	if m == nil {
		return nil, false
	}
	if m[1] != "" || m[2] != "" {
		return []atom{{op: ">=", ver: version{num: zeroDev()}}}, true
	}
	return []atom{{op: "*"}}, true
}

// parseRange parses a tilde, caret, wildcard or hyphen range, tried in
// that order, and reports whether c is one of them. The error, when c is a
// range, does not name c.
func parseRange(c string) ([]atom, bool, error) {
	for _, parse := range []func(string) ([]atom, bool, error){parseTilde, parseCaret, parseXRange, parseHyphen} {
		if atoms, ok, err := parse(c); ok {
			return atoms, true, err
		}
	}
	return nil, false, nil
}

// parseTilde parses a tilde range ("~1.2" is >=1.2.0-dev <2.0.0-dev) and
// reports whether c is one.
func parseTilde(c string) ([]atom, bool, error) {
	m := tildeRe.FindStringSubmatch(c)
	if m == nil {
		return nil, false, nil
	}
	// The position of the last given number; ".x-dev" shifts it.
	pos := lastGiven(m[1:5])
	if m[8] != "" {
		pos++
	}
	atoms, err := bumpRange(c[1:], m, max(1, pos-1))
	return atoms, true, err
}

// parseCaret parses a caret range ("^1.2" is >=1.2.0-dev <2.0.0-dev) and
// reports whether c is one.
func parseCaret(c string) ([]atom, bool, error) {
	m := caretRe.FindStringSubmatch(c)
	if m == nil {
		return nil, false, nil
	}
	// The left-most non-zero part may not change; a missing part counts
	// as non-zero ("^0" is <1, "^0.0" is <0.1).
	pos := 3
	switch {
	case m[1] != "0" || m[2] == "":
		pos = 1
	case m[2] != "0" || m[3] == "":
		pos = 2
	}
	atoms, err := bumpRange(c[1:], m, pos)
	return atoms, true, err
}

// bumpRange is the range of a tilde or caret constraint: at least the
// version v, whose versionPattern groups are m, and below v with its part
// at pos (1-based) bumped.
func bumpRange(v string, m []string, pos int) ([]atom, error) {
	low, err := lowerBound(v, m[5] == "" && m[7] == "" && m[8] == "")
	if err != nil {
		return nil, err
	}
	high, err := bumped(m[1:5], pos)
	if err != nil {
		return nil, err
	}
	return []atom{{op: ">=", ver: low}, {op: "<", ver: high}}, nil
}

// parseXRange parses a wildcard range ("1.2.*" is >=1.2.0-dev <1.3.0-dev)
// and reports whether c is one.
func parseXRange(c string) ([]atom, bool, error) {
	m := xRangeRe.FindStringSubmatch(c)
	if m == nil {
		return nil, false, nil
	}
	parts := []string{m[1], m[2], m[3], ""}
	pos := lastGiven(parts)
	low, err := padded(parts, pos)
	if err != nil {
		return nil, true, err
	}
	high, err := bumped(parts, pos)
	if err != nil {
		return nil, true, err
	}
	if compareVersions(low, version{num: zeroDev()}) == 0 {
		return []atom{{op: "<", ver: high}}, true, nil
	}
	return []atom{{op: ">=", ver: low}, {op: "<", ver: high}}, true, nil
}

// parseHyphen parses a hyphen range ("1.0 - 2.0" is >=1.0.0-dev
// <2.1.0-dev) and reports whether c is one.
func parseHyphen(c string) ([]atom, bool, error) {
	m := hyphenRe.FindStringSubmatch(c)
	if m == nil {
		return nil, false, nil
	}
	// m[1] is the lower version, its groups 2-9; m[10] the upper, 11-18.
	low, err := parseVersion(m[1])
	if err != nil {
		return nil, true, err
	}
	if m[6] == "" && m[8] == "" && m[9] == "" && low.stable() {
		low = low.withPre(preDev)
	}
	high, err := hyphenUpper(m)
	if err != nil {
		return nil, true, err
	}
	return []atom{{op: ">=", ver: low}, high}, true, nil
}

// hyphenUpper is the upper comparison of a hyphen range whose hyphenRe
// groups are m: <= a complete upper version, else < the partial one
// bumped, as a partial upper version is a wildcard ("2.0" is "2.0.*", so
// <2.1).
func hyphenUpper(m []string) (atom, error) {
	if _, err := parseVersion(m[10]); err != nil {
		return atom{}, err
	}
	if (m[12] != "" && m[13] != "") || m[15] != "" || m[17] != "" || m[18] != "" {
		high, err := parseVersion(m[10])
		if err != nil {
			return atom{}, err
		}
		return atom{op: "<=", ver: high}, nil
	}
	pos := 2
	if m[12] == "" {
		pos = 1
	}
	high, err := bumped(m[11:15], pos)
	if err != nil {
		return atom{}, err
	}
	return atom{op: "<", ver: high}, nil
}

// parseComparison parses an operator and a version (">=1.2", "1.0",
// "dev-main"), the operator "==" when none is given. stabilityFlag is the
// constraint's flag (see stripAtomSuffixes). The error does not name c.
func parseComparison(c, stabilityFlag string) ([]atom, error) {
	m := comparatorRe.FindStringSubmatch(c)
	ver, err := parseVersion(m[2])
	if err != nil {
		// "foo-dev" is accepted as the branch "dev-foo" when no operator is
		// given.
		rest := m[2]
		if !strings.HasSuffix(rest, "-dev") || !branchLikeRe.MatchString(rest) {
			return nil, err
		}
		ver = version{branch: "dev-" + strings.TrimSuffix(rest, "-dev")}
	}
	op := normalizeOp(m[1])
	switch {
	case op != "==" && stabilityFlag != "" && ver.stable():
		ver = ver.withPre(stabilityPre(stabilityFlag, "", stabilityFlag == "dev"))
	case (op == "<" || op == ">=") && ver.stable() && !modSuffixRe.MatchString(m[2]):
		// An unsuffixed "<1.3" excludes the pre-releases of 1.3 and ">=1.2"
		// admits those of 1.2: Composer compares with 1.3-dev and 1.2-dev.
		ver = ver.withPre(preDev)
	}
	return []atom{{op: op, ver: ver}}, nil
}

// normalizeOp turns the operator as written into an atom's: "" and "=" are
// "==", "<>" is "!=".
func normalizeOp(op string) string {
	switch op {
	case "", "=":
		return "=="
	case "<>":
		return "!="
	}
	return op
}

// zeroDev is 0.0.0-dev, the lowest version.
func zeroDev() *semver.Version { return newVersion(0, 0, 0, preDev) }

// lowerBound is the lower bound of a tilde or caret range: the version
// itself, as dev when it has no stability suffix.
func lowerBound(v string, addDev bool) (version, error) {
	low, err := parseVersion(v)
	if err != nil {
		return version{}, err
	}
	if low.num == nil {
		return version{}, fmt.Errorf("%q is not a numeric version", v)
	}
	if addDev && low.stable() {
		low = low.withPre(preDev)
	}
	return low, nil
}

// lastGiven is the 1-based position of the last non-empty part.
func lastGiven(parts []string) int {
	pos := 1
	for i, p := range parts {
		if p != "" {
			pos = i + 1
		}
	}
	return pos
}

// bumped is composer/semver's manipulateVersionString with an increment of
// one: the part at pos (1-based) goes up by one, later parts become 0, and
// the result is a dev version (the upper bound of a range).
func bumped(parts []string, pos int) (version, error) {
	return manipulate(parts, pos, 1)
}

// padded keeps the parts up to pos, sets later ones to 0 and makes the
// result a dev version (the lower bound of a wildcard).
func padded(parts []string, pos int) (version, error) {
	return manipulate(parts, pos, 0)
}

// manipulate keeps the parts up to pos (1-based), adds inc to the part at
// pos, sets later parts to 0 and makes the result a dev version.
func manipulate(parts []string, pos int, inc uint64) (version, error) {
	var n [4]uint64
	for i := 0; i < 4 && i < len(parts); i++ {
		if i+1 > pos || parts[i] == "" {
			continue
		}
		u, err := strconv.ParseUint(parts[i], 10, 64)
		if err != nil {
			return version{}, fmt.Errorf("number %q is too large", parts[i])
		}
		n[i] = u
	}
	n[pos-1] += inc
	if n[3] != 0 {
		return version{}, errFourParts
	}
	return version{num: newVersion(n[0], n[1], n[2], preDev)}, nil
}

// Check reports whether version satisfies the constraint, with Composer's
// semantics: "8.2" is 8.2.0, "v2.1.3" is 2.1.3, "3.0.0-beta1" is a beta. A
// version that cannot be parsed satisfies nothing.
func (c Constraint) Check(v string) bool {
	pv, err := parseVersion(v)
	if err != nil {
		return false
	}
	return c.matches(pv)
}

// matches reports whether v satisfies every atom of some group.
func (c Constraint) matches(v version) bool {
	for _, group := range c.groups {
		ok := true
		for _, a := range group {
			if !a.matches(v) {
				ok = false
				break
			}
		}
		if ok {
			return true
		}
	}
	return false
}

// matches follows composer/semver's Constraint::versionCompare: branches
// are only equal or unequal to each other, and never match a numeric
// comparison.
func (a atom) matches(v version) bool {
	if a.op == "*" {
		return true
	}
	vBranch, aBranch := v.num == nil, a.ver.num == nil
	if a.op == "!=" && (vBranch || aBranch) {
		return vBranch != aBranch || v.branch != a.ver.branch
	}
	if vBranch && aBranch {
		return a.op == "==" && v.branch == a.ver.branch
	}
	if vBranch || aBranch {
		return false
	}
	cmp := compareVersions(v, a.ver)
	switch a.op {
	case "==":
		return cmp == 0
	case "!=":
		return cmp != 0
	case "<":
		return cmp < 0
	case "<=":
		return cmp <= 0
	case ">":
		return cmp > 0
	case ">=":
		return cmp >= 0
	}
	return false
}

// AllowsSeries reports whether some stable release of a MAJOR.MINOR series
// ("8.2": 8.2.0, 8.2.1, …) satisfies the constraint. That is the question
// for a PHP version chosen as "8.2", whose patch release the image decides:
// "^8.2.5" allows the series 8.2, "~8.1.0" does not allow 8.2. It returns
// false when series is not MAJOR.MINOR.
func (c Constraint) AllowsSeries(series string) bool {
	major, minor, ok := parseSeries(series)
	if !ok {
		return false
	}
	// The set of matching patch numbers is a union of intervals whose lower
	// ends are 0 or next to a version named in the constraint, so testing
	// those patch numbers is enough.
	candidates := map[uint64]bool{0: true}
	for _, group := range c.groups {
		for _, a := range group {
			if a.ver.num != nil && a.ver.num.Major() == major && a.ver.num.Minor() == minor {
				p := a.ver.num.Patch()
				candidates[p] = true
				candidates[p+1] = true
			}
		}
	}
	for p := range candidates {
		if c.matches(version{num: newVersion(major, minor, p, "")}) {
			return true
		}
	}
	return false
}

// parseSeries parses "MAJOR.MINOR".
func parseSeries(s string) (major, minor uint64, ok bool) {
	a, b, found := strings.Cut(strings.TrimSpace(s), ".")
	if !found {
		return 0, 0, false
	}
	ma, err1 := strconv.ParseUint(a, 10, 64)
	mi, err2 := strconv.ParseUint(b, 10, 64)
	if err1 != nil || err2 != nil {
		return 0, 0, false
	}
	return ma, mi, true
}

// NewestSatisfying returns the newest of candidates that satisfies c (see
// [Constraint.Check]), as it was written, and false when none does.
// Candidates that are not versions, and branches, are skipped.
func NewestSatisfying(c Constraint, candidates []string) (string, bool) {
	best, bestV := "", version{}
	for _, cand := range candidates {
		v, err := parseVersion(cand)
		if err != nil || v.num == nil || !c.matches(v) {
			continue
		}
		if bestV.num == nil || compareVersions(v, bestV) > 0 {
			best, bestV = cand, v
		}
	}
	return best, bestV.num != nil
}
