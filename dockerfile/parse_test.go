package dockerfile_test

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/dockerfile"
	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/plan"
)

// fixtureConfigs reads image configs from the fixtures, without a registry.
func fixtureConfigs(ref, platform string) (*v1.ConfigFile, error) {
	if strings.HasPrefix(ref, "bref/arm-") && platform != "linux/arm64" {
		return nil, &plan.InputError{Field: plan.FieldFile, Err: fmt.Errorf("%s is linux/arm64, not %s", ref, platform)}
	}
	img, err := fixtures.Get(ref)
	if err != nil {
		return nil, &plan.InputError{Field: plan.FieldFile, Err: err}
	}
	return img.ConfigFile()
}

func parse(t *testing.T, df string, opts ...dockerfile.Option) (plan.Plan, []string, error) {
	t.Helper()
	opts = append([]dockerfile.Option{dockerfile.WithContextDir(t.TempDir()), dockerfile.WithImageConfigs(fixtureConfigs)}, opts...)
	plan, fs, err := dockerfile.Parse(strings.NewReader(df), "Dockerfile", opts...)
	var lines []string
	for _, f := range fs {
		lines = append(lines, fmt.Sprintf("%s:%d", f.ID, f.Line))
	}
	return plan, lines, err
}

// steps describes a plan's steps: kind, source, destination, line.
func steps(ss []plan.Step) string {
	var out []string
	for _, s := range ss {
		kind := map[plan.StepKind]string{plan.StepCopy: "copy", plan.StepMkdir: "mkdir"}[s.Kind]
		src := strings.Join(s.Sources, ",")
		switch {
		case s.Image != "":
			src = s.Image + ":" + src
		case s.Stage != "":
			src = "stage " + s.Stage + ":" + src
		}
		for _, f := range s.Files {
			src += "<<" + f.Name
		}
		extra := ""
		if s.Chown != "" {
			extra += " chown=" + s.Chown
		}
		if s.Chmod != "" {
			extra += " chmod=" + s.Chmod
		}
		if s.Unpack {
			extra += " unpack"
		}
		out = append(out, fmt.Sprintf("%d %s %s -> %s%s", s.Line, kind, src, s.Dest, extra))
	}
	return strings.Join(out, "\n")
}

