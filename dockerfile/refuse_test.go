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
	"github.com/brefimg/brefimg/plan"
)

// anyConfigs reads Bref's images from the fixtures and gives every other
// image (composer:2, node:22, …) an empty config.
func anyConfigs(ref, platform string) (*v1.ConfigFile, error) {
	if strings.HasPrefix(ref, "bref/") {
		return fixtureConfigs(ref, platform)
	}
	return &v1.ConfigFile{}, nil
}

// refusal parses df and returns its error, one line per refused
// instruction.
func refusal(t *testing.T, df string) []string {
	t.Helper()
	_, _, err := dockerfile.Parse(strings.NewReader(df), "Dockerfile",
		dockerfile.WithContextDir(t.TempDir()), dockerfile.WithImageConfigs(anyConfigs))
	if err == nil {
		t.Fatal("no error")
	}
	var in *plan.InputError
	if !errors.As(err, &in) {
		t.Errorf("%v is not a *plan.InputError", err)
	}
	return strings.Split(err.Error(), "\n")
}

// TestRunAdvice: what a RUN is told to do instead fits what it runs and
// the stage it is in.
func TestRunAdvice(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		df      string
		want    []string // parts of the error
		notWant []string
		once    string // a part that must be there once
	}{
		{name: "an extension in a Bref stage", df: "FROM bref/php-84:3\nRUN pecl install redis\n",
			want: []string{"Dockerfile:2: RUN pecl install redis:", "COPY --from=bref/extra-NAME-php-XX:TAG /opt /opt"}},
		{name: "composer in a Bref stage", df: "FROM bref/php-84:3\nCOPY . /var/task\nRUN cd /var/task && COMPOSER_ALLOW_SUPERUSER=1 composer install --no-dev\n",
			want: []string{"run it in CI before brefimg, in the app directory", "COPY . /var/task copies vendor/"}, notWant: []string{"extension image"}},
		{name: "composer in a builder stage FROM composer",
			df:      "FROM composer:2 AS vendor\nRUN composer install --no-dev\nFROM bref/php-84:3\nCOPY --from=vendor /app/vendor /var/task/vendor\n",
			want:    []string{"Dockerfile:2: RUN composer install --no-dev:", "COPY vendor/ from the build context", "instead of COPY --from=vendor"},
			notWant: []string{"extension", "--ext"}},
		{name: "packages in a builder stage that is no Bref image",
			df:      "FROM debian:12 AS tools\nRUN apt-get update && apt-get install -y unzip\nFROM bref/php-84:3\nCOPY --from=tools /usr/bin/unzip /opt/bin/unzip\n",
			want:    []string{"install and prepare what you need in CI before brefimg", "instead of COPY --from=tools"},
			notWant: []string{"extension", "--ext"}},
		{name: "any command in a builder stage that is no Bref image",
			df:      "FROM alpine:3 AS gen\nRUN ./generate.sh\nFROM bref/php-84:3\nCOPY --from=gen /out /var/task/out\n",
			want:    []string{"run the command in CI before brefimg and COPY its result from the build context instead of COPY --from=gen"},
			notWant: []string{"extension", "--ext"}},
		{name: "assets in a node stage, by index",
			df:      "FROM node:22\nRUN npm ci && npm run build\nFROM bref/php-84:3\nCOPY --from=0 /app/public/build /var/task/public/build\n",
			want:    []string{"build the assets in CI before brefimg", "instead of COPY --from=0"},
			notWant: []string{"extension"}},
		{name: "chmod", df: "FROM bref/php-84:3\nCOPY . /var/task\nRUN chmod -R 755 /var/task/bin\n",
			want: []string{"COPY --chmod", "--chmod=a+rX"}, notWant: []string{"extension", "composer"}},
		{name: "chown", df: "FROM bref/php-84:3\nRUN chown -R 1000:1000 /var/task\n", want: []string{"COPY --chown=UID[:GID]"}, notWant: []string{"extension"}},
		{name: "echo into an ini file", df: "FROM bref/php-84:3\nRUN echo \"extension=redis\" > /opt/bref/etc/php/conf.d/ext-redis.ini\n",
			want: []string{"COPY <<EOF /opt/bref/etc/php/conf.d/ext-redis.ini", "heredoc"}, notWant: []string{"extension image", "--ext"}},
		{name: "echo appending, relative to WORKDIR, with 2>&1",
			df:   "FROM bref/php-84:3\nRUN echo memory_limit=1G >> php/conf.d/memory.ini 2>&1\n",
			want: []string{"COPY <<EOF /var/task/php/conf.d/memory.ini", "COPY writes the whole file"}},
		{name: "printf to a variable's path", df: "FROM bref/php-84:3\nRUN printf 'a=1\\n' > $LAMBDA_TASK_ROOT/php/conf.d/a.ini\n",
			want: []string{"COPY <<EOF /var/task/php/conf.d/a.ini"}},
		{name: "tee", df: "FROM bref/php-84:3\nRUN echo opcache.enable=1 | tee -a /opt/bref/etc/php/conf.d/opcache.ini\n",
			want: []string{"COPY <<EOF /opt/bref/etc/php/conf.d/opcache.ini", "COPY writes the whole file"}},
		{name: "a heredoc RUN that writes a file", df: "FROM bref/php-84:3\nRUN <<EOT\ncat > /opt/bref/etc/php/conf.d/x.ini <<EOF\nx=1\nEOF\nEOT\n",
			want: []string{"COPY <<EOF /opt/bref/etc/php/conf.d/x.ini"}},
		{name: "echo to the log only", df: "FROM bref/php-84:3\nRUN echo done 2>/dev/null\n",
			want: []string{"run the command in CI before brefimg"}, notWant: []string{"heredoc"}},
		{name: "several kinds, each advised once", df: "FROM bref/php-84:3\nRUN chmod 644 a && chmod 755 b && echo x=1 > /opt/x.ini\n",
			want: []string{"COPY --chmod", "COPY <<EOF /opt/x.ini"}, once: "set the modes as the files are copied"},
		{name: "a download", df: "FROM bref/php-84:3\nRUN curl -fLo /opt/bin/tool https://example.com/tool\n", want: []string{"download the file in CI"}},
		{name: "mkdir", df: "FROM bref/php-84:3\nRUN mkdir -p /var/task/storage\n", want: []string{"COPY creates the directories"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lines := refusal(t, tc.df)
			if len(lines) != 2 {
				t.Fatalf("%d lines, want the refusal and the BuildKit hint: %q", len(lines), lines)
			}
			if !strings.Contains(lines[1], "--buildkit ADDR") {
				t.Errorf("last line %q does not say how to run RUN on BuildKit", lines[1])
			}
			for _, w := range tc.want {
				if !strings.Contains(lines[0], w) {
					t.Errorf("%q lacks %q", lines[0], w)
				}
			}
			for _, nw := range tc.notWant {
				if strings.Contains(lines[0], nw) {
					t.Errorf("%q holds %q", lines[0], nw)
				}
			}
			if tc.once != "" && strings.Count(lines[0], tc.once) != 1 {
				t.Errorf("%q does not hold %q once", lines[0], tc.once)
			}
		})
	}
}

