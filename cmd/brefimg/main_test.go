package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/internal/testregistry"
)

// seeded starts the real registry, seeded with the Bref-like fixtures.
func seeded(t *testing.T, opts ...testregistry.Option) *testregistry.Registry {
	t.Helper()
	reg, err := testregistry.Start(opts...)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Close)
	if len(opts) == 0 {
		if err := fixtures.Seed(context.Background(), reg.Host); err != nil {
			t.Fatal(err)
		}
	}
	reg.Reset()
	return reg
}

// brefimg runs the CLI in-process, with an environment holding only env.
func brefimg(t *testing.T, env map[string]string, args ...string) (code int, stdout, stderr string) {
	t.Helper()
	var out, errb bytes.Buffer
	code = run(context.Background(), args, &out, &errb, func(k string) string {
		if v, ok := env[k]; ok || k != "XDG_CACHE_HOME" {
			return v
		}
		return testCache
	})
	return code, out.String(), errb.String()
}

// appDir is a fresh copy of testdata/app, so tests may change it.
func appDir(t *testing.T) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "app")
	src := filepath.Join("..", "..", "testdata", "app")
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(target, b, info.Mode().Perm())
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// neutralApp is testdata/app with a composer.json that needs no PHP
// extension, for tests of other things than the extension checks.
func neutralApp(t *testing.T) string {
	t.Helper()
	dir := appDir(t)
	composer := `{"name": "example/hello", "require": {"php": "^8.0"}}` + "\n"
	if err := os.WriteFile(filepath.Join(dir, "composer.json"), []byte(composer), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestCommands(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		args     []string
		code     int
		stdout   string
		stderr   string
		noOutput bool
	}{
		{name: "no args", args: nil, code: exitUsage, stderr: "Usage:"},
		{name: "help", args: []string{"help"}, code: exitOK, stdout: "brefimg build [flags] [APP_DIR]"},
		{name: "help build", args: []string{"help", "build"}, code: exitOK, stdout: "--ext"},
		{name: "build --help", args: []string{"build", "--help"}, code: exitOK, stdout: "--source-date-epoch"},
		{name: "unknown command", args: []string{"biuld"}, code: exitUsage, stderr: `did you mean "build"`},
		{name: "unknown flag", args: []string{"build", "--nope"}, code: exitUsage, stderr: "unknown flag: --nope"},
		{name: "version", args: []string{"version"}, code: exitOK, stdout: "brefimg "},
		{name: "extensions", args: []string{"extensions", "--bref", "1"}, code: exitOK, stdout: "redis"},
		{name: "extensions bad line", args: []string{"extensions", "--bref", "7"}, code: exitUsage, stderr: "Bref line 7"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := brefimg(t, nil, tc.args...)
			if code != tc.code {
				t.Errorf("exit code %d, want %d; stderr: %s", code, tc.code, stderr)
			}
			if !strings.Contains(stdout, tc.stdout) {
				t.Errorf("stdout %q does not contain %q", stdout, tc.stdout)
			}
			if !strings.Contains(stderr, tc.stderr) {
				t.Errorf("stderr %q does not contain %q", stderr, tc.stderr)
			}
		})
	}
}
