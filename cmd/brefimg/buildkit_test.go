package main

import (
	"context"
	"crypto/sha256"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/google/go-containerregistry/pkg/v1/validate"
	"github.com/moby/buildkit/client"

	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/internal/testbuildkit"
	"github.com/brefimg/brefimg/internal/testregistry"
)

// shellBase is the Bref base the BuildKit tests build on, pushed with a
// shell (the real one has Amazon Linux's); dockerBase is a base with
// Docker media types (Bref 2's), pushed with a shell too.
const (
	shellBase  = "bref/php-84:3"
	dockerBase = "bref/php-82-fpm:2"
)

// buildkitRegistry is a seeded registry whose shellBase has a shell, and
// the address of the tests' BuildKit daemon.
func buildkitRegistry(t *testing.T) (*testregistry.Registry, string) {
	t.Helper()
	addr := testbuildkit.Addr(t)
	reg := seeded(t)
	if err := fixtures.PushWithShell(context.Background(), reg.Host, []string{shellBase, dockerBase}); err != nil {
		t.Fatal(err)
	}
	return reg, addr
}

// lambdaImage reads the image brefimg printed back from the registry and
// checks it is what Lambda takes: one valid single-platform manifest (no
// index, no attestation) with gzip layers, for linux/amd64.
func lambdaImage(t *testing.T, ref string) v1.Image {
	t.Helper()
	r, err := name.ParseReference(strings.TrimSpace(ref))
	if err != nil {
		t.Fatalf("brefimg printed %q: %v", ref, err)
	}
	desc, err := remote.Get(r)
	if err != nil {
		t.Fatal(err)
	}
	if !desc.MediaType.IsImage() {
		t.Fatalf("pushed a %s, not an image manifest", desc.MediaType)
	}
	img := pulled(t, ref)
	if err := validate.Image(img); err != nil {
		t.Fatalf("the pushed image is not valid: %v", err)
	}
	m, err := img.Manifest()
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range m.Layers {
		if l.MediaType != types.OCILayer && l.MediaType != types.DockerLayer {
			t.Errorf("layer %s is %s, not gzip", l.Digest, l.MediaType)
		}
	}
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if cf.OS != "linux" || cf.Architecture != "amd64" {
		t.Errorf("image for %s/%s", cf.OS, cf.Architecture)
	}
	return img
}

