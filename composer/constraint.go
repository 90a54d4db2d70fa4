package composer

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// versionPattern is VersionParser's $versionRegex (an /i expression): up
// to four numbers, then a stability modifier or ".x-dev", then optional
// build metadata. Groups: 1-4 numbers, 5 stability, 6 stability numbers,
// 7 "dev", 8 "x-dev".
var versionPattern = ci("v") + `?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.(\d+))?(?:` + modifierPattern(true) +
	`|\.([xX*][.-]?` + ci("dev") + `))(?:\+[^` + ws + `]+)?`

var (
	orSplitRe    = regexp.MustCompile(`[` + ws + `]*\|\|?[` + ws + `]*`)
	atomFlagRe   = regexp.MustCompile(`^([^,` + ws + `]*?)@(` + ci("stable|RC|beta|alpha|dev") + `)` + eol)
	refRe        = regexp.MustCompile(`^(` + ci("dev-") + `[^,` + ws + `@]+?|[^,` + ws + `@]+?\.` + ci("x-dev") + `)#.+` + eol)
	matchAllRe   = regexp.MustCompile(`^(` + ci("v") + `)?[xX*](\.[xX*])*` + eol)
	tildeRe      = regexp.MustCompile(`^~>?` + versionPattern + eol)
	caretRe      = regexp.MustCompile(`^\^` + versionPattern + eol)
	xRangeRe     = regexp.MustCompile(`^v?(\d+)(?:\.(\d+))?(?:\.(\d+))?(?:\.[xX*])+` + eol)
	hyphenRe     = regexp.MustCompile(`^(` + versionPattern + `) +- +(` + versionPattern + `)` + eol)
	comparatorRe = regexp.MustCompile(`^(<>|!=|>=?|<=?|==?)?[` + ws + `]*(.*)`)
	modSuffixRe  = regexp.MustCompile(`-` + modifierPattern(false) + eol)
	branchLikeRe = regexp.MustCompile(`^[0-9a-zA-Z./-]+` + eol)
)

// Constraint is a parsed Composer version constraint such as "^8.1 || ~7.4".
// The zero Constraint matches no version.
type Constraint struct {
	text string
	// groups are OR-ed; the atoms of a group are AND-ed.
	groups [][]atom
}

// atom is one comparison, composer/semver's Constraint: op is "==", "!=",
// "<", "<=", ">", ">=", or "*" (anything, MatchAllConstraint), and ver is
// the version as Composer builds it ("1.2.0.0-dev" for ">=1.2").
type atom struct {
	op  string
	ver version
}

// String returns the constraint as it was written.
func (c Constraint) String() string { return c.text }

