package serverless

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"reflect"
	"slices"
	"strings"
	"testing"

	"github.com/brefimg/brefimg/plan"
)

// env returns a Getenv reading vars.
func env(vars map[string]string) func(string) string {
	return func(k string) string { return vars[k] }
}

// write writes serverless.yml with content into a new directory, and an
// empty Dockerfile at each of dockerfiles (relative paths); it returns the
// serverless.yml path.
func write(t *testing.T, content string, dockerfiles ...string) string {
	t.Helper()
	dir := t.TempDir()
	for _, d := range dockerfiles {
		p := filepath.Join(dir, d)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("FROM bref/php-84:3\n"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	p := filepath.Join(dir, "serverless.yml")
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestLoadTwoImages(t *testing.T) {
	const file = "testdata/two-images/serverless.yml"
	dir, err := filepath.Abs("testdata/two-images")
	if err != nil {
		t.Fatal(err)
	}
	notes := []string{
		file + ":25: provider.ecr.images.web.cacheFrom: ignored: brefimg builds without Docker, so without its cache images",
	}
	tests := []struct {
		name string
		opts Options
		want *Project
	}{{
		name: "defaults",
		opts: Options{},
		want: &Project{
			File: file, Dir: dir, Service: "two-images", Stage: "dev", Region: "eu-west-3",
			Architecture: ArchX86, ScanOnPush: true,
			Images: []Image{{
				Name: "web", Path: filepath.Join(dir, "app"), File: filepath.Join(dir, "app/docker/web.Dockerfile"),
				BuildArgs: map[string]string{"PHP_VERSION": "8.4", "APP_ENV": "dev", "GREETING": "hello"},
				Functions: []string{"console", "web"}, Line: 18,
			}, {
				Name: "worker", Path: filepath.Join(dir, "worker"), File: filepath.Join(dir, "worker/Dockerfile"),
				Functions: []string{"worker"}, Line: 27,
			}},
			Functions: []Function{
				{Key: "console", Name: "two-images-dev-cli", Image: "web", Architecture: ArchX86, Line: 38},
				{Key: "web", Name: "two-images-dev-web", Image: "web", Command: []string{"public/index.php"}, Architecture: ArchX86, Line: 31},
				{Key: "worker", Name: "two-images-dev-worker", Image: "worker", Architecture: ArchARM, Line: 41},
			},
			ZipFunctions: []string{"cron"},
			Notes:        notes,
		},
	}, {
		name: "stage, region and environment given",
		opts: Options{Stage: "prod", Region: "eu-central-1", Getenv: env(map[string]string{"GREETING": "hi", "AWS_REGION": "us-west-2"})},
		want: &Project{
			File: file, Dir: dir, Service: "two-images", Stage: "prod", Region: "eu-central-1",
			Architecture: ArchX86, ScanOnPush: true,
			Images: []Image{{
				Name: "web", Path: filepath.Join(dir, "app"), File: filepath.Join(dir, "app/docker/web.Dockerfile"),
				BuildArgs: map[string]string{"PHP_VERSION": "8.4", "APP_ENV": "prod", "GREETING": "hi"},
				Functions: []string{"console", "web"}, Line: 18,
			}, {
				Name: "worker", Path: filepath.Join(dir, "worker"), File: filepath.Join(dir, "worker/Dockerfile"),
				Functions: []string{"worker"}, Line: 27,
			}},
			Functions: []Function{
				{Key: "console", Name: "two-images-prod-cli", Image: "web", Architecture: ArchX86, Line: 38},
				{Key: "web", Name: "two-images-prod-web", Image: "web", Command: []string{"public/index.php"}, Architecture: ArchX86, Line: 31},
				{Key: "worker", Name: "two-images-prod-worker", Image: "worker", Architecture: ArchARM, Line: 41},
			},
			ZipFunctions: []string{"cron"},
			Notes:        notes,
		},
	}, {
		name: "region from the environment",
		opts: Options{Getenv: env(map[string]string{"AWS_REGION": "us-west-2"})},
		want: &Project{
			File: file, Dir: dir, Service: "two-images", Stage: "dev", Region: "us-west-2",
			Architecture: ArchX86, ScanOnPush: true,
			Images: []Image{{
				Name: "web", Path: filepath.Join(dir, "app"), File: filepath.Join(dir, "app/docker/web.Dockerfile"),
				BuildArgs: map[string]string{"PHP_VERSION": "8.4", "APP_ENV": "dev", "GREETING": "hello"},
				Functions: []string{"console", "web"}, Line: 18,
			}, {
				Name: "worker", Path: filepath.Join(dir, "worker"), File: filepath.Join(dir, "worker/Dockerfile"),
				Functions: []string{"worker"}, Line: 27,
			}},
			Functions: []Function{
				{Key: "console", Name: "two-images-dev-cli", Image: "web", Architecture: ArchX86, Line: 38},
				{Key: "web", Name: "two-images-dev-web", Image: "web", Command: []string{"public/index.php"}, Architecture: ArchX86, Line: 31},
				{Key: "worker", Name: "two-images-dev-worker", Image: "worker", Architecture: ArchARM, Line: 41},
			},
			ZipFunctions: []string{"cron"},
			Notes:        notes,
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Load(file, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if !reflect.DeepEqual(p, tt.want) {
				t.Errorf("Load:\n got %+v\nwant %+v", *p, *tt.want)
			}
			if got, want := p.Repository(), "serverless-two-images-"+tt.want.Stage; got != want {
				t.Errorf("Repository() = %q, want %q", got, want)
			}
			for _, c := range []struct{ image, platform string }{{"web", "linux/amd64"}, {"worker", "linux/arm64"}} {
				img, ok := p.Image(c.image)
				if !ok {
					t.Fatalf("no image %s", c.image)
				}
				pl, err := p.ImagePlatform(img)
				if err != nil {
					t.Fatal(err)
				}
				if pl.String() != c.platform {
					t.Errorf("ImagePlatform(%s) = %s, want %s", c.image, pl.String(), c.platform)
				}
			}
		})
	}
}

// summary is what the tests of real files compare: images as
// "name path file [platform] [uri] <- functions" and functions as
// "key name image|uri arch [command]".
type summary struct {
	images, functions, zip []string
	repository             string
}

func summarize(p *Project) summary {
	s := summary{zip: p.ZipFunctions, repository: p.Repository()}
	for _, img := range p.Images {
		line := img.Name
		if img.Built() {
			rel, _ := filepath.Rel(p.Dir, img.File)
			ctx, _ := filepath.Rel(p.Dir, img.Path)
			line += " " + ctx + " " + rel
		}
		if img.Platform != nil {
			line += " " + img.Platform.String()
		}
		if img.URI != "" {
			line += " " + img.URI
		}
		if len(img.BuildArgs) > 0 {
			keys := make([]string, 0, len(img.BuildArgs))
			for k, v := range img.BuildArgs {
				keys = append(keys, k+"="+v)
			}
			slices.Sort(keys)
			line += " " + strings.Join(keys, ",")
		}
		line += " <- " + strings.Join(img.Functions, ",")
		s.images = append(s.images, line)
	}
	for _, fn := range p.Functions {
		line := fn.Key + " " + fn.Name + " "
		if fn.Image != "" {
			line += fn.Image
		} else {
			line += fn.ImageURI
		}
		line += " " + fn.Architecture
		if fn.Command != nil {
			line += fmt.Sprintf(" cmd%q", fn.Command)
		}
		if fn.EntryPoint != nil {
			line += fmt.Sprintf(" entry%q", fn.EntryPoint)
		}
		if fn.WorkingDirectory != "" {
			line += " wd=" + fn.WorkingDirectory
		}
		s.functions = append(s.functions, line)
	}
	return s
}

// TestRealFiles loads the serverless.yml files of Bref's and Serverless's
// documentation (testdata/README.md gives their provenance).
func TestRealFiles(t *testing.T) {
	const digest = "000000000000.dkr.ecr.sa-east-1.amazonaws.com/test-lambda-docker@sha256:6bb600b4d6e1d7cf521097177dd0c4e9ea373edb91984a505333be8ac9455d38"
	tests := []struct {
		name      string
		file      string
		opts      Options
		want      summary
		platforms map[string]string // image → ImagePlatform
		notes     []string          // substrings of notes, in order
	}{{
		name: "Bref v1 docs/web-apps/docker.md",
		file: "testdata/bref-docs/v1-docker/serverless.yml",
		want: summary{
			images:     []string{"hello-world . Dockerfile <- hello"},
			functions:  []string{"hello bref-with-docker-dev-hello hello-world x86_64"},
			repository: "serverless-bref-with-docker-dev",
		},
		platforms: map[string]string{"hello-world": "linux/amd64"},
	}, {
		name: "Bref v3 docs/deploy/docker.mdx",
		file: "testdata/bref-docs/v3-docker/serverless.yml",
		opts: Options{Stage: "prod", Region: "eu-west-1"},
		want: summary{
			images:     []string{"hello-world . Dockerfile linux/amd64 <- hello"},
			functions:  []string{"hello bref-with-docker-prod-hello hello-world x86_64"},
			repository: "serverless-bref-with-docker-prod",
		},
		platforms: map[string]string{"hello-world": "linux/amd64"},
	}, {
		name: "Bref v3 docs, ${ssm:} in environment, which brefimg does not need",
		file: "testdata/bref-docs/ssm-environment/serverless.yml",
		want: summary{
			images:     []string{"hello-world . Dockerfile linux/amd64 <- hello"},
			functions:  []string{"hello bref-with-docker-dev-hello hello-world x86_64"},
			repository: "serverless-bref-with-docker-dev",
		},
	}, {
		name: "Serverless docs: images, with --stage",
		file: "testdata/serverless-docs/images/serverless.yml",
		opts: Options{Stage: "staging"},
		want: summary{
			images: []string{
				"anotherimage " + digest + " <- ",
				"baseimage path/to/context path/to/context/Dockerfile.dev linux/amd64 STAGE=staging <- ",
			},
			repository: "serverless-service-name-staging",
		},
		platforms: map[string]string{"baseimage": "linux/amd64"},
		notes: []string{
			":7: provider.ecr.images.baseimage: no function uses it: Serverless does not build it",
			":12: provider.ecr.images.baseimage.cacheFrom: ignored",
			":15: provider.ecr.images.anotherimage: no function uses it",
			":16: provider.ecr.images.anotherimage.uri: is the image " + digest + ": brefimg does not build it",
		},
	}, {
		name: "Serverless docs: a function given by URI",
		file: "testdata/serverless-docs/function-uri/serverless.yml",
		want: summary{
			images: []string{"baseimage path/to/context path/to/context/Dockerfile <- world"},
			functions: []string{
				"hello service-name-dev-hello " + digest + " x86_64",
				"world service-name-dev-world baseimage x86_64",
			},
			repository: "serverless-service-name-dev",
		},
		platforms: map[string]string{"baseimage": "linux/amd64"},
	}, {
		name: "Serverless docs: image config",
		file: "testdata/serverless-docs/image-config/serverless.yml",
		opts: Options{Stage: "dev"},
		want: summary{
			images: []string{"baseimage path/to/context path/to/context/Dockerfile <- world"},
			functions: []string{
				`hello service-name-dev-hello ` + digest + ` x86_64 cmd["executable" "flag"] entry["executable" "flag"] wd=/workdir`,
				`world service-name-dev-world baseimage x86_64 cmd["command"] entry["executable" "flag"]`,
			},
			repository: "serverless-service-name-dev",
		},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			p, err := Load(tt.file, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if got := summarize(p); !reflect.DeepEqual(got, tt.want) {
				t.Errorf("Load:\n got %q\nwant %q", got, tt.want)
			}
			for name, want := range tt.platforms {
				img, _ := p.Image(name)
				pl, err := p.ImagePlatform(img)
				if err != nil || pl.String() != want {
					t.Errorf("ImagePlatform(%s) = %s, %v; want %s", name, pl.String(), err, want)
				}
			}
			if len(tt.notes) != len(p.Notes) {
				t.Errorf("notes:\n%s\nwant %d", strings.Join(p.Notes, "\n"), len(tt.notes))
			}
			for i, n := range tt.notes {
				if i < len(p.Notes) && !strings.Contains(p.Notes[i], n) {
					t.Errorf("note %d = %q, want it to contain %q", i, p.Notes[i], n)
				}
			}
		})
	}
}

// TestRealFileErrors loads the real files that brefimg refuses.
func TestRealFileErrors(t *testing.T) {
	tests := []struct {
		name string
		file string
		want string
	}{{
		name: "Bref v3 docs' one image for all functions: a fragment without service:",
		file: "testdata/bref-docs/v3-one-image/serverless.yml",
		want: ":1: service: is not set: name the service (service: my-app)",
	}, {
		name: "Bref v3 docs with ${ssm:} in a build argument",
		file: "testdata/bref-docs/ssm-build-arg/serverless.yml",
		want: ":16: provider.ecr.images.hello-world.buildArgs.COMPOSER_AUTH: ${ssm:/my-app/${sls:stage}/composer-auth} cannot be resolved by brefimg: use ${env:NAME} or ${opt:…} instead",
	}, {
		name: "Serverless docs: images, without --stage",
		file: "testdata/serverless-docs/images/serverless.yml",
		want: ":11: provider.ecr.images.baseimage.buildArgs.STAGE: ${opt:stage} has no value (no --stage given): give it one, or a fallback: ${opt:stage, 'value'}",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Load(tt.file, Options{})
			wantError(t, err, "", plan.FieldFile, tt.file+tt.want)
		})
	}
}

// TestBrefOneImage loads the "one image for all functions" example of
// Bref v3's docs with the service: line the rest of the page's
// serverless.yml has.
func TestBrefOneImage(t *testing.T) {
	data, err := os.ReadFile("testdata/bref-docs/v3-one-image/serverless.yml")
	if err != nil {
		t.Fatal(err)
	}
	path := write(t, "service: my-app\n"+string(data), "Dockerfile")
	p, err := Load(path, Options{})
	if err != nil {
		t.Fatal(err)
	}
	want := summary{
		images: []string{"my-app . Dockerfile linux/amd64 <- console,web,worker"},
		functions: []string{
			`console my-app-dev-console my-app x86_64 cmd["bin/console"]`,
			`web my-app-dev-web my-app x86_64 cmd["public/index.php"]`,
			`worker my-app-dev-worker my-app x86_64 cmd["Acme\\QueueWorker"]`,
		},
		repository: "serverless-my-app-dev",
	}
	if got := summarize(p); !reflect.DeepEqual(got, want) {
		t.Errorf("Load:\n got %q\nwant %q", got, want)
	}
	// command: is a string in Bref's docs, a list in Serverless's schema.
	if len(p.Notes) != 3 || !strings.Contains(p.Notes[0], ":15: functions.web.image.command: is a string: Serverless's schema wants a list; brefimg reads it as [\"public/index.php\"]") {
		t.Errorf("notes = %q", p.Notes)
	}
}

// wantError checks that err is a *plan.InputError about field whose
// message, with path made "serverless.yml", contains each of want.
func wantError(t *testing.T, err error, path string, field plan.Field, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want %q", want)
	}
	var in *plan.InputError
	if !errors.As(err, &in) {
		t.Errorf("%T is not a *plan.InputError: %v", err, err)
	}
	if got := plan.FieldOf(err); got != field {
		t.Errorf("field = %q, want %q", got, field)
	}
	msg := err.Error()
	if path != "" {
		msg = strings.ReplaceAll(msg, path, "serverless.yml")
	}
	for _, w := range want {
		if !strings.Contains(msg, w) {
			t.Errorf("error %q\ndoes not contain %q", msg, w)
		}
	}
}

// mergeBomb returns a serverless.yml whose merge keys would bring 4^18
// keys into functions.api.
func mergeBomb() string {
	var b strings.Builder
	b.WriteString("service: app\nprovider:\n  name: aws\ncustom:\n  a0: &a0 {k: v}\n")
	for i := 1; i < 19; i++ {
		fmt.Fprintf(&b, "  a%d: &a%d\n    <<: [*a%d, *a%d, *a%d, *a%d]\n", i, i, i-1, i-1, i-1, i-1)
	}
	b.WriteString("functions:\n  api:\n    <<: *a18\n")
	return b.String()
}

func TestLoadErrors(t *testing.T) {
	const head = "service: app\nprovider:\n  name: aws\n  ecr:\n    images:\n      app:\n        path: ./\n"
	tests := []struct {
		name  string
		yml   string
		files []string // Dockerfiles to create
		opts  Options
		want  []string
		field plan.Field
	}{{
		name: "a function naming an image provider.ecr.images lacks",
		yml:  head + "functions:\n  api:\n    image: nope\n",
		want: []string{"serverless.yml:10: functions.api.image: \"nope\" is not in provider.ecr.images (app are defined)"},
	}, {
		name: "the image name in a mapping",
		yml:  head + "functions:\n  api:\n    image:\n      name: nope\n",
		want: []string{"serverless.yml:11: functions.api.image.name: \"nope\" is not in provider.ecr.images"},
	}, {
		name: "${ssm:} in a function's name",
		yml:  head + "functions:\n  api:\n    image: app\n    name: ${ssm:/x}\n",
		want: []string{"serverless.yml:11: functions.api.name: ${ssm:/x} cannot be resolved by brefimg", "use ${env:NAME} or ${opt:…}"},
	}, {
		name: "${cf:} in provider.region",
		yml:  "service: app\nprovider:\n  name: aws\n  region: ${cf:other.Region}\n",
		want: []string{"serverless.yml:4: provider.region: ${cf:other.Region} cannot be resolved by brefimg", "(or pass --region)"},
	}, {
		name: "${cf:} in provider.region, but --region given",
		yml:  "service: app\nprovider:\n  name: aws\n  region: ${cf:other.Region}\n",
		opts: Options{Region: "eu-west-1"},
	}, {
		name: "${s3:} in an image's path",
		yml:  "service: app\nprovider:\n  name: aws\n  ecr:\n    images:\n      app:\n        path: ${s3:bucket/key}\n",
		want: []string{"serverless.yml:7: provider.ecr.images.app.path: ${s3:bucket/key} cannot be resolved by brefimg"},
	}, {
		name: "${file()} as functions",
		yml:  head + "functions: ${file(./functions.yml)}\n",
		want: []string{"serverless.yml:8: functions: ${file(./functions.yml)} cannot be resolved by brefimg"},
	}, {
		name: "${ssm:} behind ${self:}",
		yml:  head + "custom:\n  name: ${ssm:/app/name}\nfunctions:\n  api:\n    image: app\n    name: ${self:custom.name}\n",
		want: []string{"serverless.yml:13: functions.api.name: line 9: custom.name: ${ssm:/app/name} cannot be resolved by brefimg"},
	}, {
		name: "${ssm:} with a fallback is still SSM's",
		yml:  head + "functions:\n  api:\n    image: app\n    name: ${ssm:/x, 'api'}\n",
		want: []string{"functions.api.name: ${ssm:/x} cannot be resolved"},
	}, {
		name: "${ssm:} in a field brefimg does not need",
		yml:  head + "functions:\n  api:\n    image: app\n    environment:\n      SECRET: ${ssm:/x}\n    events:\n      - sqs: ${cf:stack.QueueArn}\n",
	}, {
		name: "an environment variable without value nor fallback",
		yml:  head + "functions:\n  api:\n    image: app\n    name: ${env:API_NAME}\n",
		want: []string{"serverless.yml:11: functions.api.name: ${env:API_NAME} has no value (the environment variable API_NAME is not set): give it one, or a fallback: ${env:API_NAME, 'value'}"},
	}, {
		name: "${opt:stage} without --stage",
		yml:  "service: app\nprovider:\n  name: aws\n  stage: ${opt:stage}\n",
		want: []string{"serverless.yml:4: provider.stage: ${opt:stage} has no value (no --stage given)", "(or pass --stage)"},
	}, {
		name: "a function image with both name and uri",
		yml:  head + "functions:\n  api:\n    image:\n      name: app\n      uri: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:latest\n",
		want: []string{"serverless.yml:10: functions.api.image: has both name (app) and uri (123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:latest): keep one"},
	}, {
		name: "a function image with neither name nor uri",
		yml:  head + "functions:\n  api:\n    image:\n      command: [x]\n",
		want: []string{"serverless.yml:10: functions.api.image: has neither name"},
	}, {
		name: "an image with uri and path",
		yml:  "service: app\nprovider:\n  name: aws\n  ecr:\n    images:\n      app:\n        path: ./\n        uri: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:latest\n",
		want: []string{"serverless.yml:8: provider.ecr.images.app.uri: is set with path"},
	}, {
		name: "an image with neither uri nor path",
		yml:  "service: app\nprovider:\n  name: aws\n  ecr:\n    images:\n      app:\n        file: Dockerfile\n",
		want: []string{"serverless.yml:6: provider.ecr.images.app: has neither path"},
	}, {
		name: "provider.name not aws",
		yml:  "service: app\nprovider:\n  name: google\n",
		want: []string{"serverless.yml:3: provider.name: is \"google\": brefimg deploys to AWS Lambda only"},
	}, {
		name: "no provider",
		yml:  "service: app\n",
		want: []string{"serverless.yml:1: provider.name: is not set"},
	}, {
		name: "no service",
		yml:  "provider:\n  name: aws\n",
		want: []string{"serverless.yml:1: service: is not set"},
	}, {
		name: "a function with handler and image",
		yml:  head + "functions:\n  api:\n    handler: index.php\n    image: app\n",
		want: []string{"serverless.yml:11: functions.api.image: is set with handler"},
	}, {
		name:  "an architecture Lambda does not run",
		yml:   head + "functions:\n  api:\n    image: app\n    architecture: x86\n",
		want:  []string{"serverless.yml:11: functions.api.architecture: is \"x86\": Lambda runs x86_64 or arm64"},
		field: plan.FieldPlatform,
	}, {
		name:  "a platform that does not parse",
		yml:   "service: app\nprovider:\n  name: aws\n  ecr:\n    images:\n      app:\n        path: ./\n        platform: linux/\n",
		want:  []string{"serverless.yml:8: provider.ecr.images.app.platform: \"linux/\": use os/arch"},
		field: plan.FieldPlatform,
	}, {
		name:  "a missing Dockerfile",
		yml:   head + "        file: docker/Dockerfile\nfunctions:\n  api:\n    image: app\n",
		files: []string{"Dockerfile"},
		want:  []string{"serverless.yml:6: provider.ecr.images.app: the Dockerfile ", "docker/Dockerfile does not exist"},
	}, {
		name: "a variable that refers to itself",
		yml:  head + "custom:\n  a: ${self:custom.b}\n  b: ${self:custom.a}\nfunctions:\n  api:\n    image: app\n    name: ${self:custom.a}\n",
		want: []string{"functions.api.name: ", "refers to itself"},
	}, {
		name: "${sls:stage} in provider.stage",
		yml:  "service: app\nprovider:\n  name: aws\n  stage: ${sls:stage}\n",
		want: []string{"serverless.yml:4: provider.stage: ", "refers to itself"},
	}, {
		name: "an unterminated variable",
		yml:  head + "functions:\n  api:\n    image: app\n    name: ${opt:stage\n",
		want: []string{"serverless.yml:11: functions.api.name: variable syntax: ${opt:stage: missing '}'"},
	}, {
		name: "a mapping where a string goes",
		yml:  head + "functions:\n  api:\n    image: app\n    name:\n      Fn::Join: [a, b]\n",
		want: []string{"serverless.yml:11: functions.api.name: is a mapping: want a string"},
	}, {
		name: "a CloudFormation function where a string goes",
		yml:  head + "functions:\n  api:\n    image: app\n    name: !Sub '${AWS::StackName}-api'\n",
		want: []string{"serverless.yml:11: functions.api.name: is a CloudFormation function (!Sub)"},
	}, {
		name: "a key set twice",
		yml:  head + "functions:\n  api:\n    image: app\n    name: a\n    name: b\n",
		want: []string{"functions.api: line 12: key \"name\" is already set on line 11"},
	}, {
		name: "an image name that is no tag",
		yml:  "service: app\nprovider:\n  name: aws\n  ecr:\n    images:\n      \"a b\":\n        path: ./\n",
		want: []string{"serverless.yml:6: provider.ecr.images.a b: \"a b\" cannot be an image tag"},
	}, {
		name: "maxImages not a number",
		yml:  "service: app\nprovider:\n  name: aws\n  ecr:\n    maxImages: ten\n",
		want: []string{"serverless.yml:5: provider.ecr.maxImages: is \"ten\": want a whole number, 1 or more"},
	}, {
		name: "scanOnPush not a boolean",
		yml:  "service: app\nprovider:\n  name: aws\n  ecr:\n    scanOnPush: maybe\n",
		want: []string{"serverless.yml:5: provider.ecr.scanOnPush: is \"maybe\": want true or false"},
	}, {
		name: "a function that is a string",
		yml:  head + "functions:\n  api: app\n",
		want: []string{"serverless.yml:9: functions.api: is a string: want a mapping"},
	}, {
		name: "${aws:accountId}, which needs AWS",
		yml:  head + "functions:\n  api:\n    image: app\n    name: ${aws:accountId}-api\n",
		want: []string{"serverless.yml:11: functions.api.name: ${aws:accountId} cannot be resolved by brefimg"},
	}, {
		name: "${ssm:} with a variable in its address, unresolvable first",
		yml:  head + "functions:\n  api:\n    image: app\n    name: ${ssm:/app/${env:NOPE}/name}\n",
		want: []string{"serverless.yml:11: functions.api.name: ${ssm:/app/${env:NOPE}/name} cannot be resolved by brefimg"},
	}, {
		name: "merge keys that bring in too many keys",
		yml:  mergeBomb(),
		want: []string{"functions.api: line 5: merge keys (<<) bring in too many keys"},
	}, {
		name: "not YAML",
		yml:  "service: [\n",
		want: []string{"serverless.yml: yaml: line"},
	}, {
		name: "not a mapping",
		yml:  "- a\n",
		want: []string{"serverless.yml:1: the file is a list"},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			files := tt.files
			if files == nil {
				files = []string{"Dockerfile"}
			}
			path := write(t, tt.yml, files...)
			p, err := Load(path, tt.opts)
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("Load: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatalf("Load = %+v, want an error", p)
			}
			field := tt.field
			if field == "" {
				field = plan.FieldFile
			}
			wantError(t, err, path, field, tt.want...)
		})
	}
}

func TestImagePlatform(t *testing.T) {
	const head = "service: app\nprovider:\n  name: aws\n"
	tests := []struct {
		name  string
		yml   string
		image string
		want  string // the platform, or the error's substrings separated by "|"
	}{{
		name:  "the provider's architecture",
		yml:   head + "  architecture: arm64\n  ecr:\n    images:\n      app:\n        path: ./\nfunctions:\n  api:\n    image: app\n",
		image: "app",
		want:  "linux/arm64",
	}, {
		name:  "the functions' architecture",
		yml:   head + "  ecr:\n    images:\n      app:\n        path: ./\nfunctions:\n  api:\n    image: app\n    architecture: arm64\n  cli:\n    image: app\n    architecture: arm64\n",
		image: "app",
		want:  "linux/arm64",
	}, {
		name:  "platform: wins, agreeing",
		yml:   head + "  ecr:\n    images:\n      app:\n        path: ./\n        platform: linux/arm64/v8\nfunctions:\n  api:\n    image: app\n    architecture: arm64\n",
		image: "app",
		want:  "linux/arm64",
	}, {
		name:  "an image no function uses",
		yml:   head + "  architecture: arm64\n  ecr:\n    images:\n      app:\n        path: ./\n",
		image: "app",
		want:  "linux/arm64",
	}, {
		name:  "functions disagreeing",
		yml:   head + "  ecr:\n    images:\n      app:\n        path: ./\nfunctions:\n  api:\n    image: app\n  cli:\n    image: app\n  worker:\n    image: app\n    architecture: arm64\n",
		image: "app",
		want:  "serverless.yml:6: provider.ecr.images.app: the functions using it run on different architectures (functions.api (line 9), functions.cli (line 11) on x86_64; functions.worker (line 13) on arm64)|one image per architecture",
	}, {
		name:  "platform: disagreeing with the functions",
		yml:   head + "  ecr:\n    images:\n      app:\n        path: ./\n        platform: linux/amd64\nfunctions:\n  api:\n    image: app\n    architecture: arm64\n",
		image: "app",
		want:  "serverless.yml:6: provider.ecr.images.app.platform: linux/amd64 is x86_64, but functions.api (line 10) run on arm64",
	}, {
		name:  "a platform Lambda does not run",
		yml:   head + "  ecr:\n    images:\n      app:\n        path: ./\n        platform: windows/amd64\n",
		image: "app",
		want:  "provider.ecr.images.app.platform: windows/amd64 is not a platform Lambda runs",
	}, {
		name:  "an image given by URI",
		yml:   head + "  ecr:\n    images:\n      app: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:latest\n",
		image: "app",
		want:  "provider.ecr.images.app: is the image 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:latest, which brefimg does not build",
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(t, tt.yml, "Dockerfile")
			p, err := Load(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			img, ok := p.Image(tt.image)
			if !ok {
				t.Fatalf("no image %s", tt.image)
			}
			pl, err := p.ImagePlatform(img)
			if !strings.Contains(tt.want, " ") {
				if err != nil || pl.String() != tt.want {
					t.Fatalf("ImagePlatform = %s, %v; want %s", pl.String(), err, tt.want)
				}
				return
			}
			field := plan.FieldPlatform
			if !img.Built() {
				field = plan.FieldFile
			}
			wantError(t, err, path, field, strings.Split(tt.want, "|")...)
		})
	}
}

// TestVariables resolves a function's name: from variables.
func TestVariables(t *testing.T) {
	const file = `service: app
custom:
  app: my-app
  qa:
    name: qa-name
  base: &base
    image: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:latest
  suffix: ${self:custom.app}-x
  images: ${self:custom.stored}
  list:
    - first
    - second
  stored:
    app:
      uri: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:latest
provider:
  name: aws
  stage: ${opt:stage, 'qa'}
  region: eu-west-1
  ecr:
    images: ${self:custom.images}
functions:
  api:
    <<: *base
    name: %s
`
	tests := []struct {
		name string
		expr string
		opts Options
		want string
	}{
		{"a plain name", "plain", Options{}, "plain"},
		{"${opt:stage, 'dev'} without --stage", "${opt:stage, 'dev'}", Options{}, "dev"},
		{"${opt:stage, 'dev'} with --stage", "${opt:stage, 'dev'}", Options{Stage: "prod"}, "prod"},
		{"a double-quoted fallback", `'${opt:stage, "d, q"}'`, Options{}, "d, q"},
		{"a number fallback", "${opt:stage, 42}", Options{}, "42"},
		{"a bare word fallback", "${opt:stage, dev}", Options{}, "dev"},
		{"a source as fallback", "${opt:stage, self:provider.stage}", Options{}, "qa"},
		{"a variable as fallback", "${opt:stage, ${self:provider.stage}}", Options{}, "qa"},
		{"fallbacks in turn", "${env:NOPE, opt:stage, 'last'}", Options{}, "last"},
		{"${sls:stage}", "${sls:stage}", Options{}, "qa"},
		{"${sls:stage} with --stage", "${sls:stage}", Options{Stage: "prod"}, "prod"},
		{"${aws:region}", "${aws:region}", Options{}, "eu-west-1"},
		{"${opt:region}", "${opt:region, aws:region}", Options{Region: "us-west-2"}, "us-west-2"},
		{"${env:}", "${env:NAME, 'x'}", Options{Getenv: env(map[string]string{"NAME": "from-env"})}, "from-env"},
		{"${env:} fallback", "${env:NAME, 'x'}", Options{}, "x"},
		{"${env:} null fallback", "${env:NAME, null}", Options{}, "app-qa-api"},
		{"${self:} through ${self:}", "${self:custom.suffix}", Options{}, "my-app-x"},
		{"${self:service}", "${self:service}-api", Options{}, "app-api"},
		{"a variable address", "${self:custom.${sls:stage}.name}", Options{}, "qa-name"},
		{"text and variables", "fn-${self:custom.app}-${sls:stage}!", Options{}, "fn-my-app-qa!"},
		{"CloudFormation's ${} left alone", "x-${AWS::Region}", Options{}, "x-${AWS::Region}"},
		{"an escaped variable", `x-\${self:custom.app}`, Options{}, "x-${self:custom.app}"},
		{"${stage} is no variable", "${stage}", Options{}, "${stage}"},
		{"a list element", "${self:custom.list.1}", Options{}, "second"},
		{"a path through ${self:}", "${self:provider.ecr.images.app.uri}", Options{}, "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:latest"},
		{"a path through a string", "${self:service.name, 'fallback'}", Options{}, "fallback"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(t, fmt.Sprintf(file, tt.expr))
			p, err := Load(path, tt.opts)
			if err != nil {
				t.Fatal(err)
			}
			if len(p.Functions) != 1 {
				t.Fatalf("functions = %+v", p.Functions)
			}
			if got := p.Functions[0].Name; got != tt.want {
				t.Errorf("name = %q, want %q", got, tt.want)
			}
			if got := p.Functions[0].ImageURI; got != "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:latest" {
				t.Errorf("image URI = %q (from <<: *base)", got)
			}
			if len(p.Images) != 1 || p.Images[0].URI == "" {
				t.Errorf("images = %+v (from ${self:custom.images})", p.Images)
			}
		})
	}
}