// shellImage is shellBase as buildkitRegistry pushes it.
func shellImage(t *testing.T) v1.Image {
	t.Helper()
	fixture, err := fixtures.Get(shellBase)
	if err != nil {
		t.Fatal(err)
	}
	img, err := fixtures.WithShell(fixture)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// runApp is a PHP app with a handler and no Composer requirements, with
// vendor/ installed or not.
func runApp(t *testing.T, vendor bool) string {
	files := map[string]string{"public/index.php": "<?php echo 'hello';\n"}
	if vendor {
		files["vendor/autoload.php"] = "<?php\n"
	}
	return fixtures.WriteDir(t, files)
}

// TestBuildKitRun builds Dockerfiles that RUN commands on a real BuildKit
// daemon, with the images brefimg pulled from the in-process registry.
func TestBuildKitRun(t *testing.T) {
	t.Parallel()
	reg, addr := buildkitRegistry(t)
	build := func(t *testing.T, df string, vendor bool, args ...string) (int, string, string) {
		t.Helper()
		dockerfile, app := writeDockerfile(t, df), runApp(t, vendor)
		args = append([]string{"build", "--progress", "plain", "-f", dockerfile, "--mirror", reg.Host, "--buildkit", addr,
			"--source-date-epoch", "1700000000"}, args...)
		return brefimg(t, nil, append(args, app)...)
	}

	t.Run("composer-like RUN in the final stage", func(t *testing.T) {
		t.Parallel()
		// The context has no vendor/: the RUN makes it, and the app
		// checks see the image's /var/task, not the context.
		code, stdout, stderr := build(t, "FROM "+shellBase+"\nCOPY . /var/task\n"+
			"RUN mkdir -p /var/task/vendor/composer /var/task/php/conf.d && echo '<?php // installed' > /var/task/vendor/composer/installed.php && "+
			"echo '<?php' > /var/task/vendor/autoload.php && echo 'memory_limit=256M' > /var/task/php/conf.d/app.ini && echo composer done\n"+
			"CMD [\"public/index.php\"]\n", false, "-t", reg.Host+"/app:run")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		for _, want := range []string{"buildkit: [", "RUN mkdir -p /var/task/vendor/composer", "  | composer done"} {
			if !strings.Contains(stderr, want) {
				t.Errorf("progress lacks %q:\n%s", want, stderr)
			}
		}
		img := lambdaImage(t, stdout)
		tree := files(t, img)
		if f, ok := tree["/var/task/vendor/composer/installed.php"]; !ok || !strings.Contains(f.Content, "installed") {
			t.Errorf("the RUN step's file is missing: %+v", f)
		}
		if _, ok := tree["/var/task/public/index.php"]; !ok {
			t.Error("the app is missing")
		}
		cf, _ := img.ConfigFile()
		if strings.Join(cf.Config.Cmd, " ") != "public/index.php" || cf.Created.Unix() != 1700000000 {
			t.Errorf("config: CMD %q, created %v", cf.Config.Cmd, cf.Created)
		}
		// The base's blobs are the base's: BuildKit rewrote the times of
		// the layers it made, not of the base's (nothing of the base is
		// pushed again).
		base := shellImage(t)
		got, want := layerDigests(t, img), layerDigests(t, base)
		if len(got) != len(want)+2 || !slices.Equal(got[:len(want)], want) {
			t.Errorf("layers %v, want the base's %v and two more", got, want)
		}
	})

	t.Run("RUN only in a builder stage, final stage built by brefimg", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := build(t, "FROM "+shellBase+" AS vendor\nCOPY . /app\n"+
			"RUN mkdir -p /app/vendor && echo '<?php' > /app/vendor/autoload.php && echo 'body{}' > /app/app.css\n"+
			"FROM "+shellBase+"\nCOPY . /var/task\nCOPY --from=vendor /app/vendor /var/task/vendor\nCOPY --from=vendor /app/app.css /var/task/public/app.css\n",
			false, "-t", reg.Host+"/app:stage")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		img := lambdaImage(t, stdout)
		if f, ok := files(t, img)["/var/task/public/app.css"]; !ok || f.Content != "body{}\n" {
			t.Errorf("the builder stage's file: %+v", f)
		}
		base := shellImage(t)
		// brefimg built the final stage: the base's layers and its three COPYs.
		if got, want := len(layerDigests(t, img)), len(layerDigests(t, base))+3; got != want {
			t.Errorf("%d layers, want %d", got, want)
		}
	})

	t.Run("a package step writing under /opt, and /tmp", func(t *testing.T) {
		t.Parallel()
		md := filepath.Join(t.TempDir(), "metadata.json")
		code, stdout, stderr := build(t, "FROM "+shellBase+"\n"+
			"RUN mkdir -p /opt/tool/bin && printf '#!/bin/sh\\necho tool\\n' > /opt/tool/bin/tool && chmod 755 /opt/tool/bin/tool\n"+
			"RUN echo cache > /tmp/warmup.cache\nCOPY . /var/task\n", true, "-t", reg.Host+"/app:opt", "--metadata-file", md)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		if !strings.Contains(stderr, "[tmp-path]") || !strings.Contains(stderr, "Dockerfile:3:") {
			t.Errorf("no /tmp finding at the RUN's line:\n%s", stderr)
		}
		tree := files(t, lambdaImage(t, stdout))
		if f, ok := tree["/opt/tool/bin/tool"]; !ok || f.Mode&0o755 != 0o755 {
			t.Errorf("/opt/tool/bin/tool: %+v", f)
		}
		raw, err := os.ReadFile(md)
		if err != nil {
			t.Fatal(err)
		}
		var meta struct {
			Layers []struct{ Kind string } `json:"layers"`
		}
		if err := json.Unmarshal(raw, &meta); err != nil {
			t.Fatal(err)
		}
		runs := 0
		for _, l := range meta.Layers {
			if l.Kind == "run" {
				runs++
			}
		}
		if runs != 2 {
			t.Errorf("metadata has %d layers made by RUN, want 2:\n%s", runs, raw)
		}
	})

	t.Run("a base with Docker media types keeps them", func(t *testing.T) {
		t.Parallel()
		code, stdout, stderr := build(t, "FROM "+dockerBase+"\nCOPY . /var/task\nRUN echo built > /var/task/built.txt\n", true, "-t", reg.Host+"/app:docker")
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		img := lambdaImage(t, stdout)
		if mt, _ := img.MediaType(); mt != types.DockerManifestSchema2 {
			t.Errorf("manifest %s, want Docker's, as the base", mt)
		}
		cf, _ := img.ConfigFile()
		if !strings.HasPrefix(cf.Config.Labels["org.opencontainers.image.base.digest"], "sha256:") {
			t.Errorf("the base is not recorded in the labels: %v", cf.Config.Labels)
		}
		if f, ok := files(t, img)["/var/task/built.txt"]; !ok || f.Content != "built\n" {
			t.Errorf("/var/task/built.txt: %+v", f)
		}
	})

	t.Run("a secret reaches the RUN, never the image or the output", func(t *testing.T) {
		t.Parallel()
		// The RUN compares digests: the Dockerfile (in the history) must
		// not hold the secret itself.
		const secret = "s3cret-token-value"
		sum := fmt.Sprintf("%x", sha256.Sum256([]byte(secret)))
		dockerfile := writeDockerfile(t, "FROM "+shellBase+"\nCOPY . /var/task\n"+
			"RUN --mount=type=secret,id=token,required=true test \"$(sha256sum < /run/secrets/token | cut -c1-64)\" = "+sum+" && echo ok > /var/task/secret-ok\n"+
			"RUN --mount=type=secret,id=token,env=TOKEN test \"$(printf %s \"$TOKEN\" | sha256sum | cut -c1-64)\" = "+sum+" && echo ok > /var/task/secret-env-ok\n")
		code, stdout, stderr := brefimg(t, map[string]string{"BREFIMG_TEST_TOKEN": secret}, "build", "--progress", "plain", "-f", dockerfile,
			"--mirror", reg.Host, "--buildkit", addr, "--secret", "id=token,env=BREFIMG_TEST_TOKEN", "-t", reg.Host+"/app:secret", runApp(t, true))
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		img := lambdaImage(t, stdout)
		tree := files(t, img)
		for _, p := range []string{"/var/task/secret-ok", "/var/task/secret-env-ok"} {
			if _, ok := tree[p]; !ok {
				t.Errorf("the RUN did not read the secret (%s)", p)
			}
		}
		raw, err := img.RawConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		for where, text := range map[string]string{"output": stdout + stderr, "config and history": string(raw)} {
			if strings.Contains(text, secret) {
				t.Errorf("the secret is in the %s", where)
			}
		}
		for p, f := range tree {
			if strings.Contains(f.Content, secret) {
				t.Errorf("the secret is in %s", p)
			}
		}
	})

	t.Run("an image the daemon would pull itself is refused", func(t *testing.T) {
		t.Parallel()
		code, _, stderr := build(t, "FROM "+shellBase+"\nRUN --mount=type=bind,from=example/tools:1,target=/tools true\n", true, "-t", reg.Host+"/app:pull")
		if code != exitBuild || !strings.Contains(stderr, "BuildKit would pull that image itself, unpinned") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})

	t.Run("a failing RUN fails the build and pushes nothing", func(t *testing.T) {
		t.Parallel()
		code, _, stderr := build(t, "FROM "+shellBase+"\nRUN echo about to fail && exit 3\n", true, "-t", reg.Host+"/app:fail")
		if code != exitBuild || !strings.Contains(stderr, "exit code: 3") || strings.Contains(stderr, "goroutine") {
			t.Errorf("exit %d: %s", code, stderr)
		}
		if _, err := remote.Head(mustTag(t, reg.Host+"/app:fail")); err == nil {
			t.Error("the failed build pushed its tag")
		}
	})
}

