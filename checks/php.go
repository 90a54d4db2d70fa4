package checks

import (
	"fmt"
	"slices"
	"strconv"

	"github.com/brefimg/brefimg/composer"
	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/findings"
)

// phpRule is a PHP requirement that parsed: the root's require.php or a
// package's "php".
type phpRule struct {
	req composer.Requirement
	c   composer.Constraint
}

// phpRules returns the parsed PHP requirements of a project, the root's
// first, and a finding for each that does not parse.
func phpRules(p *composer.Project) ([]phpRule, []findings.Finding) {
	if p == nil {
		return nil, nil
	}
	var reqs []composer.Requirement
	if p.PHP != nil {
		reqs = append(reqs, *p.PHP)
	}
	reqs = append(reqs, p.PackagePHP()...)
	var rules []phpRule
	var bad []findings.Finding
	for _, r := range reqs {
		c, err := composer.ParseConstraint(r.Constraint)
		if err != nil {
			bad = append(bad, findings.Finding{ID: findings.IDComposerInvalid, Severity: findings.Error, Path: r.File, Line: r.Line,
				Message: fmt.Sprintf("the PHP requirement %s: %v: write a Composer constraint such as \"^8.2\"", describe(r), err)})
			continue
		}
		rules = append(rules, phpRule{req: r, c: c})
	}
	return rules, bad
}

// describe names where a requirement is: `require.php "^8.2" of composer.json`
// or `"^8.1" of brick/math in composer.lock`.
func describe(r composer.Requirement) string {
	if r.By == "" {
		return fmt.Sprintf("require.php %q of %s", r.Constraint, r.File)
	}
	return fmt.Sprintf("%q of %s in %s", r.Constraint, r.By, r.File)
}

// allowed returns the PHP versions of line that every rule allows, oldest
// first.
func allowed(rules []phpRule, line int) []string {
	versions, err := extensions.PHPVersions(line)
	if err != nil {
		return nil
	}
	return slices.DeleteFunc(versions, func(v string) bool {
		return slices.ContainsFunc(rules, func(r phpRule) bool { return !r.c.AllowsSeries(v) })
	})
}

// suggestPHP says which PHP version (and Bref line) satisfies every rule:
// "use PHP 8.4", "use Bref 2 with PHP 8.1", or "" when no line has one.
// The newest version of the line, or of the newest line, is suggested, but
// the series prefer (config.platform.php's, for which the dependencies
// were resolved; "" for none) when a line has it.
func suggestPHP(rules []phpRule, line int, prefer string) string {
	pick := func(ok []string) string {
		if prefer != "" && slices.Contains(ok, prefer) {
			return prefer
		}
		return ok[len(ok)-1]
	}
	if ok := allowed(rules, line); len(ok) > 0 {
		return "use PHP " + pick(ok)
	}
	lines := extensions.Lines()
	slices.Reverse(lines)
	if prefer != "" {
		// A line with the preferred series first.
		slices.SortStableFunc(lines, func(a, b int) int {
			return boolRank(slices.Contains(allowed(rules, b), prefer)) - boolRank(slices.Contains(allowed(rules, a), prefer))
		})
	}
	for _, l := range lines {
		if ok := allowed(rules, l); len(ok) > 0 && l != line {
			return fmt.Sprintf("use Bref %d with PHP %s", l, pick(ok))
		}
	}
	return ""
}

// boolRank is 1 for true, 0 for false.
func boolRank(b bool) int {
	if b {
		return 1
	}
	return 0
}

// platformSeries is the "MAJOR.MINOR" of config.platform.php, or "".
func platformSeries(p *composer.Project) string {
	if p == nil || p.PlatformPHP == nil {
		return ""
	}
	series, _, _, _ := seriesOf(p.PlatformPHP.Value)
	return series
}

// seriesOf returns "MAJOR.MINOR" of a Composer version and its parts.
func seriesOf(v string) (string, int, int, bool) {
	ma, mi, ok := composer.MajorMinor(v)
	if !ok {
		return "", 0, 0, false
	}
	return strconv.Itoa(ma) + "." + strconv.Itoa(mi), ma, mi, true
}