func TestRepository(t *testing.T) {
	tests := []struct{ service, stage, want string }{
		{"app", "dev", "serverless-app-dev"},
		{"My-App", "Prod", "serverless-my-app-prod"},
		{"app--x", "dev", "serverless-app-x-dev"},
		{"app-", "-dev-", "serverless-app-dev"},
		{"app", "--", "serverless-app"},
		{"my_app", "dev", "serverless-my_app-dev"},
	}
	for _, tt := range tests {
		t.Run(tt.service+"/"+tt.stage, func(t *testing.T) {
			p := &Project{Service: tt.service, Stage: tt.stage}
			if got := p.Repository(); got != tt.want {
				t.Errorf("Repository() = %q, want %q", got, tt.want)
			}
		})
	}
}

func TestIsECRURI(t *testing.T) {
	tests := []struct {
		s    string
		want bool
	}{
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:latest", true},
		{"123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@sha256:6bb600b4d6e1d7cf521097177dd0c4e9ea373edb91984a505333be8ac9455d38", true},
		{"registry.example.com/app@sha256:6bb600b4d6e1d7cf521097177dd0c4e9ea373edb91984a505333be8ac9455d38", true},
		{"app", false},
		{"my-image", false},
		{"docker.io/library/php:8.4", false},
	}
	for _, tt := range tests {
		t.Run(tt.s, func(t *testing.T) {
			if got := isECRURI(tt.s); got != tt.want {
				t.Errorf("isECRURI(%q) = %v, want %v", tt.s, got, tt.want)
			}
		})
	}
}