// TestBuildKitOnTerminal: on a terminal, a step BuildKit runs has a
// spinner with its time while it runs, and its lines stay above the bars.
func TestBuildKitOnTerminal(t *testing.T) {
	t.Parallel()
	reg, addr := buildkitRegistry(t)
	dockerfile := writeDockerfile(t, "FROM "+shellBase+"\nCOPY . /var/task\nRUN echo slow step && sleep 1\n")
	screen, stdout := onTerminal(t, "build", "-f", dockerfile, "--mirror", reg.Host, "--buildkit", addr, "-t", reg.Host+"/app:tty", runApp(t, true))
	if !strings.HasPrefix(stdout, reg.Host+"/app@sha256:") {
		t.Errorf("stdout %q", stdout)
	}
	if !regexp.MustCompile(`\[2/3\] RUN echo slow step && sleep 1 +\S+ +[0-9]+s`).MatchString(screen) {
		t.Errorf("no spinner for the running step:\n%q", screen)
	}
	for _, want := range []string{"buildkit: [2/3] RUN echo slow step", "  | slow step", "built " + reg.Host + "/app@sha256:"} {
		if !strings.Contains(screen, want) {
			t.Errorf("the terminal lacks %q:\n%q", want, screen)
		}
	}
	if strings.Contains(screen, "WARN") || strings.Contains(screen, "level=") {
		t.Errorf("a library's log reached the terminal:\n%q", screen)
	}
}