// PHPVersion checks the PHP version php of a Bref line against the
// project's PHP requirements, with Composer's semantics: composer.json's
// require.php (findings.IDPHPRequire), its config.platform.php (findings.IDPHPPlatform: the
// dependencies were resolved for that PHP, so an older image PHP is an
// error and a newer one a warning), and the "php" requirement of every
// package of composer.lock (findings.IDPHPPackage). A requirement that does not
// parse is findings.IDComposerInvalid. php is a series such as "8.2": a requirement
// is met when some release of the series meets it (see
// composer.Constraint.AllowsSeries). It returns nil when php is not a PHP
// version.
func PHPVersion(p *composer.Project, line int, php string) []findings.Finding {
	v, err := extensions.NormalizePHP(php)
	if err != nil || p == nil {
		return nil
	}
	rules, out := phpRules(p)
	for _, r := range rules {
		if r.c.AllowsSeries(v) {
			continue
		}
		fix := suggestPHP(rules, line, platformSeries(p))
		if r.req.By == "" {
			if fix == "" {
				fix = "no Bref line has a PHP version that satisfies every PHP requirement; change require.php"
			} else {
				fix += ", or change require.php"
			}
			out = append(out, findings.Finding{ID: findings.IDPHPRequire, Severity: findings.Error, Path: r.req.File, Line: r.req.Line,
				Message: fmt.Sprintf("PHP %s does not satisfy %s: %s", v, describe(r.req), fix)})
			continue
		}
		if fix == "" {
			fix = "no Bref line has a PHP version that satisfies every PHP requirement; change the dependencies"
		} else {
			fix += fmt.Sprintf(", or run composer update for PHP %s (set config.platform.php to %s)", v, v)
		}
		pkg, _ := p.Package(r.req.By)
		out = append(out, findings.Finding{ID: findings.IDPHPPackage, Severity: findings.Error, Path: r.req.File, Line: r.req.Line,
			Message: fmt.Sprintf("%s %s requires PHP %q, which PHP %s does not satisfy: %s", r.req.By, pkg.Version, r.req.Constraint, v, fix)})
	}
	if pp := p.PlatformPHP; pp != nil {
		series, pma, pmi, ok := seriesOf(pp.Value)
		if !ok {
			out = append(out, findings.Finding{ID: findings.IDComposerInvalid, Severity: findings.Error, Path: pp.File, Line: pp.Line,
				Message: fmt.Sprintf("config.platform.php %q is not a version: write the PHP version the app runs on, e.g. \"%s.0\"", pp.Value, v)})
			return out
		}
		vma, vmi, _ := composer.MajorMinor(v)
		switch {
		case vma < pma || vma == pma && vmi < pmi:
			out = append(out, findings.Finding{ID: findings.IDPHPPlatform, Severity: findings.Error, Path: pp.File, Line: pp.Line,
				Message: fmt.Sprintf("config.platform.php is %q: Composer resolved the dependencies for PHP %s, and they may not run on the image's older PHP %s; use PHP %s, or set config.platform.php to \"%s.0\" and run composer update",
					pp.Value, series, v, series, v)})
		case vma > pma || vmi > pmi:
			out = append(out, findings.Finding{ID: findings.IDPHPPlatform, Severity: findings.Warning, Path: pp.File, Line: pp.Line,
				Message: fmt.Sprintf("config.platform.php is %q: Composer resolved the dependencies for PHP %s, not for the image's PHP %s; use PHP %s, or set config.platform.php to \"%s.0\" and run composer update",
					pp.Value, series, v, series, v)})
		}
	}
	return out
}

// ChoosePHP picks the PHP version of a Bref line when --php is not given:
// the newest version of the line that satisfies composer.json's require.php
// and the "php" requirement of every package of composer.lock, preferring
// the series of config.platform.php when the line has it and it satisfies
// them (the dependencies were resolved for it), and otherwise versions not
// older than it. Without requirements it is the line's newest. When no
// version satisfies them it returns "" and an findings.IDPHPUnsatisfiable finding.
// It returns an error for a line that does not exist.
func ChoosePHP(p *composer.Project, line int) (string, []findings.Finding, error) {
	versions, err := extensions.PHPVersions(line)
	if err != nil {
		return "", nil, err
	}
	rules, _ := phpRules(p)
	ok := allowed(rules, line)
	if len(ok) == 0 {
		return "", []findings.Finding{unsatisfiable(rules, line, versions, platformSeries(p))}, nil
	}
	if p != nil && p.PlatformPHP != nil {
		if series, pma, pmi, valid := seriesOf(p.PlatformPHP.Value); valid {
			if slices.Contains(ok, series) {
				return series, nil, nil
			}
			newer := slices.DeleteFunc(slices.Clone(ok), func(v string) bool {
				ma, mi, _ := composer.MajorMinor(v)
				return ma < pma || ma == pma && mi < pmi
			})
			if len(newer) > 0 {
				return newer[len(newer)-1], nil, nil
			}
		}
	}
	return ok[len(ok)-1], nil, nil
}

// unsatisfiable explains that no PHP version of line meets the rules,
// pointing at the first rule (require.php first) that leaves none.
func unsatisfiable(rules []phpRule, line int, versions []string, prefer string) findings.Finding {
	i := 0
	for i < len(rules)-1 && len(allowed(rules[:i+1], line)) > 0 {
		i++
	}
	culprit := rules[i]
	what, fix := describe(culprit.req), suggestPHP(rules, line, prefer)
	if len(allowed(rules[i:i+1], line)) > 0 {
		// Only with the requirements before it.
		what = fmt.Sprintf("%s together with %s", describe(culprit.req), describe(rules[0].req))
		if i > 1 {
			what += fmt.Sprintf(" and %d more", i-1)
		}
	}
	if fix == "" {
		fix = "change the PHP requirements"
	} else {
		fix += ", or change the PHP requirements"
	}
	return findings.Finding{ID: findings.IDPHPUnsatisfiable, Severity: findings.Error, Path: culprit.req.File, Line: culprit.req.Line,
		Message: fmt.Sprintf("no PHP version of Bref %d (%s) satisfies %s: %s", line, joinWords(versions), what, fix)}
}