// TestNotes checks what Load notes about fields it ignores or reads
// differently from Serverless.
func TestNotes(t *testing.T) {
	tests := []struct {
		name string
		yml  string
		want []string
	}{{
		name: "v1's service object and provider string",
		yml:  "service:\n  name: app\nprovider: aws\n",
		want: []string{"serverless.yml:1: service: is a mapping, v1's form, which Serverless v3 and v4 refuse: write service: <name>"},
	}, {
		name: "ignored image keys",
		yml:  "service: app\nprovider:\n  name: aws\n  ecr:\n    images:\n      app:\n        path: ./\n        buildOptions: [--network=host]\n        provenance: 'false'\n        target: final\nfunctions:\n  api:\n    image:\n      name: app\n      memory: 1024\n",
		want: []string{
			"serverless.yml:8: provider.ecr.images.app.buildOptions: ignored: brefimg builds without Docker and takes no docker build options",
			"serverless.yml:9: provider.ecr.images.app.provenance: ignored: brefimg attaches no provenance attestation",
			"serverless.yml:10: provider.ecr.images.app.target: is not a key Serverless knows: ignored",
			"serverless.yml:15: functions.api.image.memory: is not a key Serverless knows: ignored",
		},
	}, {
		name: "entryPoint as a string",
		yml:  "service: app\nprovider:\n  name: aws\nfunctions:\n  api:\n    image:\n      uri: 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:latest\n      entryPoint: /opt/bootstrap\n",
		want: []string{`serverless.yml:8: functions.api.image.entryPoint: is a string: Serverless's schema wants a list; brefimg reads it as ["/opt/bootstrap"]`},
	}}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := write(t, tt.yml, "Dockerfile")
			p, err := Load(path, Options{})
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, n := range p.Notes {
				got = append(got, strings.ReplaceAll(n, path, "serverless.yml"))
			}
			if !reflect.DeepEqual(got, tt.want) {
				t.Errorf("notes:\n got %q\nwant %q", got, tt.want)
			}
		})
	}
}

