package extensions

import (
	"slices"
	"strings"
)

// The PHP extensions each Bref line's base image provides. [FACTS §5: bref
// 1.x runtime/base/php-8*.Dockerfile and runtime/layers/*/php.ini;
// aws-lambda-layers 2.x php-8*/Dockerfile, layers/*/bref.ini; aws-lambda-layers
// main php-8*/Dockerfile, src/php.ini, tests/test_2_extensions.php; Bref docs
// environment/php]
var (
	// baseOnAll are compiled in and loaded on every line.
	baseOnAll = []string{
		"core", "date", "pcre", "reflection", "spl", "standard", "hash", "json",
		"ctype", "dom", "fileinfo", "filter", "iconv", "libxml", "pdo",
		"pdo_sqlite", "phar", "posix", "session", "simplexml", "sqlite3",
		"tokenizer", "xml", "xmlreader", "xmlwriter", "curl", "exif", "ftp",
		"gettext", "mysqli", "mysqlnd", "openssl", "sockets", "sodium", "bcmath",
		"xsl", "zip", "zlib",
	}
	// baseCLIOnly are loaded by the PHP CLI (function and console runtimes)
	// but not by php-fpm.
	baseCLIOnly = []string{"pcntl", "readline"}
	// baseOnLine and baseOffLine are, per line, the further extensions loaded,
	// and those shipped but off (enabled by an ini line extension=NAME).
	baseOnLine = map[int][]string{
		1: {"mbstring", "soap", "pdo_mysql", "opcache"},
		2: {"mbstring", "soap", "pdo_mysql", "opcache", "ffi"},
		3: {"pdo_mysql", "pdo_pgsql", "ffi", "mbstring", "opcache"},
	}
	baseOffLine = map[int][]string{
		1: {"intl", "pdo_pgsql", "apcu"},
		2: {"intl", "apcu", "pdo_pgsql"},
		3: {"intl", "soap", "apcu", "redis"},
	}
)

// BaseExtensions returns the PHP extensions the base image of a line, PHP
// version and runtime provides, as lowercase PHP extension names ("pdo_pgsql",
// "opcache"), each list sorted: on are loaded, off are shipped but disabled
// and need an ini file with "extension=NAME" in a scanned directory (the
// app's php/conf.d). pcntl and readline are on for the function and console
// runtimes only: php-fpm does not load them. "random" is on from PHP 8.2.
// php may be in any form NormalizePHP accepts. It returns nil, nil for a
// line, PHP version or runtime that does not exist.
func BaseExtensions(line int, php string, rt Runtime) (on, off []string) {
	if CheckLine(line) != nil || checkRuntime(rt) != nil {
		return nil, nil
	}
	v, err := linePHP(line, php)
	if err != nil {
		return nil, nil
	}
	on = slices.Concat(baseOnAll, baseOnLine[line])
	if phpAtLeast(v, 8, 2) {
		on = append(on, "random")
	}
	if rt != FPM {
		on = append(on, baseCLIOnly...)
	}
	off = slices.Clone(baseOffLine[line])
	slices.Sort(on)
	slices.Sort(off)
	return on, off
}

// phpAtLeast reports whether v ("8.2") is at least major.minor.
func phpAtLeast(v string, major, minor int) bool {
	var ma, mi int
	a, b, _ := strings.Cut(v, ".")
	for _, c := range a {
		ma = ma*10 + int(c-'0')
	}
	for _, c := range b {
		mi = mi*10 + int(c-'0')
	}
	return ma > major || ma == major && mi >= minor
}

// ExtName turns a Composer platform package or an extension name into the
// PHP extension name, lowercase: "ext-gmp" -> "gmp", "ext-PDO_PGSQL" ->
// "pdo_pgsql", "ext-zend-opcache" -> "opcache" (Composer names an extension
// after its module name, lowercased, spaces as hyphens: "Zend OPcache").
func ExtName(s string) string {
	n := strings.ToLower(strings.TrimSpace(s))
	n = strings.TrimPrefix(n, "ext-")
	switch n {
	case "zend-opcache", "zend opcache", "zend_opcache":
		return "opcache"
	}
	return n
}

// imageExts lists, for the extension images whose PHP extensions are not
// simply named after the image, the extensions they load. [extra-php-extensions
// layers/*/Dockerfile]
var imageExts = map[string][]string{
	"datadog": {"datadog-profiling", "ddtrace"}, // 98-ddtrace.ini; ddappsec is not loaded

	"elastic-apm":     {"elastic_apm"},
	"mongodb2":        {"mongodb"},
	"odbc-snowflake":  {"odbc"},
	"redis-igbinary":  {"igbinary", "redis"},
	"relay":           {"igbinary", "msgpack", "relay"},
	"sqlsrv":          {"pdo_sqlsrv", "sqlsrv"},
	"symfony-runtime": nil, // Symfony's runtime bootstrap, no PHP extension
}

