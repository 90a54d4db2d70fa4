package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/flagplan"
)

// needsLineValue skips a test of the inferred Bref line until --bref is
// declared with flagplan.NewLineValue (before, the flag passes its default,
// 3, as if it were given, and 0 as "not given").
func needsLineValue(t *testing.T) {
	t.Helper()
	var o buildOptions
	if _, ok := newBuildFlags(&o, false).Lookup("bref").Value.(*flagplan.LineValue); !ok {
		t.Skip("--bref is not declared with flagplan.NewLineValue yet")
	}
}

// corpusApp is the path of an app of testdata/apps.
func corpusApp(name string) string {
	return filepath.Join("..", "..", "testdata", "apps", name)
}

func TestBrefLineFromTheApp(t *testing.T) {
	t.Parallel()
	needsLineValue(t)
	// testdata/app requires bref/bref ^1.7 and has no composer.lock.
	code, stdout, stderr := brefimg(t, nil, "build", "--dry-run", appDir(t))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		`--bref\s+1\s+\(composer.json require bref/bref \^1.7\)`,
		`--php\s+8.2\s+\(the newest the Composer files allow\)`,
		`Bref 1 \(composer.json require bref/bref \^1.7\), PHP 8.2 \(the newest the Composer files allow\)`,
		`FROM bref/php-82-fpm:1 \(linux/amd64\)`,
	} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("dry run lacks %s:\n%s", want, stdout)
		}
	}
	// A line given wins, and says where it was given.
	code, stdout, stderr = brefimg(t, map[string]string{"BREFIMG_BREF": "3"}, "build", "--dry-run", appDir(t))
	if code != exitOK || !strings.Contains(stdout, "Bref 3 (env), PHP 8.5 (the newest the Composer files allow)") {
		t.Errorf("exit %d, stdout %s, stderr %s", code, stdout, stderr)
	}
}

func TestBrefZeroRefused(t *testing.T) {
	t.Parallel()
	needsLineValue(t)
	tests := []struct {
		name string
		args []string
		env  map[string]string
		yaml string
		want string
	}{
		{name: "flag", args: []string{"--bref", "0"}, want: `invalid argument "0" for "--bref" flag: Bref 0.x had no container images`},
		{name: "env", env: map[string]string{"BREFIMG_BREF": "0"}, want: `BREFIMG_BREF="0"`},
		{name: "brefimg.yaml", yaml: "bref: 0\n", want: "brefimg.yaml: bref:"},
		{name: "a line that does not exist", args: []string{"--bref", "4"}, want: "--bref 4: Bref line 4 does not exist: use 1, 2 or 3"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := appDir(t)
			if tc.yaml != "" {
				if err := os.WriteFile(filepath.Join(dir, "brefimg.yaml"), []byte(tc.yaml), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			args := append(append([]string{"build", "--dry-run"}, tc.args...), dir)
			code, stdout, stderr := brefimg(t, tc.env, args...)
			if code != exitUsage || !strings.Contains(stderr, tc.want) || stdout != "" {
				t.Errorf("exit %d, stdout %q, stderr %s; want exit 2 naming %q", code, stdout, stderr, tc.want)
			}
		})
	}
}

func TestBref0App(t *testing.T) {
	t.Parallel()
	needsLineValue(t)
	code, stdout, stderr := brefimg(t, nil, "build", "--dry-run", corpusApp("symfony-sqs-bref0"))
	want := "brefimg: --bref: composer.lock:31: bref/bref 0.5.12 is Bref 0.x, which had no container images"
	if code != exitUsage || !strings.Contains(stderr, want) || !strings.Contains(stderr, "Bref 1 or newer") {
		t.Errorf("exit %d, stdout %s, stderr %s; want exit 2 naming %q", code, stdout, stderr, want)
	}
}

// TestCheckUnsatisfiableOnce: symfony/demo requires PHP >= 8.4, which no
// Bref 1 image has: without --php, check reports that once, not a
// php-require, 47 php-package and a php-platform error.
func TestCheckUnsatisfiableOnce(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := brefimg(t, nil, "check", "--json", "--bref", "1", "--mirror", "127.0.0.1:1", corpusApp("symfony-demo"))
	if code != exitUsage {
		t.Fatalf("exit %d, want %d (errors found): %s", code, exitUsage, stderr)
	}
	var report struct {
		Findings []findings.Finding `json:"findings"`
	}
	if err := json.Unmarshal([]byte(stdout), &report); err != nil {
		t.Fatalf("%v: %s", err, stdout)
	}
	var php []findings.Finding
	for _, f := range report.Findings {
		if strings.HasPrefix(f.ID, "php-") {
			php = append(php, f)
		}
	}
	if len(php) != 1 || php[0].ID != findings.IDPHPUnsatisfiable || !strings.Contains(php[0].Message, `">=8.4"`) ||
		!strings.Contains(php[0].Message, "7.3, 7.4, 8.0, 8.1 and 8.2") {
		t.Errorf("PHP findings:\n%s\nwant one php-unsatisfiable naming >=8.4 and Bref 1's versions", findings.Join(php))
	}
}

// TestCheckCorpus: brefimg check, without flags, says what the golden
// files of testdata/apps say (checks' TestCorpus writes them).
func TestCheckCorpus(t *testing.T) {
	t.Parallel()
	needsLineValue(t)
	for _, name := range []string{"laravel-bref1", "laravel-bref2-nolock", "laravel-bref3-nolock", "laravel-no-bref", "symfony-bref2", "symfony-demo"} {
		t.Run(name, func(t *testing.T) {
			want, err := os.ReadFile(filepath.Join("..", "..", "testdata", "apps", "want", name+".findings"))
			if err != nil {
				t.Fatal(err)
			}
			code, stdout, stderr := brefimg(t, nil, "check", "--json", "--mirror", "127.0.0.1:1", corpusApp(name))
			if code != exitOK && code != exitUsage {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			var report struct {
				Findings []findings.Finding `json:"findings"`
			}
			if err := json.Unmarshal([]byte(stdout), &report); err != nil {
				t.Fatalf("%v: %s", err, stdout)
			}
			lines := strings.SplitAfterN(string(want), "\n", 2)
			if got := findings.Join(report.Findings) + "\n"; len(report.Findings) > 0 && got != lines[1] || len(report.Findings) == 0 && lines[1] != "" {
				t.Errorf("check says:\n%s\nthe golden file:\n%s", got, lines[1])
			}
		})
	}
}