// TestLoadMore covers the rest of what Load reads.
func TestLoadMore(t *testing.T) {
	t.Run("functions as a list, and maxImages", func(t *testing.T) {
		path := write(t, `service: app
provider:
  name: aws
  ecr:
    maxImages: 10
    images:
      app: ./
functions:
  - api:
      image: app
  - worker:
      image: app
      architecture: arm64
    cron:
      handler: cron.php
`, "Dockerfile")
		p, err := Load(path, Options{})
		if err != nil {
			t.Fatal(err)
		}
		if p.MaxImages != 10 || p.ScanOnPush {
			t.Errorf("MaxImages, ScanOnPush = %d, %v; want 10, false", p.MaxImages, p.ScanOnPush)
		}
		got := summarize(p)
		want := summary{
			images:     []string{"app . Dockerfile <- api,worker"},
			functions:  []string{"api app-dev-api app x86_64", "worker app-dev-worker app arm64"},
			zip:        []string{"cron"},
			repository: "serverless-app-dev",
		}
		if !reflect.DeepEqual(got, want) {
			t.Errorf("Load:\n got %q\nwant %q", got, want)
		}
	})
	t.Run("a file that does not exist", func(t *testing.T) {
		_, err := Load(filepath.Join(t.TempDir(), "serverless.yml"), Options{})
		wantError(t, err, "", plan.FieldFile, "serverless.yml does not exist: pass the path of your serverless.yml")
	})
}
