package composer

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
)

// The expressions below are composer/semver's (src/VersionParser.php),
// rewritten for RE2 with the same meaning for PHP's PCRE without the /u
// flag:
//   - ws is PCRE's \s (RE2's lacks the vertical tab);
//   - eol is PCRE's "$", which also matches before a final newline;
//   - ci spells a word of an /i expression as ASCII classes: RE2's (?i)
//     folds Unicode ("ſ" matches "s"), PCRE on bytes does not;
//   - possessive quantifiers are plain ones: no expression here needs to
//     backtrack into them, so they match the same strings.
const (
	ws  = `\t\n\v\f\r `
	eol = `\n?$`
)

// ci spells the ASCII letters of an expression fragment as two-case
// classes ("dev" is "[dD][eE][vV]"). The fragment must not contain escapes
// or classes.
func ci(fragment string) string {
	var b strings.Builder
	for i := 0; i < len(fragment); i++ {
		c := fragment[i]
		lower, upper := asciiLower(string(c)), strings.ToUpper(string(c))
		if lower == upper {
			b.WriteByte(c)
			continue
		}
		b.WriteString("[" + lower + upper + "]")
	}
	return b.String()
}

// modifierPattern is VersionParser::$modifierRegex: an optional stability
// with optional numbers, then an optional "dev". Groups: stability,
// stability numbers, dev. caseless spells it for an /i expression.
func modifierPattern(caseless bool) string {
	stabilities, dev := "stable|beta|b|RC|alpha|a|patch|pl|p", "dev"
	if caseless {
		stabilities, dev = ci(stabilities), ci(dev)
	}
	return `[._-]?(?:(` + stabilities + `)((?:[.-]?\d+)*)?)?([.-]?` + dev + `)?`
}

var (
	aliasRe     = regexp.MustCompile(`^([^,` + ws + `]+) +as +([^,` + ws + `]+)` + eol)
	flagRe      = regexp.MustCompile(`@(?:` + ci("stable|RC|beta|alpha|dev") + `)` + eol)
	buildRe     = regexp.MustCompile(`^([^,` + ws + `+]+)\+[^` + ws + `]+` + eol)
	classicalRe = regexp.MustCompile(`^` + ci("v") + `?(\d{1,5})(\.\d+)?(\.\d+)?(\.\d+)?` + modifierPattern(true) + eol)
	dateRe      = regexp.MustCompile(`^` + ci("v") + `?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3}){0,2})` + modifierPattern(true) + eol)
	nonDigitRe  = regexp.MustCompile(`\D`)
	devSuffixRe = regexp.MustCompile(`(.*?)[.-]?` + ci("dev") + eol)
	branchNumRe = regexp.MustCompile(`^` + ci("v") + `?(\d+)(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?(\.(?:\d+|[xX*]))?` + eol)
	refSuffixRe = regexp.MustCompile(`#[^\n]+(\n?)$`)
	stabilityRe = regexp.MustCompile(modifierPattern(true) + `(?:\+.*)?` + eol)
)

// wildcardNumber is what Composer puts in place of "x" in a numeric branch
// name such as "2.x-dev" (2.9999999.9999999.9999999-dev).
const wildcardNumber = 9999999

// version is a version normalised as composer/semver's
// VersionParser::normalize does: "1.2.0.0", "1.0.0.0-beta2-dev",
// "2.9999999.9999999.9999999-dev" (2.x-dev), "20100102.203040" (a date
// version) or a branch, "dev-main". Composer compares such strings with
// PHP's version_compare (see phpVersionCompare), and so does the package.
type version struct {
	norm string
}

// String returns the normalised version.
func (v version) String() string { return v.norm }

// isBranch reports whether v is a branch ("dev-main"), which Composer
// never orders against other versions.
func (v version) isBranch() bool { return strings.HasPrefix(v.norm, "dev-") }

