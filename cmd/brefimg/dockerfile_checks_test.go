package main

import (
	"context"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/internal/fixtures"
)

// offline is a mirror nothing listens on: the registry cannot be reached.
const offline = "127.0.0.1:1"

// writeDockerfile writes a Dockerfile holding text to a new directory and
// returns its path.
func writeDockerfile(t *testing.T, text string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), "Dockerfile")
	if err := os.WriteFile(p, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// TestDockerfileOffline: when the registry cannot be reached, check -f
// runs every check that needs no image (the Dockerfile's own, the app's)
// and says which it skipped; build --dry-run -f prints the plan with a
// note; a build fails (exit 1).
func TestDockerfileOffline(t *testing.T) {
	t.Parallel()
	const tagged = "FROM bref/php-84:3\nCOPY --from=bref/extra-gmp-php-84:3 /opt /opt\nCOPY . /var/task\nCMD [\"public/index.php\"]\n"
	tests := []struct {
		name       string
		args       []string // before -f
		dockerfile string
		app        string // a fixture of testdata/checks; "" for testdata/app
		env        map[string]string
		code       int
		stdout     []string
		stderr     []string
	}{
		{name: "check: the Dockerfile's findings", args: []string{"check"},
			dockerfile: "FROM bref/php-80-fpm\nCOPY --from=bref/extra-redis-php-80:0.12 /opt /opt\nCOPY . /var/task\n",
			code:       exitOK, stdout: []string{"Dockerfile:1: bref/php-80-fpm has no tag", "[bref-untagged]", "0 error(s), 1 warning(s)"},
			stderr: []string{"note: image checks skipped (handler-missing, ext-not-loaded, not-world-readable, tmp-path, ext-outside-opt, unpinned-refs, lock-stale, lambda-*): ",
				"Dockerfile:1: FROM bref/php-80-fpm: pulling bref/php-80-fpm from 127.0.0.1:1: registry 127.0.0.1:1 is unreachable",
				"the Dockerfile was read without the config of bref/php-80-fpm",
				"note: app checks skipped: the base image bref/php-80-fpm has no tag naming its Bref line"}},
		{name: "check: the app checks", args: []string{"check"}, dockerfile: tagged, app: "vendor-missing",
			code: exitUsage, stdout: []string{"vendor-missing/vendor/autoload.php: vendor/autoload.php is missing", "[vendor-missing]", "1 error(s)"},
			stderr: []string{"note: image checks skipped (handler-missing,"}},
		{name: "check: a WORKDIR-relative COPY on a Bref base", args: []string{"check"},
			dockerfile: "FROM bref/php-84:3\nCOPY . .\n", app: "vendor-missing", code: exitUsage, stdout: []string{"[vendor-missing]"}},
		{name: "check --json: the note", args: []string{"check", "--json"}, dockerfile: tagged, app: "vendor-missing",
			code: exitUsage, stdout: []string{`"id": "vendor-missing"`, `"note": "image checks skipped (handler-missing,`}},
		{name: "check under GitHub Actions", args: []string{"check"}, env: map[string]string{"GITHUB_ACTIONS": "true"},
			dockerfile: "FROM bref/php-84\n", code: exitOK, stdout: []string{",line=1,title=brefimg bref-untagged::"}, stderr: []string{"note: image checks skipped"}},
		{name: "check: RUN is refused all the same", args: []string{"check"}, dockerfile: "FROM bref/php-84:3\nRUN pecl install redis\nRUN chmod 755 x\n",
			code: exitUsage, stderr: []string{"Dockerfile:2: RUN pecl install redis: ", "Dockerfile:3: RUN chmod 755 x: "}},
		{name: "build --dry-run: the plan", args: []string{"build", "--dry-run"}, dockerfile: tagged,
			code: exitOK, stdout: []string{"FROM bref/php-84:3 (linux/amd64)", "COPY . /var/task", "Nothing was built"},
			stderr: []string{"note: ", "registry 127.0.0.1:1 is unreachable", "the plan may differ from the build's"}},
		{name: "check --dry-run: the plan", args: []string{"check", "--dry-run"}, dockerfile: tagged,
			code: exitOK, stdout: []string{"FROM bref/php-84:3 (linux/amd64)"}, stderr: []string{"the plan may differ from the build's"}},
		{name: "build: fails", args: []string{"build", "-o", "oci:" + filepath.Join(t.TempDir(), "layout")}, dockerfile: tagged,
			code: exitBuild, stderr: []string{"Dockerfile:1: FROM bref/php-84:3: pulling bref/php-84:3 from 127.0.0.1:1: registry 127.0.0.1:1 is unreachable"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app := appDir(t)
			if tc.app != "" {
				app = checkApp(t, tc.app)
			}
			args := append(append(tc.args, "-f", writeDockerfile(t, tc.dockerfile), "--mirror", offline), app)
			code, stdout, stderr := brefimg(t, tc.env, args...)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s", want, stdout)
				}
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
}

// TestDockerfileFindingPaths: findings about the Dockerfile name it as the
// user gave it with -f (relative to the working directory), not joined to
// the app directory; app files stay relative to the app directory.
// Not parallel: it changes the working directory.
func TestDockerfileFindingPaths(t *testing.T) {
	root := t.TempDir()
	src := checkApp(t, "vendor-missing")
	if err := os.Rename(src, filepath.Join(root, "app")); err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "docker"), 0o755); err != nil {
		t.Fatal(err)
	}
	df := "FROM bref/php-84:3\nCOPY --from=bref/extra-gmp-php-84 /opt /opt\nCOPY . /var/task\n"
	if err := os.WriteFile(filepath.Join(root, "docker", "Dockerfile"), []byte(df), 0o644); err != nil {
		t.Fatal(err)
	}
	t.Chdir(root)
	tests := []struct {
		name   string
		env    map[string]string
		args   []string
		want   []string
		absent []string
	}{
		{name: "text", args: []string{"check", "-f", "docker/Dockerfile", "--mirror", offline, "app/"},
			want:   []string{"warning: docker/Dockerfile:2: bref/extra-gmp-php-84 has no tag", "error: app/vendor/autoload.php: "},
			absent: []string{"app/docker/Dockerfile"}},
		{name: "the app directory given as .", args: []string{"check", "-f", "../docker/Dockerfile", "--mirror", offline, "."},
			want: []string{"warning: ../docker/Dockerfile:2: ", "error: vendor/autoload.php: "}},
		{name: "GitHub annotations", env: map[string]string{"GITHUB_ACTIONS": "true"}, args: []string{"check", "-f", "docker/Dockerfile", "--mirror", offline, "app"},
			want:   []string{"::warning file=docker/Dockerfile,line=2,title=brefimg bref-untagged::", "::error file=app/vendor/autoload.php,title=brefimg vendor-missing::"},
			absent: []string{"app/docker/Dockerfile"}},
		{name: "an absolute -f", env: map[string]string{"GITHUB_ACTIONS": "true"}, args: []string{"check", "-f", filepath.Join(root, "docker", "Dockerfile"), "--mirror", offline, "app"},
			want: []string{"::warning file=docker/Dockerfile,line=2,title=brefimg bref-untagged::"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if tc.name == "the app directory given as ." {
				t.Chdir(filepath.Join(root, "app"))
			}
			_, stdout, stderr := brefimg(t, tc.env, tc.args...)
			for _, want := range tc.want {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s\nstderr:\n%s", want, stdout, stderr)
				}
			}
			for _, absent := range tc.absent {
				if strings.Contains(stdout, absent) {
					t.Errorf("stdout holds %q:\n%s", absent, stdout)
				}
			}
		})
	}
}

