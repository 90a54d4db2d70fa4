package composer

import (
	"errors"
	"fmt"
	"regexp"
	"strconv"
	"strings"

	"github.com/Masterminds/semver/v3"
)

// modifier is composer/semver's pre-release suffix: an optional stability
// with optional numbers, then an optional "dev". RE2 has no possessive
// quantifiers; the greedy ones match the same strings here.
const modifier = `[._-]?(?:(stable|beta|b|rc|alpha|a|patch|pl|p)((?:[.-]?\d+)*)?)?([.-]?dev)?`

var (
	aliasRe     = regexp.MustCompile(`^([^,\s]+) +as +([^,\s]+)$`)
	flagRe      = regexp.MustCompile(`(?i)@(stable|rc|beta|alpha|dev)$`)
	buildRe     = regexp.MustCompile(`^([^,\s+]+)\+[^\s]+$`)
	classicalRe = regexp.MustCompile(`(?i)^v?(\d{1,5})(\.\d+)?(\.\d+)?(\.\d+)?` + modifier + `$`)
	dateRe      = regexp.MustCompile(`(?i)^v?(\d{4}(?:[.:-]?\d{2}){1,6}(?:[.:-]?\d{1,3})?)` + modifier + `$`)
	devSuffixRe = regexp.MustCompile(`(?i)^(.*?)[.-]?dev$`)
	branchNumRe = regexp.MustCompile(`(?i)^v?(\d+)(\.(?:\d+|[x*]))?(\.(?:\d+|[x*]))?(\.(?:\d+|[x*]))?$`)
	stabNumRe   = regexp.MustCompile(`\d+`)
)

// wildcardNumber is what Composer puts in place of "x" in a numeric branch
// name such as "2.x-dev" (2.9999999.9999999.9999999-dev).
const wildcardNumber = 9999999

// version is a normalised Composer version: either a branch ("dev-main") or
// a number with a stability.
type version struct {
	// branch is the normalised branch name ("dev-main") of a branch version;
	// num is nil then.
	branch string
	// num holds MAJOR.MINOR.PATCH and the stability encoded as a semver
	// pre-release (see stabilityPre).
	num *semver.Version
}

// String renders v for messages: "dev-main", "1.2.0", "1.2.0-0" (dev).
func (v version) String() string {
	if v.num == nil {
		return v.branch
	}
	return v.num.String()
}

// stable reports whether v is a numeric version without a pre-release.
func (v version) stable() bool {
	return v.num != nil && v.num.Prerelease() == ""
}

// newVersion makes a numeric version with a pre-release (see stabilityPre).
func newVersion(major, minor, patch uint64, pre string) *semver.Version {
	return semver.New(major, minor, patch, pre, "")
}

// withPre returns v with its pre-release replaced.
func (v version) withPre(pre string) version {
	return version{num: newVersion(v.num.Major(), v.num.Minor(), v.num.Patch(), pre)}
}

// Stability ranks, encoded as the first pre-release identifier. semver
// orders numeric identifiers numerically and a shorter list first, so the
// encoding orders dev < alpha < beta < RC < stable, and within a stability
// "-dev" < "" < "1-dev" < "1" < "2".
const (
	preDev   = "0"
	rankAlfa = "1"
	rankBeta = "2"
	rankRC   = "3"
)

// stabilityPre encodes a Composer stability suffix as a semver pre-release:
// "" for stable (and for patch releases, which compare as the release they
// patch: semver has nothing above a release), "0" for "-dev", and
// RANK[.N...].FLAG for alpha, beta and RC, FLAG being 0 with a trailing
// "-dev" and 1 without.
func stabilityPre(stability, numbers string, dev bool) string {
	var rank string
	switch strings.ToLower(stability) {
	case "":
		if dev {
			return preDev
		}
		return ""
	case "stable", "patch", "pl", "p":
		return ""
	case "alpha", "a":
		rank = rankAlfa
	case "beta", "b":
		rank = rankBeta
	case "rc":
		rank = rankRC
	}
	parts := []string{rank}
	for _, n := range stabNumRe.FindAllString(numbers, -1) {
		u, err := strconv.ParseUint(n, 10, 64)
		if err != nil {
			u = 0
		}
		parts = append(parts, strconv.FormatUint(u, 10))
	}
	if dev {
		parts = append(parts, "0")
	} else {
		parts = append(parts, "1")
	}
	return strings.Join(parts, ".")
}

