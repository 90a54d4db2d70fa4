package extensions

import (
	"errors"
	"fmt"
	"slices"
	"strings"
)

// Spec is an extension asked for on the command line: "redis" or "redis@0.12".
type Spec struct {
	// Name is the extension name, e.g. "redis" (lowercase).
	Name string
	// Tag is the extension image tag; "" means the line's default tag
	// (see DefaultTag).
	Tag string
}

// String returns the spec as written on the command line: "redis" or
// "redis@0.12".
func (s Spec) String() string {
	if s.Tag == "" {
		return s.Name
	}
	return s.Name + "@" + s.Tag
}

// ParseSpec parses one extension: "NAME" or "NAME@TAG". The name is made of
// lowercase letters, digits and single hyphens (it is matched
// case-insensitively and returned lowercase); the tag follows Docker's tag
// grammar [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}. Surrounding spaces are ignored.
func ParseSpec(s string) (Spec, error) {
	t := strings.TrimSpace(s)
	if t == "" {
		return Spec{}, errors.New("empty extension name: write NAME or NAME@TAG, e.g. redis or redis@0.12")
	}
	name, tag, hasTag := strings.Cut(t, "@")
	name = strings.ToLower(strings.TrimSpace(name))
	tag = strings.TrimSpace(tag)
	if name == "" {
		return Spec{}, fmt.Errorf("extension %q has no name: write NAME or NAME@TAG, e.g. redis@0.12", s)
	}
	if !validName(name) {
		return Spec{}, fmt.Errorf("extension name %q in %q is not valid: use lowercase letters, digits and hyphens, e.g. redis or redis-igbinary", name, s)
	}
	if hasTag && tag == "" {
		return Spec{}, fmt.Errorf("extension %q has an empty tag: write %s or %s@TAG", s, name, name)
	}
	if hasTag && !validTag(tag) {
		return Spec{}, fmt.Errorf("extension tag %q in %q is not a valid image tag: use up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'", tag, s)
	}
	return Spec{Name: name, Tag: tag}, nil
}

// ParseSpecs parses the values of repeated --ext flags. Each item may itself
// be a comma-separated list ("redis,gmp@1"); spaces around items are trimmed
// and empty items dropped. Naming the same extension twice is an error. It
// returns nil when no extension is named.
func ParseSpecs(list []string) ([]Spec, error) {
	var specs []Spec
	seen := map[string]string{}
	for _, item := range list {
		for _, part := range strings.Split(item, ",") {
			part = strings.TrimSpace(part)
			if part == "" {
				continue
			}
			sp, err := ParseSpec(part)
			if err != nil {
				return nil, err
			}
			if first, ok := seen[sp.Name]; ok {
				return nil, fmt.Errorf("extension %q is named twice (%q and %q): keep one", sp.Name, first, part)
			}
			seen[sp.Name] = part
			specs = append(specs, sp)
		}
	}
	return specs, nil
}

// validName reports whether s is [a-z0-9]+(-[a-z0-9]+)*.
func validName(s string) bool {
	if s == "" || len(s) > 64 {
		return false
	}
	prevHyphen := true // no leading hyphen
	for _, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= '0' && c <= '9':
			prevHyphen = false
		case c == '-':
			if prevHyphen {
				return false
			}
			prevHyphen = true
		default:
			return false
		}
	}
	return !prevHyphen
}

// validTag reports whether s matches Docker's tag grammar
// [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}.
func validTag(s string) bool {
	if s == "" || len(s) > 128 {
		return false
	}
	for i, c := range s {
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9', c == '_':
		case (c == '.' || c == '-') && i > 0:
		default:
			return false
		}
	}
	return true
}

// DefaultTag is the extension image tag a line uses for name on PHP
// version php: the newest of the line's tags (catalog.tsv) that publishes
// that image, e.g. (1, "redis", "8.0") -> "0.12", (1, "redis", "7.4") ->
// "0.11". It returns "" when no tag of the line publishes it.
func DefaultTag(line int, name, php string) string {
	v, err := NormalizePHP(php)
	if err != nil {
		return ""
	}
	return cat.defaultTag(line, name, v)
}

// LineOfTag returns the Bref line an extension image tag belongs to
// ("0.10" -> 1, "1.8.6" -> 2, "3" -> 3), or 0 for a tag of no line.
func LineOfTag(tag string) int {
	return lineOfMajor(tag)
}

// ImageRef returns the extension image reference for s on a Bref line, PHP
// version and arch, e.g. "bref/extra-redis-php-80:0.12". php may be in any
// form NormalizePHP accepts; arch is "amd64" or "arm64", and since Bref
// publishes extension images for x86_64 only, arm64 is always an error.
//
// Without s.Tag the tag is DefaultTag's. An explicit s.Tag that the catalog
// knows (a floating tag such as "0.10", or a release such as "0.12.4") must
// publish the image; a tag it does not know is left to the registry.
func ImageRef(s Spec, line int, php string, arch string) (string, error) {
	if err := CheckLine(line); err != nil {
		return "", err
	}
	if !validName(s.Name) {
		return "", fmt.Errorf("extension name %q is not valid: use lowercase letters, digits and hyphens, e.g. redis", s.Name)
	}
	if s.Tag != "" && !validTag(s.Tag) {
		return "", fmt.Errorf("extension tag %q in %q is not a valid image tag: use up to 128 letters, digits, '_', '.' and '-', not starting with '.' or '-'", s.Tag, s.String())
	}
	if err := checkArch(arch); err != nil {
		return "", err
	}
	v, err := linePHP(line, php)
	if err != nil {
		return "", err
	}
	if err := checkName(s.Name, line); err != nil {
		return "", err
	}
	if arch == "arm64" {
		return "", fmt.Errorf("extension %s: Bref publishes no arm64 extension images (extra-php-extensions#622): build for linux/amd64, or drop %s", s.Name, s.Name)
	}
	tag, err := imageTag(s, line, v)
	if err != nil {
		return "", err
	}
	return "bref/extra-" + s.Name + "-php-" + compactPHP(v) + ":" + tag, nil
}

