package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/brefimg/brefimg/findings"
)

// checkApp copies testdata/checks/<name> to a temporary directory.
func checkApp(t *testing.T, name string) string {
	t.Helper()
	src := filepath.Join("..", "..", "testdata", "checks", name)
	dst := filepath.Join(t.TempDir(), name)
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), b, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

func TestExtAuto(t *testing.T) {
	t.Parallel()
	code, stdout, stderr := brefimg(t, nil, "build", "--dry-run", "--bref", "1", "--php", "8.0", "--ext", "auto", appDir(t))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var copies []string
	for _, l := range strings.Split(stdout, "\n") {
		if strings.Contains(l, "COPY --from=") {
			copies = append(copies, strings.TrimSpace(l))
		}
	}
	want := []string{"COPY --from=bref/extra-gmp-php-80:0.12 /opt /opt", "COPY --from=bref/extra-redis-php-80:0.12 /opt /opt"}
	if strings.Join(copies, "\n") != strings.Join(want, "\n") {
		t.Errorf("--ext auto added:\n%s\nwant:\n%s", strings.Join(copies, "\n"), strings.Join(want, "\n"))
	}
}

func TestPHPFromComposer(t *testing.T) {
	t.Parallel()
	// clean-laravel requires php ^8.2 with config.platform.php 8.4.0.
	code, stdout, stderr := brefimg(t, nil, "build", "--dry-run", "--bref", "3", checkApp(t, "clean-laravel"))
	if code != exitOK || !strings.Contains(stdout, "FROM bref/php-84:3") {
		t.Errorf("exit %d, stdout %s, stderr %s", code, stdout, stderr)
	}
}

func TestCheckCommand(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	t.Run("clean app", func(t *testing.T) {
		code, stdout, stderr := brefimg(t, nil, "check", "--mirror", reg.Host, "--bref", "3", "--ext", "gmp", checkApp(t, "clean-laravel"))
		if code != exitOK || !strings.Contains(stdout, "0 error(s), 1 warning(s)") || !strings.Contains(stdout, "unpinned-refs") {
			t.Errorf("exit %d, stdout %s, stderr %s", code, stdout, stderr)
		}
		if reg.BlobUploads() != 0 {
			t.Error("check pushed something")
		}
	})
	t.Run("GitHub annotations", func(t *testing.T) {
		app := checkApp(t, "ext-missing")
		code, stdout, _ := brefimg(t, map[string]string{"GITHUB_ACTIONS": "true"}, "check", "--mirror", reg.Host, "--php", "8.4", app)
		re := regexp.MustCompile(`(?m)^::error file=[^,]*ext-missing/composer.json,line=\d+,title=brefimg ext-missing::.*add the extension gmp`)
		if code != exitUsage || !re.MatchString(stdout) {
			t.Errorf("exit %d, stdout:\n%s", code, stdout)
		}
	})
	t.Run("JSON", func(t *testing.T) {
		code, stdout, stderr := brefimg(t, nil, "check", "--json", "--mirror", reg.Host, checkApp(t, "vendor-missing"))
		var out struct{ Findings []findings.Finding }
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatalf("%v: %s %s", err, stdout, stderr)
		}
		found := false
		for _, f := range out.Findings {
			found = found || (f.ID == "vendor-missing" && f.Severity == findings.Error && strings.Contains(f.Message, "composer install --no-dev"))
		}
		if code != exitUsage || !found {
			t.Errorf("exit %d, findings %+v", code, out.Findings)
		}
	})
	t.Run("image checks skipped without a registry", func(t *testing.T) {
		code, stdout, stderr := brefimg(t, nil, "check", "--mirror", "127.0.0.1:1", "--bref", "3", "--ext", "gmp", checkApp(t, "clean-laravel"))
		if code != exitOK || !strings.Contains(stderr, "image checks skipped") || !strings.Contains(stdout, "0 error(s)") {
			t.Errorf("exit %d, stdout %s, stderr %s", code, stdout, stderr)
		}
	})
}

func TestCheckPolicy(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	app := appDir(t) // requires ext-redis and ext-gmp
	base := []string{"build", "--bref", "1", "--php", "8.0", "--mirror", reg.Host, "-t", reg.Host + "/policy:1"}
	t.Run("errors stop the build before any push", func(t *testing.T) {
		reg.Reset()
		code, stdout, stderr := brefimg(t, nil, append(base, app)...)
		if code != exitUsage || stdout != "" || strings.Count(stderr, "[ext-missing]") != 2 || !strings.Contains(stderr, "nothing was written or pushed") {
			t.Errorf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
		}
		for _, r := range reg.Requests() {
			if r.Method != "GET" && r.Method != "HEAD" {
				t.Errorf("a stopped build wrote to the registry: %s %s", r.Method, r.Path)
			}
		}
	})
	t.Run("--skip-check silences", func(t *testing.T) {
		code, _, stderr := brefimg(t, nil, append(base, "--skip-check", "ext-missing", app)...)
		if code != exitOK || strings.Contains(stderr, "ext-missing") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("--strict makes warnings errors", func(t *testing.T) {
		code, _, stderr := brefimg(t, nil, append(base, "--ext", "redis,gmp", "--strict", app)...)
		if code != exitUsage || !strings.Contains(stderr, "error: built from tags") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("unknown check ID", func(t *testing.T) {
		code, _, stderr := brefimg(t, nil, append(base, "--skip-check", "ext-mising", app)...)
		if code != exitUsage || !strings.Contains(stderr, `did you mean "ext-missing"`) {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
}