// TestBuildKitReproducibleAndLocked: the same inputs give the same digest,
// even after the daemon's cache is pruned (RUN runs again); a locked build
// uses the pinned digest of the base when its tag has moved.
func TestBuildKitReproducibleAndLocked(t *testing.T) {
	t.Parallel()
	reg, addr := buildkitRegistry(t)
	dockerfile, app := writeDockerfile(t, "FROM "+shellBase+"\nCOPY . /var/task\nRUN echo generated > /var/task/generated.txt && mkdir /var/task/cache\n"), runApp(t, true)
	build := func(args ...string) string {
		t.Helper()
		args = append([]string{"build", "-q", "-f", dockerfile, "--mirror", reg.Host, "--buildkit", addr}, args...)
		code, stdout, stderr := brefimg(t, nil, append(args, app)...)
		if code != exitOK {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		return strings.TrimSpace(stdout)
	}
	code, _, stderr := brefimg(t, nil, "lock", "-f", dockerfile, "--mirror", reg.Host, app)
	if code != exitOK {
		t.Fatalf("lock: exit %d: %s", code, stderr)
	}
	first := build("--locked", "-t", reg.Host+"/repro:1")
	lambdaImage(t, first)
	prune(t, addr)
	second := build("--locked", "-t", reg.Host+"/repro:2")
	if digestOf(first) != digestOf(second) {
		t.Errorf("two builds of the same inputs: %s and %s", first, second)
	}

	// Move the base's tag: the locked build still uses the pinned base.
	moved, err := fixtures.Get(shellBase)
	if err != nil {
		t.Fatal(err)
	}
	moved = mutate.Annotations(moved, map[string]string{"moved": "yes"}).(v1.Image)
	withShell, err := fixtures.WithShell(moved)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(mustTag(t, reg.Host+"/"+shellBase), withShell); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := brefimg(t, nil, "build", "--progress", "none", "-f", dockerfile, "--mirror", reg.Host, "--buildkit", addr,
		"--locked", "-t", reg.Host+"/repro:3", app)
	if code != exitOK || digestOf(stdout) != digestOf(first) {
		t.Errorf("locked build after the tag moved: exit %d, %q, want %s: %s", code, stdout, digestOf(first), stderr)
	}
	if !strings.Contains(stderr, "[lock-stale]") {
		t.Errorf("no lock-stale warning:\n%s", stderr)
	}
	if err := os.Remove(filepath.Join(app, "brefimg.lock")); err != nil {
		t.Fatal(err)
	}
	if unlocked := build("-t", reg.Host+"/repro:4"); digestOf(unlocked) == digestOf(first) {
		t.Error("a build without the lock did not take the moved tag")
	}
}

// TestBuildKitUnreachable: a daemon that is not there fails the build
// with a message that names it, before anything is pushed.
func TestBuildKitUnreachable(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	dockerfile, app := writeDockerfile(t, "FROM "+shellBase+"\nRUN true\n"), runApp(t, true)
	sock := "unix://" + filepath.Join(t.TempDir(), "none.sock")
	code, _, stderr := brefimg(t, nil, "build", "-f", dockerfile, "--mirror", reg.Host, "--buildkit", sock, "-t", reg.Host+"/app:x", app)
	if code != exitBuild || !strings.Contains(stderr, "connecting to BuildKit at "+sock) || !strings.Contains(stderr, "is buildkitd running") {
		t.Errorf("exit %d: %s", code, stderr)
	}
	code, _, stderr = brefimg(t, map[string]string{"BUILDKIT_HOST": sock}, "build", "-f", dockerfile, "--mirror", reg.Host, app)
	if code != exitBuild || !strings.Contains(stderr, sock) {
		t.Errorf("BUILDKIT_HOST: exit %d: %s", code, stderr)
	}
}

// prune empties the daemon's build cache, so that the next build runs
// every step again.
func prune(t *testing.T, addr string) {
	t.Helper()
	c, err := client.New(context.Background(), addr)
	if err != nil {
		t.Fatal(err)
	}
	defer c.Close()
	if err := c.Prune(context.Background(), nil, client.PruneAll); err != nil {
		t.Fatal(err)
	}
}

// TestRunWithoutDaemon: without a BuildKit daemon, build and check refuse
// RUN and say how to run it; a dry run with one says what BuildKit would
// build.
func TestRunWithoutDaemon(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	app := runApp(t, false) // no vendor/: the RUN would make it
	final := writeDockerfile(t, "FROM "+shellBase+"\nCOPY . /var/task\nRUN composer install\n")
	stage := writeDockerfile(t, "FROM "+shellBase+" AS vendor\nRUN composer install\nFROM "+shellBase+"\nCOPY . /var/task\nCOPY --from=vendor /app/vendor /var/task/vendor\n")
	none := "unix://" + filepath.Join(t.TempDir(), "none.sock")
	tests := []struct {
		name string
		args []string
		code int
		want string // in stdout or stderr
	}{
		{name: "build refuses RUN", args: []string{"build", "-f", final}, code: exitUsage, want: "pass --buildkit ADDR or set BUILDKIT_HOST"},
		{name: "check refuses RUN", args: []string{"check", "-f", final}, code: exitUsage, want: "pass --buildkit ADDR or set BUILDKIT_HOST"},
		{name: "dry run, whole image", args: []string{"build", "--dry-run", "-f", final, "--buildkit", none}, code: exitOK,
			want: "BuildKit builds the whole image"},
		{name: "dry run, a stage", args: []string{"build", "--dry-run", "-f", stage, "--buildkit", none}, code: exitOK,
			want: "BuildKit builds stage vendor (it RUNs commands); brefimg builds the final stage"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			args := append(tc.args, "--mirror", reg.Host, app)
			code, stdout, stderr := brefimg(t, nil, args...)
			if code != tc.code || !strings.Contains(stdout+stderr, tc.want) {
				t.Errorf("exit %d (want %d), no %q in:\n%s%s", code, tc.code, tc.want, stdout, stderr)
			}
		})
	}
}