func TestParsePlans(t *testing.T) {
	tests := []struct {
		name     string
		df       string
		opts     []dockerfile.Option
		base     string
		platform string
		steps    string
		cmd      string // strings.Join(Cmd, "|"), "-" for nil
		entry    string
		handler  string
		workdir  string
		env      string
		stages   string
	}{
		{
			name: "relative destinations follow WORKDIR and the base's",
			df:   "FROM bref/php-84:3\nCOPY a.php .\nWORKDIR app\nCOPY b.php lib/\nCOPY c.php $LAMBDA_TASK_ROOT/c.php\nWORKDIR /\nCOPY d.php d\nCMD [\"index.php\"]\n",
			base: "bref/php-84:3", platform: "linux/amd64",
			steps: "2 copy a.php -> /var/task/\n3 mkdir  -> /var/task/app\n4 copy b.php -> /var/task/app/lib/\n5 copy c.php -> /var/task/c.php\n7 copy d.php -> /d",
			cmd:   "index.php", entry: "-", handler: "index.php", workdir: "/", env: "",
		},
		{
			name: "shell form CMD is no handler; ENTRYPOINT before CMD keeps the later CMD",
			df:   "FROM bref/php-84:3\nENTRYPOINT [\"php\"]\nCMD php -S 0.0.0.0:8000\n",
			base: "bref/php-84:3", platform: "linux/amd64",
			cmd: "/bin/sh|-c|php -S 0.0.0.0:8000", entry: "php",
		},
		{
			name: "an ENTRYPOINT other than the base's turns the handler check off",
			df:   "FROM bref/php-84:3\nCMD [\"index.php\"]\nENTRYPOINT [\"/opt/bootstrap\"]\n",
			base: "bref/php-84:3", platform: "linux/amd64",
			cmd: "index.php", entry: "/opt/bootstrap",
		},
		{
			name: "an ENTRYPOINT clears a CMD the stage has not set",
			df:   "FROM bref/php-84:3 AS a\nCMD [\"a.php\"]\nFROM a\nENTRYPOINT [\"/lambda-entrypoint.sh\"]\n",
			base: "bref/php-84:3", platform: "linux/amd64",
			cmd: "", entry: "/lambda-entrypoint.sh",
		},
		{
			name: "ENTRYPOINT [] clears the base's",
			df:   "FROM bref/php-84:3\nENTRYPOINT []\n",
			base: "bref/php-84:3", platform: "linux/amd64",
			cmd: "", entry: "",
		},
		{
			name: "stages: FROM a stage holds its steps; COPY --from names stages by name or index",
			df: "FROM bref/php-84:3 AS base\nCOPY a /a\n" +
				"FROM scratch AS files\nCOPY <<EOF /x.txt\nx\nEOF\n" +
				"FROM base\nCOPY --from=1 /x.txt /x\nCOPY --from=FILES /x.txt /y\nCOPY --from=bref/extra-gmp-php-84:3 /opt /opt\n",
			base: "bref/php-84:3", platform: "linux/amd64",
			steps: "2 copy a -> /a\n8 copy stage files:/x.txt -> /x\n9 copy stage files:/x.txt -> /y\n10 copy bref/extra-gmp-php-84:3:/opt -> /opt",
			cmd:   "-", entry: "-",
			stages: "files scratch linux/amd64 1",
		},
		{
			name: "a --build-arg wins over ARG defaults, before FROM and in a stage",
			df:   "ARG LINE=2\nFROM bref/php-84:${LINE}\nARG DIR=/srv\nARG LINE\nCOPY --chmod=0644 a ${DIR}/${LINE}/\n",
			opts: []dockerfile.Option{dockerfile.WithBuildArgs("LINE=3", "DIR=/app")},
			base: "bref/php-84:3", platform: "linux/amd64",
			steps: "5 copy a -> /app/3/ chmod=0644",
			cmd:   "-", entry: "-",
		},
		{
			name: "ENV expands with the values before the instruction, and keeps the base's order",
			df:   "FROM bref/php-84:3\nENV A=1 B=$A\nENV A=2 TZ=UTC\n",
			base: "bref/php-84:3", platform: "linux/amd64",
			cmd: "-", entry: "-", env: "A=1,B=,A=2,TZ=UTC",
		},
		{
			name: "FROM scratch sets PATH and the root as working directory, as BuildKit does",
			df:   "FROM scratch\nADD x.tar /\n",
			base: "scratch", platform: "linux/amd64",
			steps: "2 copy x.tar -> / unpack",
			cmd:   "-", entry: "-", workdir: "/", env: "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
		},
		{
			name: "--platform on FROM, with the automatic platform ARGs",
			df:   "FROM --platform=$TARGETOS/arm64 bref/arm-php-84:3\nCOPY a /\n",
			base: "bref/arm-php-84:3", platform: "linux/arm64",
			steps: "2 copy a -> /",
			cmd:   "-", entry: "-",
		},
		{
			name: "--target builds a stage that is not the last",
			df:   "FROM bref/php-84:3 AS app\nCOPY a /a\nFROM app AS test\nRUN phpunit\n",
			opts: []dockerfile.Option{dockerfile.WithTarget("APP")},
			base: "bref/php-84:3", platform: "linux/amd64",
			steps: "2 copy a -> /a",
			cmd:   "-", entry: "-",
		},
		{
			name: "WORKDIR owned by USER, escapes, heredoc files",
			df:   "# escape=`\nFROM bref/php-84:3\nUSER sbx_user1051\nWORKDIR /var/task/app\nCOPY <<one.txt <<two.txt `\n  /var/task/\nfirst\none.txt\nsecond\ntwo.txt\n",
			base: "bref/php-84:3", platform: "linux/amd64",
			steps: "4 mkdir  -> /var/task/app chown=sbx_user1051\n5 copy <<one.txt<<two.txt -> /var/task/",
			cmd:   "-", entry: "-", workdir: "/var/task/app",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			plan, _, err := parse(t, tc.df, tc.opts...)
			if err != nil {
				t.Fatal(err)
			}
			if plan.Base != tc.base || plan.Platform.String() != tc.platform || plan.File != "Dockerfile" {
				t.Errorf("base %q platform %q file %q, want %q %q", plan.Base, plan.Platform.String(), plan.File, tc.base, tc.platform)
			}
			if got := steps(plan.Steps); got != tc.steps {
				t.Errorf("steps:\n%s\nwant:\n%s", got, tc.steps)
			}
			join := func(s []string) string {
				if s == nil {
					return "-"
				}
				return strings.Join(s, "|")
			}
			if got := join(plan.Config.Cmd); got != tc.cmd {
				t.Errorf("Cmd %q, want %q", got, tc.cmd)
			}
			if got := join(plan.Config.Entrypoint); got != tc.entry {
				t.Errorf("Entrypoint %q, want %q", got, tc.entry)
			}
			if plan.Handler != tc.handler || plan.Config.WorkingDir != tc.workdir || strings.Join(plan.Config.Env, ",") != tc.env {
				t.Errorf("handler %q workdir %q env %q, want %q %q %q", plan.Handler, plan.Config.WorkingDir, plan.Config.Env, tc.handler, tc.workdir, tc.env)
			}
			var stages []string
			for _, st := range plan.Stages {
				stages = append(stages, fmt.Sprintf("%s %s %s %d", st.Name, st.Base, st.Platform, len(st.Steps)))
			}
			if got := strings.Join(stages, "\n"); got != tc.stages {
				t.Errorf("stages %q, want %q", got, tc.stages)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name string
		df   string
		opts []dockerfile.Option
		want string // substring of the error, which starts with "Dockerfile:LINE: " when there is a line
		line int
	}{
		{name: "FROM without an image", df: "FROM\n", want: "FROM requires either one or three arguments", line: 1},
		{name: "unknown instruction", df: "FROM bref/php-84:3\nCOPPY a b\n", want: "unknown instruction: COPPY", line: 2},
		{name: "no FROM", df: "ARG A=1\n", want: "no FROM instruction"},
		{name: "an empty Dockerfile", df: "\n# nothing\n", want: "no instructions", line: 2},
		{name: "RUN", df: "FROM bref/php-84:3\nRUN pecl install redis\n", want: "RUN pecl install redis: brefimg builds images without running containers", line: 2},
		{name: "RUN in a stage the target needs", df: "FROM bref/php-84:3 AS deps\nRUN make\nFROM bref/php-84:3\nCOPY --from=deps /x /x\n", want: "RUN make", line: 2},
		{name: "ONBUILD", df: "FROM bref/php-84:3\nONBUILD RUN x\n", want: "ONBUILD", line: 2},
		{name: "COPY of a URL", df: "FROM bref/php-84:3\nCOPY https://example.com/a /a\n", want: "is a URL", line: 2},
		{name: "ADD of a Git repository over https", df: "FROM bref/php-84:3\nADD https://github.com/brefphp/bref.git#main /src\n", want: "is a Git repository", line: 2},
		{name: "ADD --checksum", df: "FROM bref/php-84:3\nADD --checksum=sha256:abc a /a\n", want: "--checksum", line: 2},
		{name: "a variable in --from", df: "FROM bref/php-84:3\nARG S=x\nCOPY --from=$S /a /a\n", want: "variables cannot be used in --from", line: 3},
		{name: "--from a later stage", df: "FROM bref/php-84:3 AS a\nCOPY --from=b /x /x\nFROM scratch AS b\n", opts: []dockerfile.Option{dockerfile.WithTarget("a")}, want: "stage b is not defined before this one", line: 2},
		{name: "--from an index out of range", df: "FROM bref/php-84:3\nCOPY --from=3 /x /x\n", want: "--from=3", line: 2},
		{name: "--from scratch", df: "FROM bref/php-84:3\nCOPY --from=scratch /x /x\n", want: "scratch holds no files", line: 2},
		{name: "an unknown --target", df: "FROM bref/php-84:3 AS app\n", opts: []dockerfile.Option{dockerfile.WithTarget("nope")}, want: "--target nope: no stage has that name (stages: app)"},
		{name: "an invalid --chmod", df: "FROM bref/php-84:3\nCOPY --chmod=999 a /a\n", want: "invalid chmod parameter", line: 2},
		{name: "an invalid --chmod from an ARG", df: "FROM bref/php-84:3\nARG M=u+q\nCOPY --chmod=$M a /a\n", want: `invalid chmod parameter "u+q"`, line: 3},
		{name: "a name in --chown with --link", df: "FROM bref/php-84:3\nCOPY --link --chown=www-data a /a\n", want: "cannot be resolved with --link", line: 2},
		{name: "an invalid EXPOSE", df: "FROM bref/php-84:3\nEXPOSE http\n", want: "EXPOSE http", line: 2},
		{name: "an invalid STOPSIGNAL", df: "FROM bref/php-84:3\nSTOPSIGNAL -1\n", want: "STOPSIGNAL -1", line: 2},
		{name: "an empty image name", df: "ARG IMG\nFROM ${IMG}\n", want: "the image name is empty", line: 2},
		{name: "an invalid image name", df: "FROM Bref/PHP\n", want: "not an image reference", line: 1},
		{name: "an invalid --platform", df: "FROM --platform=/amd64 bref/php-84:3\n", want: "use os/arch", line: 1},
		{name: "an image the registry does not have", df: "FROM bref/php-99:3\n", want: "FROM bref/php-99:3", line: 1},
		{name: "a bad variable reference", df: "FROM bref/php-84:3\nENV A=${B\n", want: "fix the variable reference", line: 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := parse(t, tc.df, tc.opts...)
			if err == nil {
				t.Fatal("no error")
			}
			var in *plan.InputError
			if !errors.As(err, &in) {
				t.Errorf("%v is not a *plan.InputError", err)
			}
			if !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %q lacks %q", err, tc.want)
			}
			prefix := "Dockerfile: "
			if tc.line > 0 {
				prefix = fmt.Sprintf("Dockerfile:%d: ", tc.line)
			}
			if !strings.HasPrefix(err.Error(), prefix) {
				t.Errorf("error %q does not start with %q", err, prefix)
			}
		})
	}
}

