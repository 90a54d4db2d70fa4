package extensions

import (
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// DefaultLine is the Bref major line used when none is given and the app's
// Composer files do not name one (3, the current one; see
// checks.ChooseLine).
const DefaultLine = 3

// Runtime is a Bref runtime: FPM, Function or Console.
type Runtime string

// The Bref runtimes.
const (
	// FPM serves HTTP requests through PHP-FPM (the "web" runtime).
	FPM Runtime = "fpm"
	// Function runs a PHP function per Lambda event.
	Function Runtime = "function"
	// Console runs a CLI command (e.g. bin/console) per event.
	Console Runtime = "console"
)

// runtimes lists the runtimes in the order messages name them.
var runtimes = []Runtime{FPM, Function, Console}

// ParseRuntime parses a runtime name ("fpm", "function" or "console",
// case-insensitive, surrounding spaces ignored).
func ParseRuntime(s string) (Runtime, error) {
	rt := Runtime(strings.ToLower(strings.TrimSpace(s)))
	if err := checkRuntime(rt); err != nil {
		return "", fmt.Errorf("runtime %q does not exist: use fpm, function or console", s)
	}
	return rt, nil
}

func checkRuntime(rt Runtime) error {
	if slices.Contains(runtimes, rt) {
		return nil
	}
	return fmt.Errorf("runtime %q does not exist: use fpm, function or console", string(rt))
}

// DefaultHandler is the CMD a runtime uses when none is given: fpm
// "public/index.php", function "index.php", console "bin/console".
// It returns "" for a runtime that does not exist.
func DefaultHandler(rt Runtime) string {
	switch rt {
	case FPM:
		return "public/index.php"
	case Function:
		return "index.php"
	case Console:
		return "bin/console"
	}
	return ""
}

// lineInfo describes one Bref major line.
type lineInfo struct {
	// php lists the PHP versions the line's base images exist for, oldest first.
	php []string
	// tag is the major tag to pin base images with.
	tag string
	// extMajor is the major version of the line's extension image tags
	// (brefphp/extra-php-extensions branch 0.x, 1.x or master).
	extMajor string
	// arm64 is whether arm64 base images exist (as bref/arm-…).
	arm64 bool
	// perRuntime is whether each runtime has its own repository (-fpm,
	// -console); otherwise the runtime is chosen by BREF_RUNTIME.
	perRuntime bool
}

// lineInfos is the table of Bref lines. [brefphp/bref 1.x runtime/Makefile;
// brefphp/aws-lambda-layers Makefile on 2.x and main; extra-php-extensions
// Makefile on 0.x, 1.x and master]
var lineInfos = map[int]lineInfo{
	1: {
		php:        []string{"7.3", "7.4", "8.0", "8.1", "8.2"},
		tag:        "1",
		extMajor:   "0",
		arm64:      false,
		perRuntime: true,
	},
	2: {
		php:        []string{"8.0", "8.1", "8.2", "8.3", "8.4"},
		tag:        "2",
		extMajor:   "1",
		arm64:      true,
		perRuntime: true,
	},
	3: {
		php:        []string{"8.2", "8.3", "8.4", "8.5"},
		tag:        "3",
		extMajor:   "3",
		arm64:      true,
		perRuntime: false,
	},
}

// Lines returns the supported Bref lines: []int{1, 2, 3}.
func Lines() []int {
	return []int{1, 2, 3}
}

// CheckLine returns an error if line is not a supported Bref major line.
func CheckLine(line int) error {
	if _, ok := lineInfos[line]; !ok {
		//lint:ignore ST1005 Bref is a name
		return fmt.Errorf("Bref line %d does not exist: use 1, 2 or 3", line)
	}
	return nil
}

// NormalizePHP accepts a PHP version as "8.0", "80" or "8.0.30" and returns it
// in the "8.0" form. It does not check that any Bref line has that version.
func NormalizePHP(v string) (string, error) {
	s := strings.TrimSpace(v)
	bad := fmt.Errorf("PHP version %q is not valid: write it as MAJOR.MINOR or MAJORMINOR, e.g. 8.3 or 83", v)
	var major, minor string
	if strings.Contains(s, ".") {
		parts := strings.Split(s, ".")
		if len(parts) > 3 {
			return "", bad
		}
		if len(parts) == 3 && !isDigits(parts[2], 3) {
			return "", bad
		}
		major, minor = parts[0], parts[1]
	} else {
		// The compact form is two digits: "80" is 8.0 ("810" would be ambiguous).
		if len(s) != 2 || !isDigits(s, 2) {
			return "", bad
		}
		major, minor = s[:1], s[1:]
	}
	if !isDigits(major, 2) || !isDigits(minor, 2) {
		return "", bad
	}
	ma, _ := strconv.Atoi(major)
	mi, _ := strconv.Atoi(minor)
	if ma == 0 {
		return "", bad
	}
	return fmt.Sprintf("%d.%d", ma, mi), nil
}

// isDigits reports whether s is 1 to max ASCII digits.
func isDigits(s string, max int) bool {
	if s == "" || len(s) > max {
		return false
	}
	for _, c := range s {
		if c < '0' || c > '9' {
			return false
		}
	}
	return true
}

// compactPHP turns "8.0" into "80", the form image names use.
func compactPHP(v string) string {
	return strings.ReplaceAll(v, ".", "")
}

// PHPVersions lists the PHP versions a line's base images exist for, oldest
// first ("7.3" ... ).
func PHPVersions(line int) ([]string, error) {
	if err := CheckLine(line); err != nil {
		return nil, err
	}
	return append([]string(nil), lineInfos[line].php...), nil
}

// NewestPHP is the newest PHP version of a line.
func NewestPHP(line int) (string, error) {
	if err := CheckLine(line); err != nil {
		return "", err
	}
	php := lineInfos[line].php
	return php[len(php)-1], nil
}

// linePHP normalises php and checks that line's base images exist for it.
// line must already be checked.
func linePHP(line int, php string) (string, error) {
	v, err := NormalizePHP(php)
	if err != nil {
		return "", err
	}
	info := lineInfos[line]
	if slices.Contains(info.php, v) {
		return v, nil
	}
	msg := fmt.Sprintf("PHP %s does not exist on Bref %d: use PHP %s", v, line, joinWords(info.php, "or"))
	var others []string
	for _, l := range Lines() {
		if slices.Contains(lineInfos[l].php, v) {
			others = append(others, strconv.Itoa(l))
		}
	}
	if len(others) > 0 {
		msg += fmt.Sprintf(", or Bref %s for PHP %s", joinWords(others, "or"), v)
	}
	return "", errors.New(msg)
}

// ErrPlatform matches (with errors.Is) the errors that are about the
// platform rather than the Bref line or PHP version: Bref publishes no
// image for that architecture.
var ErrPlatform = errors.New("no image for this platform")

type platformError struct{ error }

func (platformError) Is(target error) bool { return target == ErrPlatform }

// checkArch checks an architecture name.
func checkArch(arch string) error {
	if arch != "amd64" && arch != "arm64" {
		return platformError{fmt.Errorf("architecture %q is not supported: Lambda runs linux/amd64 or linux/arm64", arch)}
	}
	return nil
}

// Base is the base image for a build.
type Base struct {
	// Ref is the Docker Hub reference with the line's major tag, e.g.
	// "bref/php-80-fpm:1".
	Ref string
	// Env is the environment the image needs on top of the base's own, e.g.
	// ["BREF_RUNTIME=fpm"] for Bref 3; nil otherwise.
	Env []string
}

// BaseImage returns the base image for (line, PHP version, runtime, arch).
// php may be in any form NormalizePHP accepts; arch is "amd64" or "arm64".
//
// Bref 1 and 2 have one repository per runtime (bref/php-80, -fpm, -console);
// Bref 3 has one repository per PHP version and chooses the runtime with
// BREF_RUNTIME, which is always set, also for the function runtime. arm64
// images (Bref 2 and 3) are separate repositories prefixed "arm-".
func BaseImage(line int, php string, rt Runtime, arch string) (Base, error) {
	if err := CheckLine(line); err != nil {
		return Base{}, err
	}
	if err := checkRuntime(rt); err != nil {
		return Base{}, err
	}
	if err := checkArch(arch); err != nil {
		return Base{}, err
	}
	v, err := linePHP(line, php)
	if err != nil {
		return Base{}, err
	}
	info := lineInfos[line]
	prefix := ""
	if arch == "arm64" {
		if !info.arm64 {
			//lint:ignore ST1005 Bref is a name
			return Base{}, platformError{fmt.Errorf("Bref %d has no arm64 images: use Bref 2 or 3, or linux/amd64", line)}
		}
		prefix = "arm-"
	}
	repo := "bref/" + prefix + "php-" + compactPHP(v)
	if !info.perRuntime {
		return Base{
			Ref: repo + ":" + info.tag,
			Env: []string{"BREF_RUNTIME=" + string(rt)},
		}, nil
	}
	switch rt {
	case FPM:
		repo += "-fpm"
	case Console:
		repo += "-console"
	}
	return Base{Ref: repo + ":" + info.tag}, nil
}

// joinWords joins items as "a, b and c" (conj "and") or "a, b or c".
func joinWords(items []string, conj string) string {
	switch len(items) {
	case 0:
		return ""
	case 1:
		return items[0]
	}
	return strings.Join(items[:len(items)-1], ", ") + " " + conj + " " + items[len(items)-1]
}