// TestEveryRefusal: every RUN and ONBUILD of the stages the target needs is
// reported, one line each, in order, with its own advice; an error found
// after them comes next, and how to have BuildKit run them last.
func TestEveryRefusal(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name string
		df   string
		want []string // the start of each line
	}{
		{name: "one", df: "FROM bref/php-84:3\nRUN composer install\n", want: []string{"Dockerfile:2: RUN composer install: ", "or have a BuildKit daemon run the RUN steps: "}},
		{name: "every RUN and ONBUILD, across stages",
			df: "FROM composer:2 AS vendor\nRUN composer install\n" +
				"FROM bref/php-84:3\nRUN pecl install redis\nONBUILD COPY . /x\nCOPY --from=vendor /app/vendor /var/task/vendor\nRUN chmod 755 /var/task\n",
			want: []string{"Dockerfile:2: RUN composer install: ", "Dockerfile:4: RUN pecl install redis: ", "Dockerfile:5: ONBUILD COPY . /x: ", "Dockerfile:7: RUN chmod 755 /var/task: ", "or have a BuildKit daemon run the RUN steps: "}},
		{name: "not in a stage the target does not need",
			df:   "FROM alpine:3 AS unused\nRUN make\nFROM bref/php-84:3\nRUN a\nRUN b\n",
			want: []string{"Dockerfile:4: RUN a: ", "Dockerfile:5: RUN b: ", "or have a BuildKit daemon run the RUN steps: "}},
		{name: "another error after them",
			df:   "FROM bref/php-84:3\nRUN a\nADD https://example.com/x /x\nRUN b\n",
			want: []string{"Dockerfile:2: RUN a: ", "Dockerfile:3: ADD https://example.com/x /x: ", "or have a BuildKit daemon run the RUN steps: "}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			lines := refusal(t, tc.df)
			if len(lines) != len(tc.want) {
				t.Fatalf("%d lines, want %d:\n%s", len(lines), len(tc.want), strings.Join(lines, "\n"))
			}
			for i, w := range tc.want {
				if !strings.HasPrefix(lines[i], w) {
					t.Errorf("line %d %q does not start with %q", i+1, lines[i], w)
				}
			}
		})
	}
}

