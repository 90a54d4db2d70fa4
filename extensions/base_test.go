package extensions

import (
	"slices"
	"testing"
)

func TestBaseExtensions(t *testing.T) {
	tests := []struct {
		name           string
		line           int
		php            string
		rt             Runtime
		on, notOn, off []string
		wantOffExactly []string
		wantNil        bool
	}{
		{name: "v1 fpm", line: 1, php: "8.0", rt: FPM, on: []string{"mbstring", "soap", "pdo_mysql", "opcache", "curl", "sodium"}, notOn: []string{"ffi", "pcntl", "random", "pdo_pgsql", "gmp"}, wantOffExactly: []string{"apcu", "intl", "pdo_pgsql"}},
		{name: "v1 php 7.4", line: 1, php: "74", rt: Function, on: []string{"json", "pcntl", "readline"}, notOn: []string{"random"}, wantOffExactly: []string{"apcu", "intl", "pdo_pgsql"}},
		{name: "v2 fpm 8.2", line: 2, php: "8.2", rt: FPM, on: []string{"ffi", "soap", "random"}, notOn: []string{"pcntl", "readline", "redis", "pdo_pgsql"}, wantOffExactly: []string{"apcu", "intl", "pdo_pgsql"}},
		{name: "v2 console", line: 2, php: "8.1", rt: Console, on: []string{"pcntl", "readline"}, notOn: []string{"random"}},
		{name: "v3 fpm", line: 3, php: "8.5", rt: FPM, on: []string{"pdo_pgsql", "ffi", "mbstring", "opcache", "random"}, notOn: []string{"soap", "redis", "intl", "gd"}, wantOffExactly: []string{"apcu", "intl", "redis", "soap"}},
		{name: "unknown line", line: 4, php: "8.2", rt: FPM, wantNil: true},
		{name: "PHP not on the line", line: 3, php: "8.0", rt: FPM, wantNil: true},
		{name: "unknown runtime", line: 3, php: "8.2", rt: "web", wantNil: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			on, off := BaseExtensions(tc.line, tc.php, tc.rt)
			if tc.wantNil {
				if on != nil || off != nil {
					t.Fatalf("BaseExtensions = %v, %v, want nil, nil", on, off)
				}
				return
			}
			if !slices.IsSorted(on) || !slices.IsSorted(off) {
				t.Errorf("lists are not sorted: %v, %v", on, off)
			}
			for _, e := range tc.on {
				if !slices.Contains(on, e) {
					t.Errorf("%s is not on", e)
				}
			}
			for _, e := range tc.notOn {
				if slices.Contains(on, e) {
					t.Errorf("%s is on", e)
				}
			}
			if tc.wantOffExactly != nil && !slices.Equal(off, tc.wantOffExactly) {
				t.Errorf("off = %v, want %v", off, tc.wantOffExactly)
			}
			for _, e := range off {
				if slices.Contains(on, e) {
					t.Errorf("%s is both on and off", e)
				}
			}
		})
	}
}

func TestExtName(t *testing.T) {
	tests := map[string]string{
		"ext-gmp":          "gmp",
		"ext-PDO_PGSQL":    "pdo_pgsql",
		"ext-zend-opcache": "opcache",
		" redis ":          "redis",
		"ext-elastic_apm":  "elastic_apm",
	}
	for in, want := range tests {
		t.Run(in, func(t *testing.T) {
			if got := ExtName(in); got != want {
				t.Errorf("ExtName(%q) = %q, want %q", in, got, want)
			}
		})
	}
}

func TestImageForAndImageExtensions(t *testing.T) {
	tests := []struct {
		ext, image string
	}{
		{"ext-gmp", "gmp"},
		{"redis", "redis"},
		{"igbinary", "igbinary"},
		{"ext-ddtrace", "datadog"},
		{"pdo_sqlsrv", "sqlsrv"},
		{"sqlsrv", "sqlsrv"},
		{"elastic_apm", "elastic-apm"},
		{"mongodb", "mongodb"},
		{"bz2", ""},
		{"sysvsem", ""},
		{"odbc", ""},
		{"symfony-runtime", ""},
		{"redis-igbinary", ""},
	}
	for _, tc := range tests {
		t.Run(tc.ext, func(t *testing.T) {
			got := ImageFor(tc.ext)
			if got != tc.image {
				t.Fatalf("ImageFor(%q) = %q, want %q", tc.ext, got, tc.image)
			}
			if got != "" && !slices.Contains(ImageExtensions(got), ExtName(tc.ext)) {
				t.Errorf("ImageExtensions(%q) = %v lacks %q", got, ImageExtensions(got), ExtName(tc.ext))
			}
		})
	}
	images := map[string][]string{
		"redis-igbinary":  {"igbinary", "redis"},
		"sqlsrv":          {"pdo_sqlsrv", "sqlsrv"},
		"elastic-apm":     {"elastic_apm"},
		"symfony-runtime": nil,
		"nope":            nil,
	}
	for img, want := range images {
		t.Run("image "+img, func(t *testing.T) {
			if got := ImageExtensions(img); !slices.Equal(got, want) {
				t.Errorf("ImageExtensions(%q) = %v, want %v", img, got, want)
			}
		})
	}
	// Every image that loads an extension is found again from it, except
	// where a plainer image wins.
	for _, n := range allNames() {
		for _, e := range ImageExtensions(n) {
			img := ImageFor(e)
			if img == "" && e != "odbc" {
				t.Errorf("ImageFor(%q) = \"\", but image %q loads it", e, n)
			}
		}
	}
}