// parseVersion normalises a version as VersionParser::normalize does:
// "v1.2" is 1.2.0.0, "1.0.0RC1dev" 1.0.0.0-RC1-dev, "1.0.0.pl3" is
// 1.0.0.0-patch3, "master" is dev-master, "2.x-dev" is
// 2.9999999.9999999.9999999-dev; an alias ("1.0 as 2.0"), a stability flag
// ("@dev") and build metadata ("+sha") are dropped.
func parseVersion(s string) (version, error) {
	v := phpTrim(s)
	orig := v
	if m := aliasRe.FindStringSubmatch(v); m != nil {
		v = m[1]
	}
	if loc := flagRe.FindStringIndex(v); loc != nil {
		v = v[:loc[0]]
	}
	switch v {
	case "master", "trunk", "default":
		v = "dev-" + v
	}
	if hasPrefixFold(v, "dev-") {
		return version{norm: "dev-" + v[4:]}, nil
	}
	if m := buildRe.FindStringSubmatch(v); m != nil {
		v = m[1]
	}
	if norm, ok := normalizeNumeric(v); ok {
		return version{norm: norm}, nil
	}
	// A branch ending in "-dev" is a version only when it is numeric.
	if m := devSuffixRe.FindStringSubmatch(v); m != nil {
		if norm := normalizeBranch(m[1]); !strings.Contains(norm, "dev-") {
			return version{norm: norm}, nil
		}
	}
	return version{}, fmt.Errorf("invalid version string %q", orig)
}

// normalizeNumeric normalises a classical ("1.2.3-beta2") or date
// ("2010-01-02") version, and reports whether v is one.
func normalizeNumeric(v string) (string, bool) {
	if m := classicalRe.FindStringSubmatch(v); m != nil {
		num := m[1] + orZero(m[2]) + orZero(m[3]) + orZero(m[4])
		return withModifier(num, m[5], m[6], m[7]), true
	}
	if m := dateRe.FindStringSubmatch(v); m != nil {
		return withModifier(nonDigitRe.ReplaceAllString(m[1], "."), m[2], m[3], m[4]), true
	}
	return "", false
}

// orZero is a missing part of a classical version, ".0".
func orZero(part string) string {
	if part == "" {
		return ".0"
	}
	return part
}

// withModifier appends a normalised stability to num: "-beta2", "-RC1",
// "-patch3", then "-dev". A stability written "stable" (in lower case: so
// does Composer) drops the rest.
func withModifier(num, stability, numbers, dev string) string {
	if stability != "" {
		if stability == "stable" {
			return num
		}
		num += "-" + expandStability(stability) + strings.TrimLeft(numbers, ".-")
	}
	if dev != "" {
		num += "-dev"
	}
	return num
}

// expandStability is VersionParser::expandStability: "a" is "alpha", "b"
// "beta", "p" and "pl" "patch", "rc" "RC", others in lower case.
func expandStability(s string) string {
	s = asciiLower(s)
	switch s {
	case "a":
		return "alpha"
	case "b":
		return "beta"
	case "p", "pl":
		return "patch"
	case "rc":
		return "RC"
	}
	return s
}

// normalizeBranch is VersionParser::normalizeBranch: a numeric branch name
// ("2.x", "v1.0.3.*", "2.4") is a dev version whose missing and "x" parts
// are 9999999 ("2.x" is 2.9999999.9999999.9999999-dev, "2.4" is
// 2.4.9999999.9999999-dev); any other name is "dev-NAME".
func normalizeBranch(name string) string {
	name = phpTrim(name)
	m := branchNumRe.FindStringSubmatch(name)
	if m == nil {
		return "dev-" + name
	}
	v := m[1]
	for _, part := range m[2:5] {
		if part == "" {
			part = ".x"
		}
		v += strings.NewReplacer("*", "x", "X", "x").Replace(part)
	}
	return strings.ReplaceAll(v, "x", strconv.Itoa(wildcardNumber)) + "-dev"
}

// parseStability is VersionParser::parseStability: "stable", "RC", "beta",
// "alpha" or "dev" for a version string, normalised or not ("3.1.2-p1" is
// stable, "v2.0.x-dev#abc123" dev).
func parseStability(v string) string {
	v = refSuffixRe.ReplaceAllString(v, "$1")
	if strings.HasPrefix(v, "dev-") || strings.HasSuffix(v, "-dev") {
		return "dev"
	}
	m := stabilityRe.FindStringSubmatch(asciiLower(v))
	switch {
	case m == nil:
		return "stable"
	case m[3] != "":
		return "dev"
	case m[1] == "beta" || m[1] == "b":
		return "beta"
	case m[1] == "alpha" || m[1] == "a":
		return "alpha"
	case m[1] == "rc":
		return "RC"
	}
	return "stable"
}