// TestDockerfileFindingPathsRegistry: with the registry, the findings of
// the build (ext-not-loaded) and of the Dockerfile name the -f path too.
func TestDockerfileFindingPathsRegistry(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	// Docker Hub's untagged bref/php-80-fpm is :latest: here the Bref 1 image.
	latest, err := fixtures.Get("bref/php-80-fpm:1")
	if err != nil {
		t.Fatal(err)
	}
	tag, _ := name.NewTag(reg.Host + "/bref/php-80-fpm:latest")
	if err := remote.Write(tag, latest, remote.WithContext(context.Background())); err != nil {
		t.Fatal(err)
	}
	df := dockerfilePath("seed")
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{name: "text", want: []string{"warning: " + df + ":1: bref/php-80-fpm has no tag", "warning: " + df + ":3: "}},
		{name: "GitHub annotations", env: map[string]string{"GITHUB_ACTIONS": "true"},
			want: []string{"::warning file=" + df + ",line=1,title=brefimg bref-untagged::", "::warning file=" + df + ",line=3,title=brefimg ext-not-loaded::"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			app := appDir(t)
			_, stdout, stderr := brefimg(t, tc.env, "check", "-f", df, "--mirror", reg.Host, app)
			for _, want := range tc.want {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s\nstderr:\n%s", want, stdout, stderr)
				}
			}
		})
	}
}