func TestProvide(t *testing.T) {
	tests := []struct {
		name  string
		line  int
		php   string
		rt    Runtime
		ext   string
		want  Provision
		error bool
	}{
		{name: "built in", line: 3, php: "8.3", rt: FPM, ext: "ext-curl", want: Provision{Ext: "curl", Availability: BuiltIn}},
		{name: "pdo_pgsql off on v1", line: 1, php: "8.0", rt: FPM, ext: "ext-pdo_pgsql", want: Provision{Ext: "pdo_pgsql", Availability: Disabled}},
		{name: "pdo_pgsql off on v2", line: 2, php: "8.2", rt: FPM, ext: "ext-pdo_pgsql", want: Provision{Ext: "pdo_pgsql", Availability: Disabled}},
		{name: "pdo_pgsql on in v3", line: 3, php: "8.2", rt: FPM, ext: "ext-pdo_pgsql", want: Provision{Ext: "pdo_pgsql", Availability: BuiltIn}},
		{name: "redis image on v2", line: 2, php: "8.2", rt: FPM, ext: "ext-redis", want: Provision{Ext: "redis", Availability: Image, Image: "redis"}},
		{name: "redis off in v3", line: 3, php: "8.2", rt: FPM, ext: "ext-redis", want: Provision{Ext: "redis", Availability: Disabled}},
		{name: "gmp image", line: 3, php: "8.4", rt: FPM, ext: "ext-gmp", want: Provision{Ext: "gmp", Availability: Image, Image: "gmp"}},
		{name: "gmp not built for 8.5", line: 3, php: "8.5", rt: FPM, ext: "ext-gmp", want: Provision{Ext: "gmp", Availability: Unavailable, Image: "gmp"}},
		{name: "imap not built for 8.4 on v2", line: 2, php: "8.4", rt: FPM, ext: "ext-imap", want: Provision{Ext: "imap", Availability: Unavailable, Image: "imap"}},
		{name: "v1 PHP 7.4 from tag 0.11", line: 1, php: "7.4", rt: FPM, ext: "ext-gmp", want: Provision{Ext: "gmp", Availability: Image, Image: "gmp"}},
		{name: "v1 imap 8.0 in no tag", line: 1, php: "8.0", rt: FPM, ext: "ext-imap", want: Provision{Ext: "imap", Availability: Unavailable, Image: "imap"}},
		{name: "v3 tidy disabled", line: 3, php: "8.4", rt: FPM, ext: "ext-tidy", want: Provision{Ext: "tidy", Availability: Unavailable, Image: "tidy"}},
		{name: "bz2 nowhere", line: 3, php: "8.3", rt: FPM, ext: "ext-bz2", want: Provision{Ext: "bz2", Availability: Unavailable}},
		{name: "pcntl in fpm", line: 2, php: "8.2", rt: FPM, ext: "ext-pcntl", want: Provision{Ext: "pcntl", Availability: CLIOnly}},
		{name: "pcntl in console", line: 2, php: "8.2", rt: Console, ext: "ext-pcntl", want: Provision{Ext: "pcntl", Availability: BuiltIn}},
		{name: "ffi not on v1", line: 1, php: "8.1", rt: FPM, ext: "ext-ffi", want: Provision{Ext: "ffi", Availability: Unavailable}},
		{name: "opcache by composer name", line: 1, php: "8.1", rt: FPM, ext: "ext-zend-opcache", want: Provision{Ext: "opcache", Availability: BuiltIn}},
		{name: "datadog", line: 2, php: "8.3", rt: Function, ext: "ext-ddtrace", want: Provision{Ext: "ddtrace", Availability: Image, Image: "datadog"}},
		{name: "bad line", line: 7, php: "8.3", rt: FPM, ext: "gmp", error: true},
		{name: "bad PHP", line: 3, php: "8.0", rt: FPM, ext: "gmp", error: true},
		{name: "bad runtime", line: 3, php: "8.3", rt: "x", ext: "gmp", error: true},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Provide(tc.line, tc.php, tc.rt, tc.ext)
			if tc.error {
				if err == nil {
					t.Fatalf("Provide: no error, got %+v", got)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got != tc.want {
				t.Errorf("Provide = %+v, want %+v", got, tc.want)
			}
		})
	}
}

func TestAvailabilityString(t *testing.T) {
	want := map[Availability]string{Unavailable: "unavailable", BuiltIn: "built-in", CLIOnly: "cli-only", Disabled: "disabled", Image: "image"}
	for a, s := range want {
		if a.String() != s {
			t.Errorf("%d.String() = %q, want %q", int(a), a.String(), s)
		}
	}
}
