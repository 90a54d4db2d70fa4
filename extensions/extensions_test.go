package extensions

import (
	"regexp"
	"slices"
	"strings"
	"testing"
)

// wantErr checks err against the substrings an error must contain; no
// substrings means no error is expected.
func wantErr(t *testing.T, err error, contains []string) {
	t.Helper()
	if len(contains) == 0 {
		if err != nil {
			t.Fatalf("unexpected error: %v", err)
		}
		return
	}
	if err == nil {
		t.Fatalf("got no error, want one containing %q", contains)
	}
	msg := err.Error()
	for _, c := range contains {
		if !strings.Contains(msg, c) {
			t.Errorf("error %q does not contain %q", msg, c)
		}
	}
	if msg != "" && (strings.HasSuffix(msg, ".") || strings.HasSuffix(msg, "\n")) {
		t.Errorf("error %q ends with punctuation or a newline", msg)
	}
	// The front end names its own flag or file; a library message that
	// names a CLI flag is wrong for every other front end.
	if flag := regexp.MustCompile(`(^|\s)--[a-z]`).FindString(msg); flag != "" {
		t.Errorf("error %q names a CLI flag", msg)
	}
}

func TestParseRuntime(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    Runtime
		wantErr []string
	}{
		{name: "fpm", in: "fpm", want: FPM},
		{name: "function", in: "function", want: Function},
		{name: "console", in: "console", want: Console},
		{name: "case and spaces", in: " FPM ", want: FPM},
		{name: "unknown", in: "lambda", wantErr: []string{`runtime "lambda" does not exist`, "use fpm, function or console"}},
		{name: "empty", in: "", wantErr: []string{`runtime "" does not exist`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseRuntime(tc.in)
			wantErr(t, err, tc.wantErr)
			if got != tc.want {
				t.Errorf("ParseRuntime(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestDefaultHandler(t *testing.T) {
	tests := []struct {
		name string
		rt   Runtime
		want string
	}{
		{name: "fpm", rt: FPM, want: "public/index.php"},
		{name: "function", rt: Function, want: "index.php"},
		{name: "console", rt: Console, want: "bin/console"},
		{name: "unknown", rt: Runtime("nope"), want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DefaultHandler(tc.rt); got != tc.want {
				t.Errorf("DefaultHandler(%q) = %q, want %q", tc.rt, got, tc.want)
			}
		})
	}
}

func TestLines(t *testing.T) {
	if got, want := Lines(), []int{1, 2, 3}; !slices.Equal(got, want) {
		t.Fatalf("Lines() = %v, want %v", got, want)
	}
	if !slices.Contains(Lines(), DefaultLine) || DefaultLine != 3 {
		t.Errorf("DefaultLine = %d, want 3, one of Lines()", DefaultLine)
	}
	tests := []struct {
		name    string
		line    int
		wantErr []string
	}{
		{name: "1", line: 1},
		{name: "2", line: 2},
		{name: "3", line: 3},
		{name: "4", line: 4, wantErr: []string{"Bref line 4 does not exist: use 1, 2 or 3"}},
		{name: "0", line: 0, wantErr: []string{"Bref line 0 does not exist"}},
		{name: "negative", line: -2, wantErr: []string{"Bref line -2 does not exist"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			wantErr(t, CheckLine(tc.line), tc.wantErr)
		})
	}
}

func TestNormalizePHP(t *testing.T) {
	tests := []struct {
		name    string
		in      string
		want    string
		wantErr []string
	}{
		{name: "dotted", in: "8.0", want: "8.0"},
		{name: "compact", in: "80", want: "8.0"},
		{name: "compact 84", in: "84", want: "8.4"},
		{name: "dotted 8.4", in: "8.4", want: "8.4"},
		{name: "patch", in: "8.0.30", want: "8.0"},
		{name: "old", in: "7.3", want: "7.3"},
		{name: "spaces", in: " 8.2 ", want: "8.2"},
		{name: "leading zero minor", in: "8.00", want: "8.0"},
		{name: "major only", in: "8", wantErr: []string{`PHP version "8" is not valid`, "e.g. 8.3"}},
		{name: "empty", in: "", wantErr: []string{`PHP version "" is not valid`}},
		{name: "garbage", in: "php8", wantErr: []string{`"php8"`}},
		{name: "caret constraint", in: "^8.0", wantErr: []string{`"^8.0"`}},
		{name: "three digits compact", in: "810", wantErr: []string{`"810"`}},
		{name: "trailing dot", in: "8.", wantErr: []string{`"8."`}},
		{name: "too many parts", in: "8.0.1.2", wantErr: []string{`"8.0.1.2"`}},
		{name: "patch suffix", in: "8.0.30-dev", wantErr: []string{`"8.0.30-dev"`}},
		{name: "zero major", in: "0.1", wantErr: []string{`"0.1"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := NormalizePHP(tc.in)
			wantErr(t, err, tc.wantErr)
			if got != tc.want {
				t.Errorf("NormalizePHP(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestPHPVersions(t *testing.T) {
	tests := []struct {
		name       string
		line       int
		want       []string
		wantNewest string
		wantErr    []string
	}{
		{name: "v1", line: 1, want: []string{"7.3", "7.4", "8.0", "8.1", "8.2"}, wantNewest: "8.2"},
		{name: "v2", line: 2, want: []string{"8.0", "8.1", "8.2", "8.3", "8.4"}, wantNewest: "8.4"},
		{name: "v3", line: 3, want: []string{"8.2", "8.3", "8.4", "8.5"}, wantNewest: "8.5"},
		{name: "unknown line", line: 5, wantErr: []string{"Bref line 5 does not exist"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := PHPVersions(tc.line)
			wantErr(t, err, tc.wantErr)
			if !slices.Equal(got, tc.want) {
				t.Errorf("PHPVersions(%d) = %v, want %v", tc.line, got, tc.want)
			}
			newest, err := NewestPHP(tc.line)
			wantErr(t, err, tc.wantErr)
			if newest != tc.wantNewest {
				t.Errorf("NewestPHP(%d) = %q, want %q", tc.line, newest, tc.wantNewest)
			}
		})
	}

	// The result is a copy: changing it does not change the catalog.
	v, _ := PHPVersions(2)
	v[0] = "x"
	if again, _ := PHPVersions(2); again[0] != "8.0" {
		t.Errorf("PHPVersions(2) shares its slice with the catalog: %v", again)
	}
}

func TestBaseImage(t *testing.T) {
	tests := []struct {
		name    string
		line    int
		php     string
		rt      Runtime
		arch    string
		want    Base
		wantErr []string
	}{
		// Bref 1: one repository per runtime, x86_64 only, tag :1.
		{name: "v1 fpm", line: 1, php: "8.0", rt: FPM, arch: "amd64", want: Base{Ref: "bref/php-80-fpm:1"}},
		{name: "v1 function", line: 1, php: "8.0", rt: Function, arch: "amd64", want: Base{Ref: "bref/php-80:1"}},
		{name: "v1 console", line: 1, php: "8.0", rt: Console, arch: "amd64", want: Base{Ref: "bref/php-80-console:1"}},
		{name: "v1 php 7.3 compact", line: 1, php: "73", rt: FPM, arch: "amd64", want: Base{Ref: "bref/php-73-fpm:1"}},
		{name: "v1 arm64", line: 1, php: "8.0", rt: FPM, arch: "arm64",
			wantErr: []string{"Bref 1 has no arm64 images", "Bref 2 or 3", "linux/amd64"}},

		// Bref 2: per runtime, arm64 as bref/arm-…, tag :2.
		{name: "v2 fpm amd64", line: 2, php: "8.3", rt: FPM, arch: "amd64", want: Base{Ref: "bref/php-83-fpm:2"}},
		{name: "v2 function amd64", line: 2, php: "8.3", rt: Function, arch: "amd64", want: Base{Ref: "bref/php-83:2"}},
		{name: "v2 console amd64", line: 2, php: "8.3", rt: Console, arch: "amd64", want: Base{Ref: "bref/php-83-console:2"}},
		{name: "v2 fpm arm64", line: 2, php: "8.4", rt: FPM, arch: "arm64", want: Base{Ref: "bref/arm-php-84-fpm:2"}},
		{name: "v2 function arm64", line: 2, php: "80", rt: Function, arch: "arm64", want: Base{Ref: "bref/arm-php-80:2"}},
		{name: "v2 console arm64", line: 2, php: "8.1", rt: Console, arch: "arm64", want: Base{Ref: "bref/arm-php-81-console:2"}},

		// Bref 3: one repository per PHP version, BREF_RUNTIME always set, tag :3.
		{name: "v3 fpm", line: 3, php: "8.4", rt: FPM, arch: "amd64",
			want: Base{Ref: "bref/php-84:3", Env: []string{"BREF_RUNTIME=fpm"}}},
		{name: "v3 function", line: 3, php: "8.4", rt: Function, arch: "amd64",
			want: Base{Ref: "bref/php-84:3", Env: []string{"BREF_RUNTIME=function"}}},
		{name: "v3 console", line: 3, php: "8.5", rt: Console, arch: "amd64",
			want: Base{Ref: "bref/php-85:3", Env: []string{"BREF_RUNTIME=console"}}},
		{name: "v3 arm64", line: 3, php: "8.2", rt: FPM, arch: "arm64",
			want: Base{Ref: "bref/arm-php-82:3", Env: []string{"BREF_RUNTIME=fpm"}}},

		// Errors.
		{name: "unknown line", line: 4, php: "8.2", rt: FPM, arch: "amd64",
			wantErr: []string{"Bref line 4 does not exist: use 1, 2 or 3"}},
		{name: "PHP not on line", line: 3, php: "8.0", rt: FPM, arch: "amd64",
			wantErr: []string{"PHP 8.0 does not exist on Bref 3", "8.2, 8.3, 8.4 or 8.5", "Bref 1 or 2"}},
		{name: "PHP on no line", line: 2, php: "9.1", rt: FPM, arch: "amd64",
			wantErr: []string{"PHP 9.1 does not exist on Bref 2", "8.0, 8.1, 8.2, 8.3 or 8.4"}},
		{name: "PHP 8.5 on v2", line: 2, php: "85", rt: FPM, arch: "amd64",
			wantErr: []string{"PHP 8.5 does not exist on Bref 2", "Bref 3 for PHP 8.5"}},
		{name: "bad PHP", line: 2, php: "eight", rt: FPM, arch: "amd64",
			wantErr: []string{`PHP version "eight" is not valid`}},
		{name: "unknown runtime", line: 2, php: "8.2", rt: Runtime("web"), arch: "amd64",
			wantErr: []string{`runtime "web" does not exist`, "fpm, function or console"}},
		{name: "unknown arch", line: 2, php: "8.2", rt: FPM, arch: "386",
			wantErr: []string{`architecture "386" is not supported`, "linux/amd64 or linux/arm64"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := BaseImage(tc.line, tc.php, tc.rt, tc.arch)
			wantErr(t, err, tc.wantErr)
			if got.Ref != tc.want.Ref || !slices.Equal(got.Env, tc.want.Env) {
				t.Errorf("BaseImage(%d, %q, %q, %q) = %+v, want %+v", tc.line, tc.php, tc.rt, tc.arch, got, tc.want)
			}
			if tc.want.Env == nil && got.Env != nil {
				t.Errorf("Env = %#v, want nil", got.Env)
			}
		})
	}
}

func TestParseSpec(t *testing.T) {
	long := strings.Repeat("a", 128)
	tests := []struct {
		name    string
		in      string
		want    Spec
		wantErr []string
	}{
		{name: "name", in: "redis", want: Spec{Name: "redis"}},
		{name: "name and tag", in: "redis@0.12", want: Spec{Name: "redis", Tag: "0.12"}},
		{name: "hyphenated", in: "redis-igbinary@1", want: Spec{Name: "redis-igbinary", Tag: "1"}},
		{name: "digits", in: "mongodb2", want: Spec{Name: "mongodb2"}},
		{name: "uppercase name", in: "Redis", want: Spec{Name: "redis"}},
		{name: "tag keeps case", in: "gd@V1_x", want: Spec{Name: "gd", Tag: "V1_x"}},
		{name: "spaces", in: "  gmp@3 ", want: Spec{Name: "gmp", Tag: "3"}},
		{name: "longest tag", in: "gd@" + long, want: Spec{Name: "gd", Tag: long}},
		{name: "underscore first", in: "gd@_x", want: Spec{Name: "gd", Tag: "_x"}},
		{name: "empty", in: "", wantErr: []string{"empty extension name", "redis or redis@0.12"}},
		{name: "no name", in: "@0.12", wantErr: []string{`extension "@0.12" has no name`}},
		{name: "empty tag", in: "redis@", wantErr: []string{`extension "redis@" has an empty tag`, "redis@TAG"}},
		{name: "bad name char", in: "red_is", wantErr: []string{`extension name "red_is"`, "lowercase letters, digits and hyphens"}},
		{name: "leading hyphen", in: "-redis", wantErr: []string{`extension name "-redis"`}},
		{name: "trailing hyphen", in: "redis-", wantErr: []string{`extension name "redis-"`}},
		{name: "double hyphen", in: "redis--x", wantErr: []string{`extension name "redis--x"`}},
		{name: "slash", in: "bref/redis", wantErr: []string{`extension name "bref/redis"`}},
		{name: "tag bad char", in: "redis@0.12!", wantErr: []string{`extension tag "0.12!" in "redis@0.12!" is not a valid image tag`}},
		{name: "tag leading dot", in: "redis@.1", wantErr: []string{`extension tag ".1"`}},
		{name: "tag leading hyphen", in: "redis@-1", wantErr: []string{`extension tag "-1"`}},
		{name: "tag too long", in: "redis@" + long + "a", wantErr: []string{"is not a valid image tag", "up to 128"}},
		{name: "two tags", in: "redis@1@2", wantErr: []string{`extension tag "1@2"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSpec(tc.in)
			wantErr(t, err, tc.wantErr)
			if got != tc.want {
				t.Errorf("ParseSpec(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestSpecString(t *testing.T) {
	tests := []struct {
		name string
		spec Spec
		want string
	}{
		{name: "no tag", spec: Spec{Name: "redis"}, want: "redis"},
		{name: "tag", spec: Spec{Name: "redis", Tag: "0.12"}, want: "redis@0.12"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := tc.spec.String(); got != tc.want {
				t.Errorf("String() = %q, want %q", got, tc.want)
			}
		})
	}
}

func TestParseSpecs(t *testing.T) {
	tests := []struct {
		name    string
		in      []string
		want    []Spec
		wantErr []string
	}{
		{name: "none", in: nil, want: nil},
		{name: "only empties", in: []string{"", " , ,"}, want: nil},
		{name: "repeated flags", in: []string{"redis", "gmp"}, want: []Spec{{Name: "redis"}, {Name: "gmp"}}},
		{name: "comma list", in: []string{"redis,gmp@1"}, want: []Spec{{Name: "redis"}, {Name: "gmp", Tag: "1"}}},
		{name: "mixed with spaces and empties", in: []string{" redis , ,gmp", "gd@3,"},
			want: []Spec{{Name: "redis"}, {Name: "gmp"}, {Name: "gd", Tag: "3"}}},
		{name: "duplicate in one item", in: []string{"redis,redis@0.12"},
			wantErr: []string{`extension "redis" is named twice`, `"redis@0.12"`, "keep one"}},
		{name: "duplicate across items", in: []string{"gmp", "redis", "GMP"},
			wantErr: []string{`extension "gmp" is named twice`, `"GMP"`}},
		{name: "bad item", in: []string{"redis,gm p"}, wantErr: []string{`extension name "gm p"`}},
		{name: "bad tag in list", in: []string{"redis@x!,gmp"}, wantErr: []string{`extension tag "x!"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ParseSpecs(tc.in)
			wantErr(t, err, tc.wantErr)
			if !slices.Equal(got, tc.want) {
				t.Errorf("ParseSpecs(%q) = %+v, want %+v", tc.in, got, tc.want)
			}
		})
	}
}

func TestDefaultTag(t *testing.T) {
	tests := []struct {
		name     string
		line     int
		ext, php string
		want     string
	}{
		{name: "v1 8.0: the newest 0.x tag", line: 1, ext: "redis", php: "8.0", want: "0.12"},
		{name: "v1 7.4: 0.12 dropped it", line: 1, ext: "redis", php: "74", want: "0.11"},
		{name: "v1 cassandra 7.4 in 0.12", line: 1, ext: "cassandra", php: "7.4", want: "0.12"},
		{name: "v1 imap 8.0: no tag has it", line: 1, ext: "imap", php: "8.0", want: ""},
		{name: "v2", line: 2, ext: "gmp", php: "8.4", want: "1"},
		{name: "v2 memcached 8.4: never published", line: 2, ext: "memcached", php: "8.4", want: ""},
		{name: "v3", line: 3, ext: "pcov", php: "8.5", want: "3"},
		{name: "v3 disabled", line: 3, ext: "tidy", php: "8.4", want: ""},
		{name: "bad PHP", line: 1, ext: "redis", php: "x", want: ""},
		{name: "unknown line", line: 9, ext: "redis", php: "8.0", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := DefaultTag(tc.line, tc.ext, tc.php); got != tc.want {
				t.Errorf("DefaultTag(%d, %s, %s) = %q, want %q", tc.line, tc.ext, tc.php, got, tc.want)
			}
		})
	}
}

func TestImageRef(t *testing.T) {
	tests := []struct {
		name    string
		spec    Spec
		line    int
		php     string
		arch    string
		want    string
		wantErr []string
	}{
		// Bref 1 (0.x branch: tags 0.10, 0.11 and 0.12; the newest that has the image).
		{name: "v1 redis", spec: Spec{Name: "redis"}, line: 1, php: "8.0", arch: "amd64", want: "bref/extra-redis-php-80:0.12"},
		{name: "v1 gmp 8.2", spec: Spec{Name: "gmp"}, line: 1, php: "82", arch: "amd64", want: "bref/extra-gmp-php-82:0.12"},
		{name: "v1 the seed's tag", spec: Spec{Name: "redis", Tag: "0.10"}, line: 1, php: "8.0", arch: "amd64", want: "bref/extra-redis-php-80:0.10"},
		{name: "v1 7.4", spec: Spec{Name: "redis"}, line: 1, php: "7.4", arch: "amd64", want: "bref/extra-redis-php-74:0.11"},
		{name: "v1 release tag", spec: Spec{Name: "redis", Tag: "0.12.4"}, line: 1, php: "8.1", arch: "amd64", want: "bref/extra-redis-php-81:0.12.4"},
		{name: "v1 alias", spec: Spec{Name: "redis", Tag: "0"}, line: 1, php: "8.2", arch: "amd64", want: "bref/extra-redis-php-82:0"},
		{name: "v1 unknown older tag", spec: Spec{Name: "redis", Tag: "0.9"}, line: 1, php: "7.4", arch: "amd64", want: "bref/extra-redis-php-74:0.9"},
		{name: "v1 tag without the PHP", spec: Spec{Name: "redis", Tag: "0.10"}, line: 1, php: "8.1", arch: "amd64",
			wantErr: []string{"extension redis: tag 0.10 (release 0.10.10) has no image for PHP 8.1: tag 0.12 has it"}},
		{name: "v1 no tag has it", spec: Spec{Name: "imap"}, line: 1, php: "8.0", arch: "amd64",
			wantErr: []string{"extension imap has no image for PHP 8.0 on Bref 1: it exists for PHP 7.3, 7.4, 8.1 and 8.2"}},
		{name: "v1 tag of another line", spec: Spec{Name: "redis", Tag: "1"}, line: 1, php: "8.0", arch: "amd64",
			wantErr: []string{"tag 1 is for Bref 2, not Bref 1", "0.12, 0.11 or 0.10"}},

		// Bref 2 (1.x branch, tag 1).
		{name: "v2 redis", spec: Spec{Name: "redis"}, line: 2, php: "8.4", arch: "amd64", want: "bref/extra-redis-php-84:1"},
		{name: "v2 added name", spec: Spec{Name: "bsdiff"}, line: 2, php: "8.0", arch: "amd64", want: "bref/extra-bsdiff-php-80:1"},
		{name: "v2 imap 8.3", spec: Spec{Name: "imap"}, line: 2, php: "8.3", arch: "amd64", want: "bref/extra-imap-php-83:1"},
		{name: "v2 unknown tag", spec: Spec{Name: "gmp", Tag: "1.2.3"}, line: 2, php: "8.2", arch: "amd64", want: "bref/extra-gmp-php-82:1.2.3"},
		{name: "v2 memcached 8.4 never published", spec: Spec{Name: "memcached"}, line: 2, php: "8.4", arch: "amd64",
			wantErr: []string{"extension memcached has no image for PHP 8.4 on Bref 2", "8.0, 8.1, 8.2 and 8.3"}},
		{name: "v2 protobuf not in any tag", spec: Spec{Name: "protobuf"}, line: 2, php: "8.3", arch: "amd64",
			wantErr: []string{`extension "protobuf" has no image on Bref 2`, "Bref 3 has it for PHP 8.2, 8.3 and 8.4"}},
		{name: "v2 cassandra disabled", spec: Spec{Name: "cassandra"}, line: 2, php: "8.0", arch: "amd64",
			wantErr: []string{`extension "cassandra" has no image on Bref 2 (it is disabled there)`, "Bref 1 has it for PHP 7.3 and 7.4"}},

		// Bref 3 (master branch, tag 3).
		{name: "v3 gmp", spec: Spec{Name: "gmp"}, line: 3, php: "8.4", arch: "amd64", want: "bref/extra-gmp-php-84:3"},
		{name: "v3 pcov 8.5", spec: Spec{Name: "pcov"}, line: 3, php: "8.5", arch: "amd64", want: "bref/extra-pcov-php-85:3"},
		{name: "v3 imagick 8.5", spec: Spec{Name: "imagick"}, line: 3, php: "85", arch: "amd64", want: "bref/extra-imagick-php-85:3"},
		{name: "v3 redis-igbinary", spec: Spec{Name: "redis-igbinary"}, line: 3, php: "8.2", arch: "amd64", want: "bref/extra-redis-igbinary-php-82:3"},
		{name: "v3 release tag", spec: Spec{Name: "xdebug", Tag: "3.0.9"}, line: 3, php: "8.3", arch: "amd64", want: "bref/extra-xdebug-php-83:3.0.9"},
		{name: "v3 tidy disabled", spec: Spec{Name: "tidy"}, line: 3, php: "8.4", arch: "amd64",
			wantErr: []string{`extension "tidy" has no image on Bref 3 (it is disabled there)`, "Bref 2 has it for PHP 8.0, 8.1, 8.2, 8.3 and 8.4"}},

		// Unknown names, with a suggestion from the line's names.
		{name: "unknown with suggestion", spec: Spec{Name: "redsi"}, line: 2, php: "8.2", arch: "amd64",
			wantErr: []string{`unknown extension "redsi": did you mean "redis"? (brefimg extensions lists them)`}},
		{name: "unknown prefix suggestion", spec: Spec{Name: "symfony"}, line: 2, php: "8.2", arch: "amd64",
			wantErr: []string{`did you mean "symfony-runtime"?`}},
		{name: "composer style name", spec: Spec{Name: "ext-gmp"}, line: 3, php: "8.2", arch: "amd64",
			wantErr: []string{`unknown extension "ext-gmp": did you mean "gmp"?`}},
		{name: "unknown without suggestion", spec: Spec{Name: "zzzzzz"}, line: 3, php: "8.2", arch: "amd64",
			wantErr: []string{`unknown extension "zzzzzz" on Bref 3`, "brefimg extensions lists them"}},

		// A name of another line.
		{name: "v2 name on v1", spec: Spec{Name: "bsdiff"}, line: 1, php: "8.0", arch: "amd64",
			wantErr: []string{`extension "bsdiff" has no image on Bref 1: Bref 2 has it for PHP 8.0, 8.1, 8.2, 8.3 and 8.4; Bref 3 has it for PHP 8.2, 8.3, 8.4 and 8.5`}},

		// redis on Bref 3: shipped by the base image.
		{name: "v3 redis", spec: Spec{Name: "redis"}, line: 3, php: "8.3", arch: "amd64",
			wantErr: []string{"redis 6.3.0", "php/conf.d/redis.ini", "extension=redis", "/var/task/php/conf.d", "drop redis"}},

		// PHP versions.
		{name: "ext not for PHP", spec: Spec{Name: "imap"}, line: 2, php: "8.4", arch: "amd64",
			wantErr: []string{"extension imap has no image for PHP 8.4 on Bref 2: it exists for PHP 8.0, 8.1, 8.2 and 8.3"}},
		{name: "v3 no 8.5 build", spec: Spec{Name: "gmp"}, line: 3, php: "8.5", arch: "amd64",
			wantErr: []string{"extension gmp has no image for PHP 8.5 on Bref 3", "PHP 8.2, 8.3 and 8.4"}},
		{name: "v3 no 8.5 build even with tag", spec: Spec{Name: "gmp", Tag: "3"}, line: 3, php: "8.5", arch: "amd64",
			wantErr: []string{"extension gmp: tag 3 (release 3.0.9) has no image for PHP 8.5: it has PHP 8.2, 8.3 and 8.4"}},
		{name: "PHP not on line", spec: Spec{Name: "gmp"}, line: 1, php: "8.4", arch: "amd64",
			wantErr: []string{"PHP 8.4 does not exist on Bref 1", "7.3, 7.4, 8.0, 8.1 or 8.2"}},
		{name: "bad PHP", spec: Spec{Name: "gmp"}, line: 2, php: "latest", arch: "amd64",
			wantErr: []string{`PHP version "latest" is not valid`}},

		// Architecture, line and hand-built specs.
		{name: "arm64", spec: Spec{Name: "redis"}, line: 2, php: "8.2", arch: "arm64",
			wantErr: []string{"no arm64 extension images (extra-php-extensions#622)", "linux/amd64", "drop redis"}},
		{name: "arm64 v3", spec: Spec{Name: "gd"}, line: 3, php: "8.5", arch: "arm64",
			wantErr: []string{"no arm64 extension images", "drop gd"}},
		{name: "unknown arch", spec: Spec{Name: "redis"}, line: 2, php: "8.2", arch: "s390x",
			wantErr: []string{`architecture "s390x" is not supported`}},
		{name: "unknown line", spec: Spec{Name: "redis"}, line: 0, php: "8.2", arch: "amd64",
			wantErr: []string{"Bref line 0 does not exist: use 1, 2 or 3"}},
		{name: "hand-built bad name", spec: Spec{Name: "Redis"}, line: 2, php: "8.2", arch: "amd64",
			wantErr: []string{`extension name "Redis" is not valid`}},
		{name: "hand-built bad tag", spec: Spec{Name: "redis", Tag: ".x"}, line: 2, php: "8.2", arch: "amd64",
			wantErr: []string{`extension tag ".x" in "redis@.x"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := ImageRef(tc.spec, tc.line, tc.php, tc.arch)
			wantErr(t, err, tc.wantErr)
			if got != tc.want {
				t.Errorf("ImageRef(%+v, %d, %q, %q) = %q, want %q", tc.spec, tc.line, tc.php, tc.arch, got, tc.want)
			}
		})
	}
}

// TestImageRefEveryName resolves every listed name on every PHP version the
// catalog gives it, so the listing and ImageRef cannot disagree.
func TestImageRefEveryName(t *testing.T) {
	for _, e := range Catalog() {
		for line, versions := range e.PHP {
			for _, v := range versions {
				ref, err := ImageRef(Spec{Name: e.Name}, line, v, "amd64")
				if err != nil {
					t.Errorf("ImageRef(%s, %d, %s): %v", e.Name, line, v, err)
					continue
				}
				want := "bref/extra-" + e.Name + "-php-" + strings.ReplaceAll(v, ".", "") + ":" + DefaultTag(line, e.Name, v)
				if ref != want {
					t.Errorf("ImageRef(%s, %d, %s) = %q, want %q", e.Name, line, v, ref, want)
				}
			}
		}
	}
}

func TestNames(t *testing.T) {
	tests := []struct {
		name    string
		line    int
		count   int
		has     []string
		hasNot  []string
		isEmpty bool
	}{
		{name: "v1", line: 1, count: 43, has: []string{"amqp", "redis", "symfony-runtime", "yaml"}, hasNot: []string{"bsdiff", "swoole"}},
		{name: "v2", line: 2, count: 51, has: []string{"redis", "bsdiff", "xmlrpc", "openswoole"}, hasNot: []string{"protobuf", "cassandra"}},
		{name: "v3", line: 3, count: 42, has: []string{"gd", "redis-igbinary", "h3", "protobuf"}, hasNot: []string{"redis", "tidy", "imap", "swoole"}},
		{name: "unknown line", line: 4, isEmpty: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Names(tc.line)
			if tc.isEmpty {
				if got != nil {
					t.Fatalf("Names(%d) = %v, want nil", tc.line, got)
				}
				return
			}
			if len(got) != tc.count {
				t.Errorf("len(Names(%d)) = %d, want %d", tc.line, len(got), tc.count)
			}
			if !slices.IsSorted(got) {
				t.Errorf("Names(%d) is not sorted: %v", tc.line, got)
			}
			for _, n := range tc.has {
				if !slices.Contains(got, n) {
					t.Errorf("Names(%d) lacks %q", tc.line, n)
				}
			}
			for _, n := range tc.hasNot {
				if slices.Contains(got, n) {
					t.Errorf("Names(%d) has %q", tc.line, n)
				}
			}
		})
	}
}

func TestCatalog(t *testing.T) {
	cat := Catalog()
	if len(cat) != 53 {
		t.Errorf("len(Catalog()) = %d, want 53", len(cat))
	}
	if !slices.IsSortedFunc(cat, func(a, b Entry) int { return strings.Compare(a.Name, b.Name) }) {
		t.Errorf("Catalog() is not sorted by name")
	}
	byName := map[string]Entry{}
	for _, e := range cat {
		byName[e.Name] = e
	}
	tests := []struct {
		name string
		ext  string
		want map[int][]string
	}{
		{name: "redis not on v3", ext: "redis", want: map[int][]string{
			1: {"7.3", "7.4", "8.0", "8.1", "8.2"},
			2: {"8.0", "8.1", "8.2", "8.3", "8.4"},
		}},
		{name: "imap: no 8.0 on v1, to 8.3 on v2, disabled on v3", ext: "imap", want: map[int][]string{
			1: {"7.3", "7.4", "8.1", "8.2"},
			2: {"8.0", "8.1", "8.2", "8.3"},
		}},
		{name: "gd to 8.5 on v3", ext: "gd", want: map[int][]string{
			1: {"7.3", "7.4", "8.0", "8.1", "8.2"},
			2: {"8.0", "8.1", "8.2", "8.3", "8.4"},
			3: {"8.2", "8.3", "8.4", "8.5"},
		}},
		{name: "added in 1.x", ext: "opentelemetry", want: map[int][]string{
			2: {"8.0", "8.1", "8.2", "8.3", "8.4"},
			3: {"8.2", "8.3", "8.4"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e, ok := byName[tc.ext]
			if !ok {
				t.Fatalf("Catalog() lacks %q", tc.ext)
			}
			if len(e.PHP) != len(tc.want) {
				t.Errorf("%s: lines %v, want %v", tc.ext, e.PHP, tc.want)
			}
			for line, want := range tc.want {
				if got := e.PHP[line]; !slices.Equal(got, want) {
					t.Errorf("%s on Bref %d: PHP %v, want %v", tc.ext, line, got, want)
				}
			}
		})
	}

	// The result is a copy.
	cat[0].PHP[2][0] = "x"
	if again := Catalog(); again[0].PHP[2][0] == "x" {
		t.Errorf("Catalog() shares its slices with the catalog")
	}
}

func TestSuggest(t *testing.T) {
	cands := []string{"gd", "gmp", "mongodb", "mongodb2", "redis", "redis-igbinary", "relay", "symfony-runtime", "h3"}
	tests := []struct {
		name string
		in   string
		want string
	}{
		{name: "transposition", in: "redsi", want: "redis"},
		{name: "one off", in: "gmpp", want: "gmp"},
		{name: "exact", in: "relay", want: "relay"},
		{name: "case", in: "REDIS", want: "redis"},
		{name: "closest wins", in: "mongodb22", want: "mongodb2"},
		{name: "tie goes to the earlier candidate", in: "mongodb3", want: "mongodb"},
		{name: "distance 2 over prefix", in: "mongo", want: "mongodb"},
		{name: "unique prefix", in: "symfony", want: "symfony-runtime"},
		{name: "short prefix", in: "h", want: "h3"},
		{name: "ambiguous prefix", in: "redis-", want: "redis"},
		{name: "too far", in: "postgres", want: ""},
		{name: "short name not rewritten", in: "xy", want: ""},
		{name: "empty", in: "", want: ""},
		{name: "no candidates", in: "redis", want: ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := cands
			if tc.name == "no candidates" {
				c = nil
			}
			if got := Suggest(tc.in, c); got != tc.want {
				t.Errorf("Suggest(%q) = %q, want %q", tc.in, got, tc.want)
			}
		})
	}
}

func TestLevenshtein(t *testing.T) {
	tests := []struct {
		name string
		a, b string
		want int
	}{
		{name: "equal", a: "redis", b: "redis", want: 0},
		{name: "empty", a: "", b: "abc", want: 3},
		{name: "substitution", a: "gd", b: "gm", want: 1},
		{name: "transposition", a: "redsi", b: "redis", want: 2},
		{name: "kitten", a: "kitten", b: "sitting", want: 3},
		{name: "runes", a: "café", b: "cafe", want: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := levenshtein(tc.a, tc.b); got != tc.want {
				t.Errorf("levenshtein(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
			}
		})
	}
}
