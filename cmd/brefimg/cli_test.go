package main

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/creack/pty"
	"github.com/spf13/pflag"

	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/internal/testbuildkit"
)

// TestMain lets a test run the real CLI in a subprocess (re-exec of the
// test binary), for what only a process shows: a terminal, signals.
// testCache is the XDG_CACHE_HOME of the commands under test.
var testCache string

func TestMain(m *testing.M) {
	if os.Getenv("BREFIMG_TEST_RUN_MAIN") == "1" {
		main()
		return
	}
	// Keep the layer cache of the builds under test out of the user's:
	// brefimg() gives the commands XDG_CACHE_HOME=testCache.
	var err error
	if testCache, err = os.MkdirTemp("", "brefimg-test-cache-*"); err != nil {
		panic(err)
	}
	code := testbuildkit.Main(m)
	os.RemoveAll(testCache)
	os.Exit(code)
}

// golden compares got with testdata/golden/cli/name, or rewrites it with -update-golden.
func golden(t *testing.T, name, got string) {
	t.Helper()
	p := filepath.Join("..", "..", "testdata", "golden", "cli", name)
	if *updateGolden {
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(p)
	if err != nil {
		t.Fatalf("%v (rerun with -update-golden to create it)", err)
	}
	if string(want) != got {
		t.Errorf("%s differs from the golden file (rerun with -update-golden if on purpose):\n--- got\n%s\n--- want\n%s", name, got, want)
	}
}

func TestHelpGolden(t *testing.T) {
	t.Parallel()
	for _, cmd := range []string{"", "build", "check", "lock", "deploy", "inspect", "extensions", "completion"} {
		t.Run("help "+cmd, func(t *testing.T) {
			args := []string{"help"}
			if cmd != "" {
				args = append(args, cmd)
			}
			code, stdout, stderr := brefimg(t, nil, args...)
			if code != exitOK || stderr != "" {
				t.Fatalf("exit %d, stderr %s", code, stderr)
			}
			name := cmd
			if name == "" {
				name = "brefimg"
			}
			golden(t, "help-"+name+".txt", stdout)
		})
	}
}

var (
	reHost     = regexp.MustCompile(`127\.0\.0\.1:\d+`)
	reDuration = regexp.MustCompile(`; [0-9.]+(ms|s|µs)\n`)
)

// normalise replaces what changes from run to run: the registry port and durations.
func normalise(s string) string {
	s = reHost.ReplaceAllString(s, "REGISTRY")
	return reDuration.ReplaceAllString(s, "; DURATION\n")
}

func TestPlainProgressGolden(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	app := appDir(t)
	args := []string{"build", "--progress", "plain", "--bref", "1", "--php", "8.0", "--ext", "redis,gmp", "--mirror", reg.Host,
		"--source-date-epoch", "1700000000", "-t", reg.Host + "/app:golden", app}
	code, stdout, stderr := brefimg(t, nil, args...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	if strings.ContainsAny(stderr, "\x1b\r") {
		t.Errorf("plain progress holds control characters: %q", stderr)
	}
	// Blob events of parallel uploads come in any order: sort those lines.
	lines := strings.Split(normalise(stderr), "\n")
	var events, rest []string
	for _, l := range lines {
		if strings.HasPrefix(l, "mounted blob") || strings.HasPrefix(l, "pushed blob") || strings.HasPrefix(l, "existing blob") {
			events = append(events, l)
		} else {
			rest = append(rest, l)
		}
	}
	sortStrings(events)
	golden(t, "build-plain-progress.txt", strings.Join(events, "\n")+"\n--\n"+strings.Join(rest, "\n")+"--\n"+normalise(stdout))

	code, _, stderr = brefimg(t, nil, append(args[:len(args)-1], "-q", app)...)
	if code != exitOK || strings.Contains(stderr, "blob") || strings.Contains(stderr, "built ") {
		t.Errorf("-q printed progress: %s", stderr)
	}
}

func sortStrings(s []string) {
	for i := 1; i < len(s); i++ {
		for j := i; j > 0 && s[j] < s[j-1]; j-- {
			s[j], s[j-1] = s[j-1], s[j]
		}
	}
}

func TestExtensionsAndInspectGolden(t *testing.T) {
	t.Parallel()
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"extensions-bref1-php80.txt", []string{"extensions", "--bref", "1", "--php", "8.0"}},
		{"extensions-bref3.json", []string{"extensions", "--bref", "3", "--json"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := brefimg(t, nil, tc.args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden(t, tc.name, stdout)
		})
	}

	reg := seeded(t)
	dir := t.TempDir()
	oci := filepath.Join(dir, "image")
	code, _, stderr := brefimg(t, nil, "build", "-q", "--bref", "3", "--php", "8.4", "--ext", "gmp", "--mirror", reg.Host,
		"--source-date-epoch", "1700000000", "-o", "oci:"+oci, neutralApp(t))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, tc := range []struct {
		name string
		args []string
	}{
		{"inspect-v3-gmp.txt", []string{"inspect", "--tree", "/opt/bref/extensions", "oci:" + oci}},
		{"inspect-v3-gmp.json", []string{"inspect", "--json", "oci:" + oci}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			code, stdout, stderr := brefimg(t, nil, tc.args...)
			if code != exitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			golden(t, tc.name, strings.ReplaceAll(stdout, oci, "OCI"))
		})
	}
	t.Run("inspect a registry image", func(t *testing.T) {
		code, stdout, stderr := brefimg(t, nil, "inspect", "--mirror", reg.Host, "bref/php-80-fpm:1")
		if code != exitOK || !strings.Contains(stdout, "Bref:") && !strings.Contains(stdout, "/lambda-entrypoint.sh") {
			t.Errorf("exit %d, stdout %s, stderr %s", code, stdout, stderr)
		}
	})
	t.Run("inspect a missing layout", func(t *testing.T) {
		code, _, stderr := brefimg(t, nil, "inspect", "oci:"+filepath.Join(dir, "nope"))
		if code != exitUsage || !strings.Contains(stderr, "nope") {
			t.Errorf("exit %d, stderr %s", code, stderr)
		}
	})
}