// imageTag checks s.Tag against the catalog, or chooses the default tag.
// line, v and s.Name must already be checked.
func imageTag(s Spec, line int, v string) (string, error) {
	if s.Tag == "" {
		if t := cat.defaultTag(line, s.Name, v); t != "" {
			return t, nil
		}
		versions := cat.versions(line, s.Name)
		return "", fmt.Errorf("extension %s has no image for PHP %s on Bref %d: it exists for PHP %s (use PHP %s)",
			s.Name, v, line, joinWords(versions, "and"), joinWords(versions, "or"))
	}
	r := cat.release(s.Tag)
	switch {
	case r == nil:
		return s.Tag, nil // a tag brefimg does not know: the registry decides
	case r.line != line:
		return "", fmt.Errorf("extension %s: tag %s is for Bref %d, not Bref %d: drop the tag, or use one of Bref %d (%s)",
			s.Name, s.Tag, r.line, line, line, joinWords(lineTags(line), "or"))
	case !slices.Contains(r.php[s.Name], v):
		msg := fmt.Sprintf("extension %s: tag %s (release %s) has no image for PHP %s", s.Name, s.Tag, r.version, v)
		if t := cat.defaultTag(line, s.Name, v); t != "" {
			msg += fmt.Sprintf(": tag %s has it", t)
		} else if have := r.php[s.Name]; len(have) > 0 {
			msg += fmt.Sprintf(": it has PHP %s", joinWords(have, "and"))
		}
		return "", errors.New(msg)
	}
	return s.Tag, nil
}

// lineTags lists the floating extension tags of a line, newest first.
func lineTags(line int) []string {
	var tags []string
	for _, r := range cat.lineReleases(line) {
		tags = append(tags, r.tag)
	}
	return tags
}

// checkName checks that line publishes an extension image called name, and
// explains otherwise. line must already be checked.
func checkName(name string, line int) error {
	if len(cat.versions(line, name)) > 0 {
		return nil
	}
	if line == 3 && name == "redis" {
		// [aws-lambda-layers@main php-8*/Dockerfile, src/php.ini; FACTS §5]
		return errors.New("extension redis: Bref 3 needs no redis extension image: its base image ships redis 6.3.0, disabled; " +
			"enable it with a file php/conf.d/redis.ini in the app containing \"extension=redis\" " +
			"(it lands in /var/task/php/conf.d), and drop redis from the extensions")
	}
	var others []string
	for _, l := range Lines() {
		if versions := cat.versions(l, name); len(versions) > 0 {
			others = append(others, fmt.Sprintf("Bref %d has it for PHP %s", l, joinWords(versions, "and")))
		}
	}
	if len(others) > 0 {
		why := ""
		if cat.listed(line, name) {
			why = " (it is disabled there)"
		}
		return fmt.Errorf("extension %q has no image on Bref %d%s: %s", name, line, why, strings.Join(others, "; "))
	}
	if sug := suggestName(name, line); sug != "" {
		return fmt.Errorf("unknown extension %q: did you mean %q? (brefimg extensions lists them)", name, sug)
	}
	return fmt.Errorf("unknown extension %q on Bref %d (brefimg extensions lists them)", name, line)
}

// suggestName finds the extension a mistyped name most likely meant: first
// among line's names (also with a composer-style "ext-" prefix removed), then
// among every line's names.
func suggestName(name string, line int) string {
	pools := [][]string{Names(line), allNames()}
	for _, pool := range pools {
		if rest, ok := strings.CutPrefix(name, "ext-"); ok && slices.Contains(pool, rest) {
			return rest
		}
		if s := Suggest(name, pool); s != "" {
			return s
		}
	}
	return ""
}

// Names lists the extension names that have an image on a line (under
// any of its tags), sorted. It returns nil for a line that does not exist.
func Names(line int) []string {
	if CheckLine(line) != nil {
		return nil
	}
	var names []string
	for _, r := range cat.lineReleases(line) {
		for n, versions := range r.php {
			if len(versions) > 0 {
				names = append(names, n)
			}
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// allNames lists the extension names of every line, sorted, once each.
func allNames() []string {
	var names []string
	for _, l := range Lines() {
		names = append(names, Names(l)...)
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// Entry describes one extension for listing: which lines publish it and for
// which PHP versions.
type Entry struct {
	// Name is the extension name, e.g. "redis".
	Name string
	// PHP maps each line that publishes the extension to the PHP versions an
	// image exists for under one of its tags (DefaultTag names which),
	// oldest first. Lines that do not publish it are absent.
	PHP map[int][]string
}

// Catalog returns every extension, sorted by name. The result is a fresh copy
// the caller may modify.
func Catalog() []Entry {
	names := allNames()
	entries := make([]Entry, 0, len(names))
	for _, n := range names {
		e := Entry{Name: n, PHP: map[int][]string{}}
		for _, l := range Lines() {
			if v := cat.versions(l, n); len(v) > 0 {
				e.PHP[l] = v
			}
		}
		entries = append(entries, e)
	}
	return entries
}