// ParseConstraint parses a Composer version constraint with Composer's
// semantics (see the package documentation). It fails where Composer's
// VersionParser::parseConstraints throws. The error names the constraint
// and the part that could not be parsed.
func ParseConstraint(s string) (Constraint, error) {
	c := Constraint{text: s}
	trimmed := phpTrim(s)
	if trimmed == "" {
		return Constraint{}, fmt.Errorf("parsing version constraint %q: it is empty", s)
	}
	for _, or := range orSplitRe.Split(trimmed, -1) {
		group, err := parseGroup(or)
		if err != nil {
			return Constraint{}, fmt.Errorf("parsing version constraint %q: %w", s, err)
		}
		c.groups = append(c.groups, group)
	}
	c.groups = mergeContiguous(c.groups)
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

// mergeContiguous is the optimisation MultiConstraint::create makes of
// OR-ed groups before Composer matches anything: two neighbouring groups
// [>= a, < b] and [>= b, < c] become [>= a, < c]. That changes nothing
// unless a range is empty: in "^1.3 || 2 - 0", [>= 2.0.0.0-dev, <
// 1.0.0.0-dev] matches nothing, but the merge leaves [>= 1.3.0.0-dev, <
// 1.0.0.0-dev], which excludes 1.5 too.
func mergeContiguous(groups [][]atom) [][]atom {
	if len(groups) < 2 {
		return groups
	}
	var out [][]atom
	left := groups[0]
	for _, right := range groups[1:] {
		if contiguous(left, right) {
			left = []atom{left[0], right[1]}
			continue
		}
		out = append(out, left)
		left = right
	}
	return append(out, left)
}

// contiguous is optimizeConstraints' test, which compares the groups'
// strings: both are a ">=" then a "<" or "<=", the first's upper bound is
// a "<" (a "<=" never qualifies: its string has one more character before
// the version), and its version is that of the second's lower bound.
func contiguous(left, right []atom) bool {
	return len(left) == 2 && len(right) == 2 &&
		left[0].op == ">=" && left[1].op == "<" &&
		right[0].op == ">=" && strings.HasPrefix(right[1].op, "<") &&
		left[1].ver.norm == right[0].ver.norm
}

// parseGroup parses one OR part into its AND-ed comparisons.
func parseGroup(or string) ([]atom, error) {
	if or == "" {
		return nil, errors.New("an empty alternative (check the || and |)")
	}
	var group []atom
	for _, p := range splitAnd(or) {
		atoms, err := parseAtom(p)
		if err != nil {
			return nil, err
		}
		group = append(group, atoms...)
	}
	return group, nil
}

// splitAnd splits one OR part into its AND-ed constraints as
// VersionParser::parseConstraints does, with
//
//	preg_split('{(?<!^|as|[=>< ,]) *(?<!-)[, ](?!-) *(?!,|as|$)}', $s)
//
// ported by hand as RE2 has no look-around: a comma or space separates,
// except after an operator (">= 1.0"), around a hyphen ("1.0 - 2.0"),
// around "as" ("1.0 as 2.0"), at either end, or next to another comma
// (">2.0,,<=3.0" stays whole, and fails to parse, as in Composer).
func splitAnd(s string) []string {
	var parts []string
	start := 0
	for i := 0; i < len(s); i++ {
		if end, ok := andSeparatorAt(s, i); ok {
			parts = append(parts, s[start:i])
			start = end
			i = end - 1
		}
	}
	return append(parts, s[start:])
}

// andSeparatorAt reports whether splitAnd's separator matches at i, and
// where it ends, trying the spaces before and after the comma or space
// from the most to the fewest, as PCRE's backtracking does.
func andSeparatorAt(s string, i int) (int, bool) {
	// (?<!^|as|[=>< ,])
	if i == 0 || strings.HasSuffix(s[:i], "as") || strings.IndexByte("=>< ,", s[i-1]) >= 0 {
		return 0, false
	}
	for j := i + spacesAt(s, i); j >= i; j-- {
		// (?<!-)[, ](?!-)
		if j >= len(s) || (s[j] != ',' && s[j] != ' ') || s[j-1] == '-' || (j+1 < len(s) && s[j+1] == '-') {
			continue
		}
		for e := j + 1 + spacesAt(s, j+1); e > j; e-- {
			// (?!,|as|$)
			if e < len(s) && s[e] != ',' && !strings.HasPrefix(s[e:], "as") {
				return e, true
			}
		}
	}
	return 0, false
}

// spacesAt counts the spaces at s[i:].
func spacesAt(s string, i int) int {
	n := 0
	for i+n < len(s) && s[i+n] == ' ' {
		n++
	}
	return n
}

// parseAtom parses one AND-ed constraint into one or two comparisons, as
// VersionParser::parseConstraint does.
func parseAtom(s string) ([]atom, error) {
	c, stabilityFlag := stripAtomSuffixes(s)
	if atoms, ok := parseMatchAll(c); ok {
		return atoms, nil
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
// ("^1.0@beta"; returned as written, "" for "stable", and a lone flag
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
		// Composer compares the flag with "stable" case-sensitively.
		if m[2] != "stable" {
			stabilityFlag = m[2]
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
		return []atom{{op: ">=", ver: version{norm: "0.0.0.0-dev"}}}, true
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

// parseTilde parses a tilde range ("~1.2" is >=1.2.0.0-dev <2.0.0.0-dev,
// "~1.2.3" is >=1.2.3.0-dev <1.3.0.0-dev) and reports whether c is one.
func parseTilde(c string) ([]atom, bool, error) {
	m := tildeRe.FindStringSubmatch(c)
	if m == nil {
		return nil, false, nil
	}
	if strings.HasPrefix(c, "~>") {
		return nil, true, errors.New(`invalid operator "~>", you probably meant "~"`)
	}
	// The position of the last given number; ".x-dev" shifts it.
	pos := lastGiven(m[1:5])
	if m[8] != "" {
		pos++
	}
	atoms, err := bumpRange(c[1:], m, max(1, pos-1))
	return atoms, true, err
}

// parseCaret parses a caret range ("^1.2" is >=1.2.0.0-dev <2.0.0.0-dev)
// and reports whether c is one.
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
// version v, whose versionPattern groups are m (as dev when it has no
// stability), and below v with its number at pos (1-based) bumped.
// Composer appends "-dev" to the text before normalising it, so
// "^1.2.3+build" has the lower bound 1.2.3.0: the suffix becomes build
// metadata.
func bumpRange(v string, m []string, pos int) ([]atom, error) {
	if m[5] == "" && m[7] == "" && m[8] == "" {
		v += "-dev"
	}
	low, err := parseVersion(v)
	if err != nil {
		return nil, err
	}
	high := version{norm: manipulate(m[1:5], pos, true) + "-dev"}
	return []atom{{op: ">=", ver: low}, {op: "<", ver: high}}, nil
}

// parseXRange parses a wildcard range ("1.2.*" is >=1.2.0.0-dev
// <1.3.0.0-dev, "0.*" is <1.0.0.0-dev) and reports whether c is one.
func parseXRange(c string) ([]atom, bool, error) {
	m := xRangeRe.FindStringSubmatch(c)
	if m == nil {
		return nil, false, nil
	}
	pos := lastGiven(m[1:4])
	low := manipulate(m[1:4], pos, false) + "-dev"
	high := atom{op: "<", ver: version{norm: manipulate(m[1:4], pos, true) + "-dev"}}
	if low == "0.0.0.0-dev" {
		return []atom{high}, true, nil
	}
	return []atom{{op: ">=", ver: version{norm: low}}, high}, true, nil
}

// parseHyphen parses a hyphen range ("1.0 - 2.0" is >=1.0.0.0-dev
// <2.1.0.0-dev) and reports whether c is one.
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
	if m[6] == "" && m[8] == "" && m[9] == "" {
		low.norm += "-dev"
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
	high, err := parseVersion(m[10])
	if err != nil {
		return atom{}, err
	}
	if (m[12] != "" && m[13] != "") || m[15] != "" || m[17] != "" || m[18] != "" {
		return atom{op: "<=", ver: high}, nil
	}
	pos := 2
	if m[12] == "" {
		pos = 1
	}
	return atom{op: "<", ver: version{norm: manipulate(m[11:15], pos, true) + "-dev"}}, nil
}

// parseComparison parses an operator and a version (">=1.2", "1.0",
// "dev-main"), the operator "==" when none is given. stabilityFlag is the
// constraint's flag (see stripAtomSuffixes). The error does not name c.
func parseComparison(c, stabilityFlag string) ([]atom, error) {
	m := comparatorRe.FindStringSubmatch(c)
	op, text := m[1], m[2]
	ver, err := parseVersion(text)
	if err != nil {
		// "foo-dev" is the branch "dev-foo".
		if !strings.HasSuffix(text, "-dev") || !branchLikeRe.MatchString(text) {
			return nil, err
		}
		ver = version{norm: "dev-" + strings.TrimSuffix(text, "-dev")}
	}
	switch {
	case op != "==" && op != "" && op != "=" && stabilityFlag != "" && parseStability(ver.norm) == "stable":
		// ">2.0@dev" is >2.0.0.0-dev.
		ver.norm += "-" + stabilityFlag
	case (op == "<" || op == ">=") && !modSuffixRe.MatchString(asciiLower(text)) && !strings.HasPrefix(text, "dev-"):
		// An unsuffixed "<1.3" excludes the pre-releases of 1.3 and ">=1.2"
		// admits those of 1.2: Composer compares with 1.3-dev and 1.2-dev.
		ver.norm += "-dev"
	}
	return []atom{{op: normalizeOp(op), ver: ver}}, nil
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

// manipulate is VersionParser::manipulateVersionString with a pad of "0":
// the four numbers of parts up to pos (1-based) kept as written, the one
// at pos plus one when bump is set, the later ones 0.
func manipulate(parts []string, pos int, bump bool) string {
	out := make([]string, 4)
	for i := range out {
		switch {
		case i+1 > pos:
			out[i] = "0"
		case i+1 == pos && bump:
			out[i] = increment(parts[i])
		default:
			out[i] = parts[i]
		}
	}
	return strings.Join(out, ".")
}

// increment adds one to a decimal number, which, as PHP's "041" + 1, loses
// its leading zeros. Unlike PHP, it does not turn numbers above the
// largest int into floats.
func increment(n string) string {
	n = strings.TrimLeft(n, "0")
	b := []byte(n)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

// Check reports whether version satisfies the constraint, with Composer's
// semantics (composer/semver's Semver::satisfies): "8.2" is 8.2.0.0,
// "v2.1.3" is 2.1.3.0, "3.0.0-beta1" is a beta. A version that cannot be
// parsed satisfies nothing.
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

// matches is composer/semver's Constraint::matchSpecific for the provider
// "== v": v compared with the atom's version by its operator (see
// versionCompare).
func (a atom) matches(v version) bool {
	if a.op == "*" {
		return true
	}
	return versionCompare(v, a.ver, a.op)
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
	for p := range c.patchCandidates(major, minor) {
		v, err := parseVersion(fmt.Sprintf("%d.%d.%d", major, minor, p))
		if err == nil && c.matches(v) {
			return true
		}
	}
	return false
}

// patchCandidates returns the patch numbers worth testing for the series
// major.minor: 0, and each patch number named in the constraint and the
// next. The matching patch numbers are a union of intervals, as an atom
// compares MAJOR.MINOR.P.0 with its version the same way for every P
// below its patch number, and for every P above; so the intervals start
// at those candidates.
func (c Constraint) patchCandidates(major, minor uint64) map[uint64]bool {
	candidates := map[uint64]bool{0: true}
	for _, group := range c.groups {
		for _, a := range group {
			n := a.ver.numbers()
			if a.op == "*" || a.ver.isBranch() || len(n) < 3 || partUint(n[0]) != major || partUint(n[1]) != minor {
				continue
			}
			p := partUint(n[2])
			candidates[p] = true
			if p < 1<<63-1 {
				candidates[p+1] = true
			}
		}
	}
	return candidates
}

// partUint is a number of a normalised version as version_compare reads
// it (see strtol).
func partUint(p string) uint64 {
	return uint64(strtol(p))
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
		if err != nil || v.isBranch() || !c.matches(v) {
			continue
		}
		if bestV.norm == "" || compareVersions(v, bestV) > 0 {
			best, bestV = cand, v
		}
	}
	return best, bestV.norm != ""
}