// extImage maps a PHP extension to the image to add for it when the image
// is not named after the extension. Extensions loaded by several images go
// to the plain one (redis -> redis, not redis-igbinary; mongodb -> mongodb).
// odbc is left out: its only image is the Snowflake ODBC driver.
var extImage = map[string]string{
	"datadog-profiling": "datadog",
	"ddtrace":           "datadog",
	"elastic_apm":       "elastic-apm",
	"pdo_sqlsrv":        "sqlsrv",
}

// ImageExtensions returns the PHP extensions an extension image loads,
// sorted: "gmp" -> [gmp], "redis-igbinary" -> [igbinary redis], "sqlsrv" ->
// [pdo_sqlsrv sqlsrv], "symfony-runtime" -> none. It returns nil for a name
// no line publishes.
func ImageExtensions(image string) []string {
	image = strings.ToLower(strings.TrimSpace(image))
	if !slices.Contains(allNames(), image) {
		return nil
	}
	if exts, ok := imageExts[image]; ok {
		return slices.Clone(exts)
	}
	return []string{strings.ReplaceAll(image, "-", "_")}
}

// ImageFor returns the name of the extension image that provides a PHP
// extension on some Bref line ("ext-gmp" or "gmp" -> "gmp", "ddtrace" ->
// "datadog", "pdo_sqlsrv" -> "sqlsrv"), or "" when no image does ("bz2").
// It does not say whether a given line and PHP version publish the image:
// see Provide.
func ImageFor(ext string) string {
	n := ExtName(ext)
	if img, ok := extImage[n]; ok {
		return img
	}
	img := strings.ReplaceAll(n, "_", "-")
	if slices.Contains(ImageExtensions(img), n) {
		return img
	}
	return ""
}

// Availability says how a Bref image provides a PHP extension.
type Availability int

// The ways a PHP extension can be provided, from best to worst.
const (
	// Unavailable: no image of the line provides the extension for this PHP
	// version (Provision.Image may name an image published for other PHP
	// versions or lines).
	Unavailable Availability = iota
	// BuiltIn: the base image loads the extension.
	BuiltIn
	// CLIOnly: the base image loads it in the PHP CLI but not in php-fpm.
	CLIOnly
	// Disabled: the base image ships the extension off; an ini file with
	// "extension=NAME" in a scanned directory enables it.
	Disabled
	// Image: the extension image Provision.Image provides it.
	Image
)

// String names an availability: "unavailable", "built-in", "cli-only",
// "disabled" or "image".
func (a Availability) String() string {
	switch a {
	case BuiltIn:
		return "built-in"
	case CLIOnly:
		return "cli-only"
	case Disabled:
		return "disabled"
	case Image:
		return "image"
	}
	return "unavailable"
}

// Provision says how a Bref line provides one PHP extension.
type Provision struct {
	// Ext is the PHP extension name, lowercase ("pdo_pgsql").
	Ext string
	// Availability is how the line provides it.
	Availability Availability
	// Image is the extension image that provides it: set for Image, and for
	// Unavailable when an image exists for other PHP versions or lines (the
	// error of ImageRef for it then says which).
	Image string
}

// Provide says how the base image of (line, php, rt), or a catalog
// extension image, provides the PHP extension ext ("ext-gmp" or "gmp"). The
// base image comes first: on Bref 3, redis is Disabled in the base rather
// than an image. An image counts only when one of the line's tags publishes
// it for the PHP version. It returns an error for a line, PHP
// version or runtime that does not exist.
func Provide(line int, php string, rt Runtime, ext string) (Provision, error) {
	if err := CheckLine(line); err != nil {
		return Provision{}, err
	}
	if err := checkRuntime(rt); err != nil {
		return Provision{}, err
	}
	v, err := linePHP(line, php)
	if err != nil {
		return Provision{}, err
	}
	n := ExtName(ext)
	p := Provision{Ext: n}
	on, off := BaseExtensions(line, v, rt)
	switch {
	case slices.Contains(on, n):
		p.Availability = BuiltIn
		return p, nil
	case rt == FPM && slices.Contains(baseCLIOnly, n):
		p.Availability = CLIOnly
		return p, nil
	case slices.Contains(off, n):
		p.Availability = Disabled
		return p, nil
	}
	p.Image = ImageFor(n)
	if p.Image != "" && cat.defaultTag(line, p.Image, v) != "" {
		p.Availability = Image
	}
	return p, nil
}