func TestConfigPrecedence(t *testing.T) {
	t.Parallel()
	app := appDir(t)
	if err := os.WriteFile(filepath.Join(app, "brefimg.yaml"), []byte("ext: [redis, gmp]\nphp: 8.0\nbref: 1\nruntime: function\nlocked: false\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	env := map[string]string{"BREFIMG_PHP": "8.2", "BREFIMG_RUNTIME": "console"}
	code, stdout, stderr := brefimg(t, env, "build", "--dry-run", "--runtime", "fpm", app)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{
		`--runtime\s+fpm\s+\(flag\)`,   // a flag beats the environment
		`--php\s+8.2\s+\(env\)`,        // the environment beats the file
		`--ext\s+redis,gmp\s+\(file\)`, // the file beats the default
		`--bref\s+1\s+\(file\)`,
		`--jobs\s+4\s+\(default\)`,
		`FROM bref/php-82-fpm:1 \(linux/amd64\)`,
		`COPY --from=bref/extra-redis-php-82:0.12 /opt /opt`,
		`Nothing was built`,
	} {
		if !regexp.MustCompile(want).MatchString(stdout) {
			t.Errorf("dry run lacks %s:\n%s", want, stdout)
		}
	}
	// Unquoted numbers keep their text, and lock takes the file too, whose
	// keys it does not have (locked) are left to build.
	code, stdout, stderr = brefimg(t, nil, "lock", "--dry-run", app)
	if code != exitOK || !regexp.MustCompile(`--php\s+8.0\s+\(file\)`).MatchString(stdout) {
		t.Errorf("lock with brefimg.yaml: exit %d, stdout %s, stderr %s", code, stdout, stderr)
	}
	bad := []struct {
		name, file string
		env        map[string]string
		want       string
	}{
		{name: "unknown key", file: "exts: [redis]\n", want: `unknown key "exts" (did you mean --ext?)`},
		{name: "a mapping", file: "ext:\n  redis: yes\n", want: "brefimg.yaml:2: ext: must be a value or a list"},
		{name: "not yaml", file: "ext: [redis\n", want: "not valid YAML"},
		{name: "bad env value", env: map[string]string{"BREFIMG_BREF": "two"}, want: "BREFIMG_BREF"},
	}
	for _, tc := range bad {
		t.Run(tc.name, func(t *testing.T) {
			dir := appDir(t)
			if tc.file != "" {
				if err := os.WriteFile(filepath.Join(dir, "brefimg.yaml"), []byte(tc.file), 0o644); err != nil {
					t.Fatal(err)
				}
			}
			code, _, stderr := brefimg(t, tc.env, "build", "--dry-run", dir)
			if code != exitUsage || !strings.Contains(stderr, tc.want) {
				t.Errorf("exit %d, stderr %s", code, stderr)
			}
		})
	}
}

// TestExamplesParse runs every brefimg example of the help texts and the
// README with --dry-run (build, lock) or for real (offline commands).
func TestExamplesParse(t *testing.T) {
	t.Parallel()
	var examples []string
	for _, text := range []string{usage, buildUsage, checkUsage, lockUsage, deployUsage, inspectUsage, extensionsUsage, completionUsage} {
		examples = append(examples, exampleLines(text, "  brefimg ")...)
	}
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	examples = append(examples, exampleLines(string(readme), "brefimg ")...)
	if len(examples) < 10 {
		t.Fatalf("found only %d examples", len(examples))
	}
	app := appDir(t)
	reg := seeded(t)
	if err := os.WriteFile(filepath.Join(app, "Dockerfile"), []byte("FROM bref/php-80-fpm:1\nCOPY . /var/task\nCMD [\"public/index.php\"]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	sls := "service: app\nprovider:\n  name: aws\n  ecr:\n    images:\n      web:\n        path: .\nfunctions:\n  web:\n    image: web\n"
	if err := os.WriteFile(filepath.Join(app, "serverless.yml"), []byte(sls), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, ex := range examples {
		t.Run(ex, func(t *testing.T) {
			args := strings.Fields(ex)[1:]
			for i, a := range args {
				if a == "." || a == "./app" {
					args[i] = app
				}
				if a == "-f" && i+1 < len(args) {
					args[i+1] = filepath.Join(app, args[i+1])
					args = append(args, "--mirror", reg.Host)
				}
				if a == "…" {
					t.Fatal("an example must be complete: no …")
				}
			}
			switch args[0] {
			case "build", "lock", "check":
				args = append(args, "--dry-run")
			case "deploy":
				fs := newDeployFlags(&buildOptions{})
				if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 1 {
					t.Errorf("does not parse: %v", err)
				}
				return
			case "inspect":
				fs := inspectFlags()
				if err := fs.Parse(args[1:]); err != nil || fs.NArg() != 1 {
					t.Errorf("does not parse: %v", err)
				}
				return
			}
			code, _, stderr := brefimg(t, nil, args...)
			if code != exitOK {
				t.Errorf("exit %d: %s", code, stderr)
			}
		})
	}
}

// exampleLines returns the lines that start with prefix (after trimming a
// leading "$ "), cut at a shell comment.
func exampleLines(text, prefix string) []string {
	var out []string
	sc := bufio.NewScanner(strings.NewReader(text))
	for sc.Scan() {
		if !strings.HasPrefix(sc.Text(), prefix) && !strings.HasPrefix(sc.Text(), "  source <(brefimg") {
			continue
		}
		l := strings.TrimSpace(sc.Text())
		if strings.HasPrefix(l, "source <(") {
			l = strings.TrimSuffix(strings.TrimPrefix(l, "source <("), ")")
		}
		if i := strings.Index(l, " > "); i > 0 {
			l = l[:i]
		}
		if i := strings.Index(l, "  #"); i > 0 {
			l = strings.TrimSpace(l[:i])
		}
		if strings.HasPrefix(l, "brefimg ") && !strings.Contains(l, "[") && !strings.Contains(l, "|") {
			out = append(out, l)
		}
	}
	return out
}

// TestTerminalBars drives the CLI in a real pseudo terminal: bars render,
// and the build ends cleanly with the summary and the reference.
func TestTerminalBars(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	app := neutralApp(t)
	big := make([]byte, 4<<20)
	for i := range big {
		big[i] = byte(i * 7 % 251)
	}
	if err := os.WriteFile(filepath.Join(app, "public", "big.bin"), big, 0o644); err != nil {
		t.Fatal(err)
	}
	s, stdout := onTerminal(t, "build", "--bref", "1", "--php", "8.0", "--ext", "redis", "--mirror", reg.Host,
		"-t", reg.Host+"/app:tty", app)
	if !regexp.MustCompile(`sha256:[0-9a-f]{12} app +\[=+\] [0-9.]+ [kM]?B / [0-9.]+ [kM]?B done`).MatchString(s) {
		t.Errorf("the app layer's bar did not render to the end:\n%q", s)
	}
	if !strings.Contains(s, "\x1b[33mwarning:\x1b[0m built from tags") {
		t.Errorf("the warning is not coloured on a terminal:\n%q", s)
	}
	// Every event is printed, the last ones too, though the bars have stopped.
	if !strings.Contains(s, "pushed manifest "+reg.Host+"/app:tty") {
		t.Errorf("terminal output lacks the pushed manifest line:\n%q", s)
	}
	if strings.Contains(s, "MiB") || strings.Contains(s, "KiB") || strings.Contains(s, " b ") || strings.Contains(s, "KB") {
		t.Errorf("terminal output mixes units (kB/MB in lines, KiB/MiB in bars):\n%q", s)
	}
	if !strings.Contains(s, "app") || !strings.Contains(s, "built "+reg.Host+"/app@sha256:") {
		t.Errorf("terminal output lacks the app layer bar or the summary:\n%q", s)
	}
	if !strings.HasSuffix(strings.TrimRight(s, "\r\n"), "ms") && !strings.HasSuffix(strings.TrimRight(s, "\r\n"), "s") {
		t.Errorf("the last line is not the summary:\n%q", s)
	}
	if !strings.HasPrefix(stdout, reg.Host+"/app@sha256:") {
		t.Errorf("stdout %q", stdout)
	}
}

// onTerminal runs the CLI in a subprocess whose standard error is a
// terminal (120 columns), and returns what the terminal showed and the
// standard output.
func onTerminal(t *testing.T, args ...string) (screen, stdout string) {
	t.Helper()
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.CommandContext(context.Background(), exe, args...)
	cmd.Env = append(os.Environ(), "BREFIMG_TEST_RUN_MAIN=1", "XDG_CACHE_HOME="+testCache)
	var out bytes.Buffer
	cmd.Stdout = &out
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo terminal here: %v", err)
	}
	defer ptmx.Close()
	if err := pty.Setsize(ptmx, &pty.Winsize{Rows: 40, Cols: 120}); err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = tty
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	tty.Close()
	b, _ := io.ReadAll(ptmx) // ends with EIO once the child exits
	if err := cmd.Wait(); err != nil {
		t.Fatalf("%v: %s", err, b)
	}
	return string(b), out.String()
}

// TestReadmeKnowsEveryFlag checks the README's usage section against the
// real flags: every flag of build and deploy is documented there, and every flag the
// README names exists.
func TestReadmeKnowsEveryFlag(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	var o buildOptions
	build, lock, deploy := newBuildFlags(&o, false), newBuildFlags(&o, true), newDeployFlags(&o)
	for _, fs := range []*pflag.FlagSet{build, deploy} {
		fs.VisitAll(func(f *pflag.Flag) {
			if !strings.Contains(string(readme), "--"+f.Name) {
				t.Errorf("README.md does not document --%s", f.Name)
			}
		})
	}
	known := map[string]bool{"help": true}
	check, _ := checkFlags(&o)
	for _, fs := range []*pflag.FlagSet{build, lock, check, deploy, inspectFlags()} {
		fs.VisitAll(func(f *pflag.Flag) { known[f.Name] = true })
	}
	// The flags the README names: in code spans that run brefimg, and in the
	// first column of its flag tables.
	for _, m := range regexp.MustCompile("(?m)`brefimg [^`]*`|^\\| `-[^|]*\\|").FindAllString(string(readme), -1) {
		for _, f := range regexp.MustCompile(`(?:^|\s|\x60)--([a-z][a-z-]+)`).FindAllStringSubmatch(m, -1) {
			if !known[f[1]] {
				t.Errorf("README.md names --%s, which no command has", f[1])
			}
		}
	}
}

// TestColor: severities are coloured on a terminal only, never with
// NO_COLOR set (https://no-color.org).
func TestColor(t *testing.T) {
	t.Parallel()
	ptmx, tty, err := pty.Open()
	if err != nil {
		t.Skipf("no pseudo terminal here: %v", err)
	}
	defer ptmx.Close()
	defer tty.Close()
	tests := []struct {
		name string
		w    io.Writer
		env  map[string]string
		want bool
	}{
		{"terminal", tty, nil, true},
		{"terminal with NO_COLOR", tty, map[string]string{"NO_COLOR": "1"}, false},
		{"not a terminal", &bytes.Buffer{}, nil, false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			on := colorOn(tc.w, func(k string) string { return tc.env[k] })
			line := colored("error: x [id]", findings.Error, on)
			if on != tc.want || strings.Contains(line, "\x1b[") != tc.want {
				t.Errorf("colour %v, line %q; want colour %v", on, line, tc.want)
			}
		})
	}
}