// TestCopyOutsideContext: a source that leaves the build context is
// refused, with the context that would hold it; one that stays in it, or
// comes from a stage, is not.
func TestCopyOutsideContext(t *testing.T) {
	t.Parallel()
	parent := t.TempDir()
	ctx := filepath.Join(parent, "docker")
	if err := os.MkdirAll(filepath.Join(ctx, "b"), 0o755); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		df   string
		want string // part of the error, "" for none
	}{
		{name: "COPY ..", df: "FROM bref/php-84:3\nCOPY .. /var/task\n",
			want: fmt.Sprintf("Dockerfile:2: COPY .. /var/task: .. is outside the build context (%s), and a COPY reads the build context only", ctx)},
		{name: "the context that holds it", df: "FROM bref/php-84:3\nCOPY .. /var/task\n", want: fmt.Sprintf("(brefimg build -f Dockerfile %s) and COPY .,", parent)},
		{name: "COPY ../src", df: "FROM bref/php-84:3\nCOPY ../src /var/task\n", want: fmt.Sprintf("(brefimg build -f Dockerfile %s) and COPY src,", parent)},
		{name: "two levels up", df: "FROM bref/php-84:3\nCOPY ../../app /var/task\n", want: fmt.Sprintf("(brefimg build -f Dockerfile %s) and COPY app,", filepath.Dir(parent))},
		{name: "up through a directory", df: "FROM bref/php-84:3\nCOPY b/../../x /x\n", want: "b/../../x is outside the build context"},
		{name: "./..", df: "FROM bref/php-84:3\nCOPY ./.. /var/task\n", want: "./.. is outside the build context"},
		{name: "ADD", df: "FROM bref/php-84:3\nADD ../a.tar.gz /x/\n", want: "../a.tar.gz is outside the build context"},
		{name: "one source of several", df: "FROM bref/php-84:3\nCOPY b ../c /x/\n", want: "../c is outside the build context"},
		{name: "down and up inside", df: "FROM bref/php-84:3\nCOPY b/.. /var/task\n"},
		{name: "absolute, from the context's root", df: "FROM bref/php-84:3\nCOPY /b /var/task\n"},
		{name: "from a stage", df: "FROM bref/php-84:3 AS a\nFROM bref/php-84:3\nCOPY --from=a ../x /x\n"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			_, _, err := dockerfile.Parse(strings.NewReader(tc.df), "Dockerfile",
				dockerfile.WithContextDir(ctx), dockerfile.WithImageConfigs(anyConfigs))
			switch {
			case tc.want == "" && err != nil:
				t.Errorf("error %v", err)
			case tc.want != "" && (err == nil || !strings.Contains(err.Error(), tc.want)):
				t.Errorf("error %v, want one with %q", err, tc.want)
			case err != nil && !plan.IsInput(err):
				t.Errorf("%v is not an input error", err)
			}
		})
	}
}