func TestParseNeedsImageConfigs(t *testing.T) {
	_, _, err := dockerfile.Parse(strings.NewReader("FROM bref/php-84:3\n"), "Dockerfile")
	if err == nil || !strings.Contains(err.Error(), "WithImageConfigs") {
		t.Errorf("error %v, want one naming WithImageConfigs", err)
	}
	// FROM scratch reads no config.
	if _, _, err := dockerfile.Parse(strings.NewReader("FROM scratch\nCOPY a /\n"), "Dockerfile", dockerfile.WithContextDir(t.TempDir())); err != nil {
		t.Error(err)
	}
}

func TestParseFindings(t *testing.T) {
	tests := []struct {
		name string
		df   string
		want string
		msg  string
	}{
		{name: "tagged images", df: "FROM bref/php-84:3\nCOPY --from=bref/extra-gmp-php-84:3 /opt /opt\n", want: ""},
		{name: "untagged base, both lines possible", df: "FROM bref/php-84\n", want: "bref-untagged:1", msg: "bref/php-84:2 (Bref 2) or bref/php-84:3 (Bref 3)"},
		{name: "untagged arm64 fpm base: only Bref 2", df: "FROM bref/arm-php-82-fpm\n", want: "bref-untagged:1", msg: "pin the major tag, bref/arm-php-82-fpm:2 (Bref 2)"},
		{name: "untagged extension image", df: "FROM bref/php-80-fpm:1\nCOPY --from=bref/extra-redis-php-80 /opt /opt\n", want: "bref-untagged:2", msg: ":0.12 (Bref 1) or :1 (Bref 2)"},
		{name: "a digest pins", df: "FROM bref/php-84@sha256:" + strings.Repeat("a", 64) + "\n", want: ""},
		{name: "other registries are not checked", df: "FROM public.ecr.aws/bref/php-84\n", want: ""},
		{name: "ignored instructions, in the final stage only", df: "FROM bref/php-84:3 AS a\nUSER x\nFROM bref/php-84:3\nEXPOSE 80\n", want: "lambda-ignores:4"},
		{name: "but in the stages it is built FROM", df: "FROM bref/php-84:3 AS a\nVOLUME /x\nFROM a\nWORKDIR /tmp\n", want: "lambda-ignores:2,tmp-path:4"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			opts := []dockerfile.Option{dockerfile.WithContextDir(dir), dockerfile.WithImageConfigs(func(ref, p string) (*v1.ConfigFile, error) {
				return fixtureConfigs("bref/php-84:3", p)
			})}
			_, fs, err := dockerfile.Parse(strings.NewReader(tc.df), "Dockerfile", opts...)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fs {
				got = append(got, fmt.Sprintf("%s:%d", f.ID, f.Line))
				if tc.msg != "" && !strings.Contains(f.Message, tc.msg) {
					t.Errorf("message %q lacks %q", f.Message, tc.msg)
				}
				if f.Path != "Dockerfile" {
					t.Errorf("finding path %q", f.Path)
				}
			}
			if strings.Join(got, ",") != tc.want {
				t.Errorf("findings %v, want %s", got, tc.want)
			}
		})
	}
}