// phpTrim is PHP's trim: it strips spaces, tabs, newlines, carriage
// returns, NUL and vertical tabs (and nothing else, unlike
// strings.TrimSpace).
func phpTrim(s string) string {
	return strings.Trim(s, " \t\n\r\x00\x0b")
}

// asciiLower is PHP 8's strtolower: ASCII letters only.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}

// hasPrefixFold is PHP's stripos(s, prefix) === 0 for an ASCII prefix.
func hasPrefixFold(s, prefix string) bool {
	return len(s) >= len(prefix) && asciiLower(s[:len(prefix)]) == prefix
}

// compareVersions orders two numeric versions, as Composer does: with
// PHP's version_compare of the normalised strings.
func compareVersions(a, b version) int {
	return phpVersionCompare(a.norm, b.norm)
}

// versionCompare is composer/semver's Constraint::versionCompare without
// compareBranches, the form constraints use: a branch is only equal or
// unequal to the same branch, never ordered, and never equal to a number.
func versionCompare(a, b version, op string) bool {
	aBranch, bBranch := a.isBranch(), b.isBranch()
	if op == "!=" && (aBranch || bBranch) {
		return a.norm != b.norm
	}
	if aBranch && bBranch {
		return op == "==" && a.norm == b.norm
	}
	if aBranch || bBranch {
		return false
	}
	return holds(phpVersionCompare(a.norm, b.norm), op)
}