// unreachable is a ConfigFunc for a registry that cannot be reached.
func unreachable(ref, platform string) (*v1.ConfigFile, error) {
	return nil, fmt.Errorf("pulling %s: registry 127.0.0.1:1 is unreachable (connect: connection refused)", ref)
}

// TestUnreachableImages: with WithUnreachableImages, Parse reads the rest
// of a Dockerfile whose FROM images cannot be read, its own findings
// included; a Bref image is taken to have the Lambda base's working
// directory and environment. Errors that are the user's still stop it.
func TestUnreachableImages(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name     string
		df       string
		configs  dockerfile.ConfigFunc
		goOn     bool   // what the callback answers
		steps    string // the plan's steps, as steps() prints them
		findings string
		told     string // the images the callback was told about
		err      string // part of the error, "" for none
	}{
		{name: "a Bref base: the Lambda base's WORKDIR and environment",
			df:      "FROM bref/php-84:3\nCOPY --from=bref/extra-gmp-php-84 /opt /opt\nCOPY . .\nCOPY a.php $LAMBDA_TASK_ROOT/lib/\nCMD [\"index.php\"]\n",
			configs: unreachable, goOn: true,
			steps:    "2 copy bref/extra-gmp-php-84:/opt -> /opt\n3 copy . -> /var/task/\n4 copy a.php -> /var/task/lib/",
			findings: "bref-untagged:2", told: "bref/php-84:3"},
		{name: "an untagged Bref base is still found", df: "FROM bref/php-80-fpm\nCOPY . /var/task\n", configs: unreachable, goOn: true,
			steps: "2 copy . -> /var/task", findings: "bref-untagged:1", told: "bref/php-80-fpm"},
		{name: "another image: an empty config", df: "FROM alpine:3\nCOPY x y\n", configs: unreachable, goOn: true,
			steps: "2 copy x -> /y", told: "alpine:3"},
		{name: "every image it cannot read", df: "FROM alpine:3 AS tools\nCOPY a /a\nFROM bref/php-84:3\nCOPY --from=tools /a /opt/a\n",
			configs: unreachable, goOn: true, steps: "4 copy stage tools:/a -> /opt/a", told: "alpine:3,bref/php-84:3"},
		{name: "the callback says stop", df: "FROM bref/php-84:3\n", configs: unreachable, goOn: false, told: "bref/php-84:3",
			err: "Dockerfile:1: FROM bref/php-84:3: pulling bref/php-84:3: registry 127.0.0.1:1 is unreachable"},
		{name: "an image that does not exist stops it", df: "FROM bref/php-99:3\n", configs: fixtureConfigs, goOn: true, err: "Dockerfile:1: FROM bref/php-99:3"},
		{name: "RUN is refused all the same", df: "FROM bref/php-84:3\nRUN composer install\n", configs: unreachable, goOn: true,
			told: "bref/php-84:3", err: "Dockerfile:2: RUN composer install"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			var told []string
			pl, fs, err := dockerfile.Parse(strings.NewReader(tc.df), "Dockerfile", dockerfile.WithContextDir(t.TempDir()),
				dockerfile.WithImageConfigs(tc.configs), dockerfile.WithUnreachableImages(func(ref string, err error) bool {
					if !strings.HasPrefix(err.Error(), "Dockerfile:") || !strings.Contains(err.Error(), "FROM "+ref+": ") {
						t.Errorf("the error %q does not name the Dockerfile, the line and the image", err)
					}
					told = append(told, ref)
					return tc.goOn
				}))
			if got := strings.Join(told, ","); got != tc.told {
				t.Errorf("told about %q, want %q", got, tc.told)
			}
			if tc.err != "" {
				if err == nil || !strings.Contains(err.Error(), tc.err) {
					t.Fatalf("error %v, want one with %q", err, tc.err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if got := steps(pl.Steps); got != tc.steps {
				t.Errorf("steps:\n%s\nwant:\n%s", got, tc.steps)
			}
			var got []string
			for _, f := range fs {
				got = append(got, fmt.Sprintf("%s:%d", f.ID, f.Line))
			}
			if strings.Join(got, ",") != tc.findings {
				t.Errorf("findings %v, want %s", got, tc.findings)
			}
		})
	}
}
