package extensions

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// names0x are the extensions of the 0.x branch of brefphp/extra-php-extensions
// (Bref 1).
var names0x = []string{
	"amqp", "blackfire", "calendar", "cassandra", "decimal", "ds", "elastic-apm",
	"gd", "gmp", "gnupg", "grpc", "igbinary", "imagick", "imap", "ldap",
	"mailparse", "maxminddb", "memcache", "memcached", "mongodb", "msgpack",
	"newrelic", "oci8", "odbc-snowflake", "openswoole", "pcov", "pgsql",
	"rdkafka", "redis", "redis-igbinary", "relay", "scoutapm", "scrypt", "spx",
	"sqlsrv", "ssh2", "symfony-runtime", "tideways", "tidy", "uuid", "xdebug",
	"xlswriter", "yaml",
}

// added1x are the extensions the 1.x branch (Bref 2) adds to names0x.
var added1x = []string{
	"bsdiff", "datadog", "excimer", "h3", "mongodb2", "opentelemetry",
	"protobuf", "snmp", "swoole", "xmlrpc",
}

// extPHP maps line -> extension name -> the PHP versions its image is
// published for under the line's default tag, oldest first. Built by
// buildCatalog from the lists above; layers/*/config.json of each branch of
// brefphp/extra-php-extensions is the source of truth.
var extPHP = buildCatalog()

func buildCatalog() map[int]map[string][]string {
	cat := map[int]map[string][]string{1: {}, 2: {}, 3: {}}

	// 0.x (Bref 1): tag 0.10 is built for PHP 8.0-8.2; PHP 7.3 and 7.4 only
	// had older 0.x tags (see lineInfo.olderTagsOnly).
	for _, n := range names0x {
		cat[1][n] = []string{"8.0", "8.1", "8.2"}
	}

	// 1.x (Bref 2): PHP 8.0-8.4, except imap 8.0-8.3 (imap left PHP's core
	// in 8.4).
	names1x := slices.Concat(names0x, added1x)
	for _, n := range names1x {
		cat[2][n] = []string{"8.0", "8.1", "8.2", "8.3", "8.4"}
	}
	cat[2]["imap"] = []string{"8.0", "8.1", "8.2", "8.3"}

	// master (Bref 3, tag 3): the 1.x names except redis, which the v3 base
	// image ships; PHP 8.2-8.4 (no 8.5 build) except gd, imagick and
	// memcached, built for 8.5 too.
	for _, n := range names1x {
		if n == "redis" {
			continue
		}
		cat[3][n] = []string{"8.2", "8.3", "8.4"}
	}
	for _, n := range []string{"gd", "imagick", "memcached"} {
		cat[3][n] = []string{"8.2", "8.3", "8.4", "8.5"}
	}
	return cat
}

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

// DefaultTag is the extension image tag to pin for a line: 1 -> "0.10",
// 2 -> "1", 3 -> "3". It returns "" for a line that does not exist.
func DefaultTag(line int) string {
	return lineInfos[line].extTag
}

// LineOfTag returns the Bref line an extension image tag belongs to
// ("0.10" -> 1, "1.8.6" -> 2, "3" -> 3), or 0 for a tag of no line.
func LineOfTag(tag string) int {
	major, _, _ := strings.Cut(tag, ".")
	for _, line := range Lines() {
		if dm, _, _ := strings.Cut(DefaultTag(line), "."); dm == major {
			return line
		}
	}
	return 0
}

// OlderTagsOnly reports whether a line's extension images for PHP version
// php exist only under tags older than DefaultTag, so that an extension must
// name its tag explicitly (Bref 1 with PHP 7.3 or 7.4: --ext redis@0.9).
// php may be in any form NormalizePHP accepts.
func OlderTagsOnly(line int, php string) bool {
	v, err := NormalizePHP(php)
	if err != nil {
		return false
	}
	return slices.Contains(lineInfos[line].olderTagsOnly, v)
}

// ImageRef returns the extension image reference for s on a Bref line, PHP
// version and arch, e.g. "bref/extra-redis-php-80:0.10". php may be in any form
// NormalizePHP accepts; arch is "amd64" or "arm64", and since Bref publishes
// extension images for x86_64 only, arm64 is always an error.
//
// An explicit s.Tag replaces the line's default tag; it is not checked against
// the registry.
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
	if versions := extPHP[line][s.Name]; !slices.Contains(versions, v) {
		switch {
		case OlderTagsOnly(line, v) && s.Tag != "":
			// An explicit older tag: the user knows which one exists.
		case OlderTagsOnly(line, v):
			return "", fmt.Errorf("extension %s: Bref %d extension images for PHP %s exist only under tags older than %s (%s is built for PHP %s): name one, e.g. %s@0.9, or use PHP %s",
				s.Name, line, v, DefaultTag(line), DefaultTag(line), joinWords(versions, "and"), s.Name, joinWords(versions, "or"))
		default:
			return "", fmt.Errorf("extension %q is not published for PHP %s on Bref %d: it exists for PHP %s (use PHP %s)",
				s.Name, v, line, joinWords(versions, "and"), joinWords(versions, "or"))
		}
	}
	tag := s.Tag
	if tag == "" {
		tag = DefaultTag(line)
	}
	return "bref/extra-" + s.Name + "-php-" + compactPHP(v) + ":" + tag, nil
}

// checkName checks that line publishes an extension image called name, and
// explains otherwise. line must already be checked.
func checkName(name string, line int) error {
	if _, ok := extPHP[line][name]; ok {
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
		if _, ok := extPHP[l][name]; ok {
			others = append(others, strconv.Itoa(l))
		}
	}
	if len(others) > 0 {
		return fmt.Errorf("extension %q is not published for Bref %d: it exists for Bref %s (use Bref %s)",
			name, line, joinWords(others, "and"), joinWords(others, "or"))
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

// Names lists the extension names published for a line, sorted. It returns
// nil for a line that does not exist.
func Names(line int) []string {
	m, ok := extPHP[line]
	if !ok {
		return nil
	}
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	slices.Sort(names)
	return names
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
	// PHP maps each line that publishes the extension to the PHP versions its
	// image exists for under the line's default tag, oldest first. Lines that
	// do not publish it are absent. See OlderTagsOnly for versions reachable
	// only with an explicit older tag.
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
			if v, ok := extPHP[l][n]; ok {
				e.PHP[l] = slices.Clone(v)
			}
		}
		entries = append(entries, e)
	}
	return entries
}
