package main

import (
	"encoding/base64"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brefimg/brefimg/internal/testregistry"
)

func testregistryBasicAuth(user, password string) testregistry.Option {
	return testregistry.WithBasicAuth(user, password)
}

func basicAuth(user, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(user + ":" + password))
}

// TestBadInput checks that each bad input gets a clear message, exit code 2,
// and that nothing is written.
func TestBadInput(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	app := appDir(t)
	notDir := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(notDir, []byte("x"), 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name     string
		args     []string
		want     []string
		noApp    bool // the args name the app dir themselves
		noMirror bool // the args set --mirror themselves
	}{
		{name: "unknown extension", args: []string{"--bref", "1", "--php", "8.0", "--ext", "redsi"}, want: []string{`unknown extension "redsi"`, `did you mean "redis"`}},
		{name: "extension not built for the PHP version", args: []string{"--bref", "2", "--php", "8.4", "--ext", "imap"}, want: []string{"--ext imap: extension imap has no image for PHP 8.4 on Bref 2", "8.3"}},
		{name: "extension never published for the PHP version", args: []string{"--bref", "2", "--php", "8.4", "--ext", "memcached"}, want: []string{"extension memcached has no image for PHP 8.4 on Bref 2"}},
		{name: "extension disabled on the line", args: []string{"--bref", "3", "--ext", "tidy"}, want: []string{`extension "tidy" has no image on Bref 3 (it is disabled there): Bref 1 has it for PHP 7.3, 7.4, 8.0, 8.1 and 8.2; Bref 2 has it for PHP 8.0, 8.1, 8.2, 8.3 and 8.4`}},
		{name: "extension tag without the image", args: []string{"--bref", "1", "--php", "8.1", "--ext", "redis@0.10"}, want: []string{"tag 0.10 (release 0.10.10) has no image for PHP 8.1: tag 0.12 has it"}},
		{name: "extension not on the line", args: []string{"--bref", "1", "--php", "8.0", "--ext", "bsdiff"}, want: []string{`"bsdiff"`, "Bref 2"}},
		{name: "extension on arm64", args: []string{"--bref", "2", "--php", "8.2", "--platform", "linux/arm64", "--ext", "redis"}, want: []string{"brefimg: --ext redis: extension redis:", "arm64", "linux/amd64"}},
		{name: "PHP not on the line", args: []string{"--bref", "1", "--php", "8.4"}, want: []string{"brefimg: --php 8.4: PHP 8.4 does not exist on Bref 1"}},
		{name: "bad PHP version", args: []string{"--php", "eight"}, want: []string{`"eight"`}},
		{name: "bad runtime", args: []string{"--runtime", "lambda"}, want: []string{`brefimg: --runtime lambda: runtime "lambda" does not exist`, "fpm"}},
		{name: "bad line", args: []string{"--bref", "9"}, want: []string{"brefimg: --bref 9: Bref line 9"}},
		{name: "bad platform", args: []string{"--platform", "windows/amd64"}, want: []string{"brefimg: --platform windows/amd64: ", "linux/arm64"}},
		{name: "missing app dir", args: []string{"--bref", "1", "--php", "8.0", "/nonexistent/app"}, want: []string{`"/nonexistent/app"`, "no such file"}, noApp: true},
		{name: "app dir is a file", args: []string{"--bref", "1", "--php", "8.0", notDir}, want: []string{notDir, "not a directory"}, noApp: true},
		{name: "malformed tag", args: []string{"--bref", "1", "--php", "8.0", "-t", "UPPER/Case::x"}, want: []string{`-t "UPPER/Case::x"`}},
		{name: "tag is a digest", args: []string{"--bref", "1", "--php", "8.0", "-t", reg.Host + "/app@sha256:" + strings.Repeat("a", 64)}, want: []string{"digest"}},
		{name: "unknown output scheme", args: []string{"--bref", "1", "--php", "8.0", "-o", "zip:out.zip"}, want: []string{`-o "zip:out.zip"`, "oci:DIR"}},
		{name: "bad epoch", args: []string{"--source-date-epoch", "yesterday"}, want: []string{"--source-date-epoch"}},
		{name: "missing image", args: []string{"--bref", "1", "--php", "8.1", "--base", "bref/does-not-exist:1"}, want: []string{"bref/does-not-exist:1", "no such image"}},
		{name: "missing handler", args: []string{"--bref", "1", "--php", "8.0", "--cmd", "public/missing.php"}, want: []string{"handler-missing", "public/missing.php"}},
		{name: "two app dirs", args: []string{"a", "b"}, want: []string{"one APP_DIR"}, noApp: true},
		{name: "split outside the app", args: []string{"--bref", "1", "--php", "8.0", "--split", "../x"}, want: []string{`brefimg: --split ../x: split directory "../x"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			out := t.TempDir()
			digestFile := filepath.Join(out, "digest")
			args := []string{"build", "--digest-file", digestFile, "-o", "oci:" + filepath.Join(out, "layout")}
			if !tc.noMirror {
				args = append(args, "--mirror", reg.Host)
			}
			args = append(args, tc.args...)
			if !tc.noApp {
				args = append(args, app)
			}
			reg.Reset()
			code, stdout, stderr := brefimg(t, nil, args...)
			if code != exitUsage {
				t.Errorf("exit %d, want %d; stderr: %s", code, exitUsage, stderr)
			}
			for _, w := range tc.want {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr lacks %q:\n%s", w, stderr)
				}
			}
			if stdout != "" {
				t.Errorf("stdout %q, want nothing", stdout)
			}
			if strings.Contains(stderr, "goroutine ") || strings.Contains(stderr, "panic") {
				t.Errorf("stack trace in stderr:\n%s", stderr)
			}
			if entries, _ := os.ReadDir(out); len(entries) != 0 {
				t.Errorf("a failed build wrote %v", entries)
			}
			for _, r := range reg.Requests() {
				if r.Method == "PUT" || r.Method == "POST" || r.Method == "PATCH" {
					t.Errorf("a failed build wrote to the registry: %s %s", r.Method, r.Path)
				}
			}
		})
	}
}

// TestInputNamedWhereSet checks that an input error names the input where
// the user set it: the flag, the environment variable or brefimg.yaml.
func TestInputNamedWhereSet(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		env  map[string]string
		file string // brefimg.yaml
		args []string
		want string
	}{
		{name: "flag", args: []string{"--bref", "1", "--php", "8.4"}, want: "brefimg: --php 8.4: PHP 8.4 does not exist on Bref 1"},
		{name: "environment", env: map[string]string{"BREFIMG_BREF": "1", "BREFIMG_PHP": "8.4"}, want: "brefimg: BREFIMG_PHP=8.4: PHP 8.4 does not exist on Bref 1"},
		{name: "brefimg.yaml", file: "bref: 1\nphp: \"8.4\"\n", want: "brefimg.yaml: php: 8.4: PHP 8.4 does not exist on Bref 1"},
		{name: "default", args: []string{"--runtime", "console", "--bref", "1", "--ext", "redis@0.12", "--platform", "linux/arm64"}, want: "brefimg: --platform linux/arm64: Bref 1 has no arm64 images"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			app := t.TempDir()
			if tc.file != "" {
				if err := os.WriteFile(filepath.Join(app, "brefimg.yaml"), []byte(tc.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := append([]string{"build", "--dry-run"}, tc.args...)
			code, _, stderr := brefimg(t, tc.env, append(args, app)...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %q, want exit %d and %q", code, stderr, exitUsage, tc.want)
			}
		})
	}
}