// TestDockerfileCopiedApp: the app checks run on what a Dockerfile copies
// to /var/task: a subdirectory of the build context is checked as the app,
// with its findings' paths under it; COPY .. is refused, as it leaves the
// context. The build copies the same subdirectory.
func TestDockerfileCopiedApp(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	const gmp = "FROM bref/php-84:3\nCOPY --from=bref/extra-gmp-php-84:3 /opt /opt\n"
	tests := []struct {
		name   string
		df     string
		sub    string // the directory of the context the app is put in
		app    string // the fixture of testdata/checks
		code   int
		stdout []string
		stderr []string
	}{
		{name: "COPY ./app", df: gmp + "COPY ./app /var/task\n", sub: "app", app: "vendor-missing", code: exitUsage,
			stdout: []string{"ctx/app/vendor/autoload.php: vendor/autoload.php is missing", "[vendor-missing]"}},
		{name: "COPY ./src", df: "FROM bref/php-84:3\nCOPY ./src /var/task\n", sub: "src", app: "ext-missing", code: exitUsage,
			stdout: []string{"ctx/src/composer.json:", "[ext-missing]"}},
		{name: "COPY src/ with WORKDIR", df: gmp + "WORKDIR /var/task\nCOPY src/ .\n", sub: "src", app: "secret-dotenv", code: exitOK,
			stdout: []string{"ctx/src/.env: .env is in the app", "[secret-dotenv]"}},
		{name: "COPY ./src of a clean app", df: gmp + "COPY ./src /var/task\n", sub: "src", app: "clean-laravel", code: exitOK,
			stdout: []string{"0 error(s)"}},
		{name: "COPY ..", df: gmp + "COPY .. /var/task\n", sub: "src", app: "clean-laravel", code: exitUsage,
			stderr: []string{"Dockerfile:3: COPY .. /var/task: .. is outside the build context", "and COPY ., with the other sources relative to that context"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := filepath.Join(t.TempDir(), "ctx")
			if err := os.MkdirAll(ctx, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(checkApp(t, tc.app), filepath.Join(ctx, tc.sub)); err != nil {
				t.Fatal(err)
			}
			if tc.app == "secret-dotenv" {
				if err := os.WriteFile(filepath.Join(ctx, tc.sub, ".env"), []byte("APP_KEY=base64:x\n"), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, stdout, stderr := brefimg(t, nil, "check", "-f", writeDockerfile(t, tc.df), "--mirror", reg.Host, ctx)
			if code != tc.code {
				t.Errorf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tc.code, stdout, stderr)
			}
			for _, want := range tc.stdout {
				if !strings.Contains(stdout, want) {
					t.Errorf("stdout lacks %q:\n%s\nstderr:\n%s", want, stdout, stderr)
				}
			}
			for _, want := range tc.stderr {
				if !strings.Contains(stderr, want) {
					t.Errorf("stderr lacks %q:\n%s", want, stderr)
				}
			}
		})
	}
}

// TestDockerfileCopiedAppBuild: the image of COPY ./src /var/task holds the
// subdirectory's files at /var/task, and the metadata the app findings
// with paths relative to the context.
func TestDockerfileCopiedAppBuild(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	ctx := filepath.Join(t.TempDir(), "ctx")
	if err := os.MkdirAll(ctx, 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.Rename(checkApp(t, "secret-dotenv"), filepath.Join(ctx, "src")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(ctx, "src", ".env"), []byte("APP_KEY=base64:x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	md := filepath.Join(t.TempDir(), "metadata.json")
	df := writeDockerfile(t, "FROM bref/php-84:3\nCOPY ./src /var/task\nCMD [\"public/index.php\"]\n")
	code, stdout, stderr := brefimg(t, nil, "build", "-q", "-f", df, "--mirror", reg.Host, "-t", reg.Host+"/subdir:1", "--metadata-file", md, ctx)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	tree := files(t, pulled(t, stdout))
	for _, p := range []string{"/var/task/composer.json", "/var/task/public/index.php", "/var/task/.env"} {
		if _, ok := tree[p]; !ok {
			t.Errorf("the image lacks %s", p)
		}
	}
	if _, ok := tree["/var/task/src"]; ok {
		t.Error("the image holds /var/task/src: COPY ./src copies the directory's contents")
	}
	b, err := os.ReadFile(md)
	if err != nil {
		t.Fatal(err)
	}
	var meta struct{ Findings []findings.Finding }
	if err := json.Unmarshal(b, &meta); err != nil {
		t.Fatal(err)
	}
	found := false
	for _, f := range meta.Findings {
		found = found || (f.ID == findings.IDSecretDotenv && f.Path == "src/.env")
	}
	if !found {
		t.Errorf("the metadata lacks secret-dotenv at src/.env: %+v", meta.Findings)
	}
}