// holds reports whether a comparison result (-1, 0, 1) satisfies op.
func holds(cmp int, op string) bool {
	switch op {
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

// Major returns the major version of a Composer version string ("v2.1.0",
// "2.x-dev", "3.0.0-beta1", "1.2.3.4"), and false for a branch
// ("dev-main"), a major of 9999999 or more (a date version such as
// "20240101") or a string that is not a version.
func Major(v string) (int, bool) {
	parts, ok := numberParts(v)
	if !ok {
		return 0, false
	}
	return partInt(parts[0])
}

// MajorMinor returns the major and minor parts of a Composer version string
// ("8.1.0" -> 8, 1; "v8.2" -> 8, 2), and false for a branch, a part of
// 9999999 or more (a wildcard, "8.x-dev", or a date version) or a string
// that is not a version.
func MajorMinor(v string) (major, minor int, ok bool) {
	parts, ok := numberParts(v)
	if !ok || len(parts) < 2 {
		return 0, 0, false
	}
	major, okMajor := partInt(parts[0])
	minor, okMinor := partInt(parts[1])
	if !okMajor || !okMinor {
		return 0, 0, false
	}
	return major, minor, true
}

// numberParts returns the numbers of a version string ("1.2.0.0-beta" has
// 1, 2, 0, 0), and false for a branch or a string that is not a version.
func numberParts(v string) ([]string, bool) {
	pv, err := parseVersion(v)
	if err != nil || pv.isBranch() {
		return nil, false
	}
	return pv.numbers(), true
}

// numbers returns the dot-separated numbers of a numeric version, before
// its stability.
func (v version) numbers() []string {
	head, _, _ := strings.Cut(v.norm, "-")
	return strings.Split(head, ".")
}

// partInt converts one number of a version, false when it is a wildcard
// (9999999), a date or too large.
func partInt(p string) (int, bool) {
	n, err := strconv.Atoi(p)
	if err != nil || n >= wildcardNumber {
		return 0, false
	}
	return n, true
}

// phpVersionCompare is PHP's version_compare($a, $b)
// (ext/standard/versioning.c), which Composer uses on normalised versions:
// the canonical forms (see canonicalVersion) are compared element by
// element, numbers numerically and names by their special form (see
// specialForm), a number being above every name but "pl"/"p". When one
// runs out, a number left in the other makes it greater, and a name is
// compared with the number form ("1.0.0.0-beta" < "1.0.0.0" <
// "1.0.0.0-patch1").
func phpVersionCompare(a, b string) int {
	if a == "" || b == "" {
		return boolCompare(a != "", b != "")
	}
	v1, v2 := canonicalVersion(a), canonicalVersion(b)
	p1, p2 := 0, 0
	more1, more2 := true, true // C's n1 != NULL and n2 != NULL
	cmp := 0
	for p1 < len(v1) && p2 < len(v2) && more1 && more2 {
		var e1, e2 string
		e1, more1 = element(v1, p1)
		e2, more2 = element(v2, p2)
		if cmp = compareElements(e1, e2); cmp != 0 {
			break
		}
		if more1 {
			p1 += len(e1) + 1
		}
		if more2 {
			p2 += len(e2) + 1
		}
	}
	if cmp != 0 {
		return cmp
	}
	// One ran out: a number left in the other makes it greater, a name is
	// compared with the number form.
	switch {
	case more1 && p1 < len(v1) && isDigit(v1[p1]):
		return 1
	case more1:
		return phpVersionCompare(v1[p1:], numberForm)
	case more2 && p2 < len(v2) && isDigit(v2[p2]):
		return -1
	case more2:
		return phpVersionCompare(numberForm, v2[p2:])
	}
	return 0
}

// numberForm is the string PHP's version_compare stands a number with.
const numberForm = "#N#"

// element returns the element of a canonical version at p, up to the next
// ".", and whether a "." follows it.
func element(v string, p int) (string, bool) {
	e, _, found := strings.Cut(v[p:], ".")
	return e, found
}

// compareElements orders two elements of canonical versions.
func compareElements(e1, e2 string) int {
	d1, d2 := e1 != "" && isDigit(e1[0]), e2 != "" && isDigit(e2[0])
	switch {
	case d1 && d2:
		return intCompare(strtol(e1), strtol(e2))
	case !d1 && !d2:
		return intCompare(specialForm(e1), specialForm(e2))
	case d1:
		return intCompare(specialForm(numberForm), specialForm(e2))
	}
	return intCompare(specialForm(e1), specialForm(numberForm))
}

// specialForms are version_compare's names in the order it tries them, a
// name matching the first that is its prefix.
var specialForms = []struct {
	prefix string
	order  int
}{
	{"dev", 0}, {"alpha", 1}, {"a", 1}, {"beta", 2}, {"b", 2}, {"RC", 3}, {"rc", 3}, {"#", 4}, {"pl", 5}, {"p", 5},
}

// specialForm ranks a name as version_compare does: dev < alpha = a <
// beta = b < RC = rc < a number ("#") < pl = p; any other name is below
// dev.
func specialForm(name string) int {
	for _, f := range specialForms {
		if strings.HasPrefix(name, f.prefix) {
			return f.order
		}
	}
	return -1
}

// canonicalVersion is PHP's php_canonicalize_version: "-", "_" and "+"
// become ".", a "." goes between a digit and a non-digit, any other
// character that is not a letter or digit becomes "." (no two in a row),
// and a string starting with "#" is left alone.
func canonicalVersion(v string) string {
	if v[0] == '#' {
		return v
	}
	out := []byte{v[0]}
	lp := v[0]
	for i := 1; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '-' || c == '_' || c == '+':
			out = appendDot(out)
		case (isNotDigit(lp) && isDigit(c)) || (isDigit(lp) && isNotDigit(c)):
			out = append(appendDot(out), c)
		case !isAlnum(c):
			out = appendDot(out)
		default:
			out = append(out, c)
		}
		lp = c
	}
	return string(out)
}

// appendDot appends a "." unless out already ends with one.
func appendDot(out []byte) []byte {
	if out[len(out)-1] == '.' {
		return out
	}
	return append(out, '.')
}

// isDigit, isNotDigit and isAlnum are C's isdigit, versioning.c's isndig
// (neither a digit nor ".") and isalnum in the C locale.
func isDigit(c byte) bool    { return '0' <= c && c <= '9' }
func isNotDigit(c byte) bool { return !isDigit(c) && c != '.' }
func isAlnum(c byte) bool    { return isDigit(c) || ('a' <= c && c <= 'z') || ('A' <= c && c <= 'Z') }

// strtol is C's strtol(s, NULL, 10) for a string of digits: it stops at
// the first non-digit and saturates at the largest int64.
func strtol(s string) int64 {
	var n int64
	for i := 0; i < len(s) && isDigit(s[i]); i++ {
		d := int64(s[i] - '0')
		if n > (1<<63-1-d)/10 {
			return 1<<63 - 1
		}
		n = n*10 + d
	}
	return n
}

// intCompare is -1, 0 or 1 as a is below, equal to or above b.
func intCompare[T int | int64](a, b T) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// boolCompare orders false before true.
func boolCompare(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}