func TestOptions(t *testing.T) {
	file := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(file, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		opt  dockerfile.Option
		want string
	}{
		{name: "missing context", opt: dockerfile.WithContextDir(filepath.Join(file, "nope")), want: "build context"},
		{name: "context is a file", opt: dockerfile.WithContextDir(file), want: "is not a directory"},
		{name: "build arg without =", opt: dockerfile.WithBuildArgs("NAME"), want: "use NAME=VALUE"},
		{name: "bad platform", opt: dockerfile.WithPlatform("linux/"), want: "use os/arch"},
		{name: "empty target", opt: dockerfile.WithTarget(""), want: "--target"},
		{name: "nil config function", opt: dockerfile.WithImageConfigs(nil), want: "must not be nil"},
		{name: "nil unreachable image function", opt: dockerfile.WithUnreachableImages(nil), want: "must not be nil"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, _, err := dockerfile.Parse(strings.NewReader("FROM scratch\n"), "Dockerfile", tc.opt)
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want one about %q", err, tc.want)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	dirs, err := filepath.Glob(filepath.Join("..", "testdata", "dockerfiles", "*", "Dockerfile"))
	if err != nil || len(dirs) == 0 {
		f.Fatalf("no seed Dockerfiles: %v", err)
	}
	for _, p := range dirs {
		b, err := os.ReadFile(p)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(string(b))
	}
	ctxDir := f.TempDir()
	configs := func(ref, platform string) (*v1.ConfigFile, error) {
		return &v1.ConfigFile{OS: "linux", Architecture: "amd64", Config: v1.Config{
			Env: fixtures.BaseEnv, WorkingDir: "/var/task", Entrypoint: []string{"/lambda-entrypoint.sh"},
		}}, nil
	}
	f.Fuzz(func(t *testing.T, df string) {
		pl, _, err := dockerfile.Parse(strings.NewReader(df), "Dockerfile",
			dockerfile.WithContextDir(ctxDir), dockerfile.WithImageConfigs(configs), dockerfile.WithBuildArgs("A=1"))
		if err != nil {
			var in *plan.InputError
			if !errors.As(err, &in) {
				t.Fatalf("error %v is not a *plan.InputError", err)
			}
			return
		}
		if pl.Base == "" || pl.Platform.Architecture == "" {
			t.Fatalf("plan without base or platform: %+v", pl)
		}
		for _, s := range pl.Steps {
			if !strings.HasPrefix(s.Dest, "/") {
				t.Fatalf("step %q has a relative destination %q", s.CreatedBy, s.Dest)
			}
		}
	})
}