// errFourParts says a version has a non-zero fourth part.
var errFourParts = errors.New("four-part versions with a non-zero fourth part are not supported")

// numeric builds a version from up to four numeric parts (each "", "N" or
// ".N") and a stability.
func numeric(parts [4]string, stability, numbers string, dev bool) (version, error) {
	var n [4]uint64
	for i, p := range parts {
		p = strings.TrimPrefix(p, ".")
		if p == "" {
			continue
		}
		u, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return version{}, fmt.Errorf("number %q is too large", p)
		}
		n[i] = u
	}
	if n[3] != 0 {
		return version{}, errFourParts
	}
	return version{num: newVersion(n[0], n[1], n[2], stabilityPre(stability, numbers, dev))}, nil
}

// parseVersion normalises a version as composer/semver's
// VersionParser::normalize does: "v1.2" is 1.2.0.0, "1.0.0-beta2" a beta,
// "dev-main" a branch, "2.x-dev" 2.9999999.9999999.9999999-dev; aliases
// ("1.0 as 2.0"), stability flags ("@dev") and build metadata ("+sha") are
// dropped.
func parseVersion(s string) (version, error) {
	v := strings.TrimSpace(s)
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
	if len(v) >= 4 && strings.EqualFold(v[:4], "dev-") {
		return version{branch: "dev-" + v[4:]}, nil
	}
	if m := buildRe.FindStringSubmatch(v); m != nil {
		v = m[1]
	}
	if m := classicalRe.FindStringSubmatch(v); m != nil {
		return numeric([4]string{m[1], m[2], m[3], m[4]}, m[5], m[6], m[7] != "")
	}
	if dateRe.MatchString(v) {
		return version{}, fmt.Errorf("version %q: date versions are not supported", s)
	}
	if m := devSuffixRe.FindStringSubmatch(v); m != nil {
		if b, ok := numericBranch(m[1]); ok {
			return b, nil
		}
	}
	if v == "" {
		return version{}, errors.New("empty version")
	}
	return version{}, fmt.Errorf("invalid version string %q", s)
}

// numericBranch normalises a numeric branch name ("2.x", "2.1") as
// VersionParser::normalizeBranch does: missing parts and "x" become 9999999,
// and the result is a dev version.
func numericBranch(name string) (version, bool) {
	m := branchNumRe.FindStringSubmatch(strings.TrimSpace(name))
	if m == nil {
		return version{}, false
	}
	var n [3]uint64
	for i := 0; i < 3; i++ {
		p := strings.TrimPrefix(m[i+1], ".")
		if p == "" || strings.EqualFold(p, "x") || p == "*" {
			n[i] = wildcardNumber
			continue
		}
		u, err := strconv.ParseUint(p, 10, 64)
		if err != nil {
			return version{}, false
		}
		n[i] = u
	}
	// The fourth part is dropped: it only orders versions whose first three
	// parts are equal, and a numeric branch is always a dev version.
	return version{num: newVersion(n[0], n[1], n[2], preDev)}, true
}

// Major returns the major version of a Composer version string ("v2.1.0",
// "2.x-dev", "3.0.0-beta1"), and false for a branch ("dev-main") or a string
// that is not a version.
func Major(v string) (int, bool) {
	pv, err := parseVersion(v)
	if err != nil || pv.num == nil || pv.num.Major() >= wildcardNumber {
		return 0, false
	}
	return int(pv.num.Major()), true
}

// compareVersions orders two numeric versions.
func compareVersions(a, b version) int {
	return a.num.Compare(b.num)
}

// MajorMinor returns the major and minor parts of a Composer version string
// ("8.1.0" -> 8, 1; "v8.2" -> 8, 2), and false for a branch or a string that
// is not a version.
func MajorMinor(v string) (major, minor int, ok bool) {
	pv, err := parseVersion(v)
	if err != nil || pv.num == nil || pv.num.Major() >= wildcardNumber || pv.num.Minor() >= wildcardNumber {
		return 0, 0, false
	}
	return int(pv.num.Major()), int(pv.num.Minor()), true
}
