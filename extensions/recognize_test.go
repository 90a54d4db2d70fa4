package extensions

import "testing"

func TestRecognize(t *testing.T) {
	bases := []struct {
		ref  string
		want Recognized
		ok   bool
	}{
		{"bref/php-80-fpm:1", Recognized{Line: 1, PHP: "8.0", Runtime: FPM, Arch: "amd64"}, true},
		{"index.docker.io/bref/arm-php-82-console:2", Recognized{Line: 2, PHP: "8.2", Runtime: Console, Arch: "arm64"}, true},
		{"bref/php-84:3", Recognized{Line: 3, PHP: "8.4", Arch: "amd64"}, true},
		{"bref/php-81", Recognized{PHP: "8.1", Runtime: Function, Arch: "amd64"}, true},
		{"mirror:5000/bref/php-80-fpm:1@sha256:abc", Recognized{Line: 1, PHP: "8.0", Runtime: FPM, Arch: "amd64"}, true},
		{"alpine:3", Recognized{}, false},
		{"bref/extra-redis-php-80:0.10", Recognized{}, false},
	}
	for _, tc := range bases {
		t.Run(tc.ref, func(t *testing.T) {
			got, ok := RecognizeBase(tc.ref)
			if ok != tc.ok || got != tc.want {
				t.Errorf("got %+v %v, want %+v %v", got, ok, tc.want, tc.ok)
			}
		})
	}
	exts := []struct {
		s, name, php, tag string
		ok                bool
	}{
		{"bref/extra-redis-php-80:0.10", "redis", "8.0", "0.10", true},
		{"COPY --from=bref/extra-odbc-snowflake-php-82:1 /opt /opt", "odbc-snowflake", "8.2", "1", true},
		{"docker.io/bref/extra-gmp-php-84:3@sha256:00", "gmp", "8.4", "3", true},
		{"COPY . /var/task", "", "", "", false},
	}
	for _, tc := range exts {
		t.Run(tc.s, func(t *testing.T) {
			name, php, tag, ok := RecognizeExtension(tc.s)
			if name != tc.name || php != tc.php || tag != tc.tag || ok != tc.ok {
				t.Errorf("got %q %q %q %v", name, php, tag, ok)
			}
		})
	}
}