// TestSecretFlags: --secret reads a variable or a file, by default $ID
// and else the file ID; a bad one is named, never its value.
func TestSecretFlags(t *testing.T) {
	t.Parallel()
	dir := t.TempDir()
	file := filepath.Join(dir, "auth.json")
	if err := os.WriteFile(file, []byte(`{"token":"from-file"}`), 0o600); err != nil {
		t.Fatal(err)
	}
	env := func(k string) string {
		return map[string]string{"COMPOSER_AUTH": "from-env", "TOKEN": "default-env"}[k]
	}
	tests := []struct {
		flags []string
		want  map[string]string
		err   string
	}{
		{flags: []string{"id=composer,env=COMPOSER_AUTH"}, want: map[string]string{"composer": "from-env"}},
		{flags: []string{"id=auth,src=" + file}, want: map[string]string{"auth": `{"token":"from-file"}`}},
		{flags: []string{"id=TOKEN"}, want: map[string]string{"TOKEN": "default-env"}},
		{flags: []string{"id=" + file}, want: map[string]string{file: `{"token":"from-file"}`}},
		{flags: []string{"id=x,env=UNSET"}, err: "--secret id=x,env=UNSET: $UNSET is not set"},
		{flags: []string{"env=COMPOSER_AUTH"}, err: "name the secret"},
		{flags: []string{"id=x,env=A,src=b"}, err: "not both"},
		{flags: []string{"id=x,value=1"}, err: "use id=ID"},
		{flags: []string{"id=x,src=" + filepath.Join(dir, "none")}, err: "no such file"},
	}
	for _, tc := range tests {
		t.Run(strings.Join(tc.flags, " "), func(t *testing.T) {
			t.Parallel()
			got, err := secretValues(tc.flags, env)
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) || strings.Contains(err.Error(), "from-env") {
					t.Errorf("error %v, want one about %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if len(got) != len(tc.want) {
				t.Errorf("got %d secrets, want %d", len(got), len(tc.want))
			}
			for k, v := range tc.want {
				if string(got[k]) != v {
					t.Errorf("secret %s = %q, want %q", k, got[k], v)
				}
			}
		})
	}
}
