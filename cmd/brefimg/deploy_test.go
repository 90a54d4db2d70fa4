package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/brefimg/brefimg/internal/fakeecr"
	"github.com/brefimg/brefimg/internal/fakelambda"
)

// TestDeployToLambda builds, pushes to ECR and deploys end to end, in a
// subprocess that reaches the fake ECR and the fake Lambda only through
// the variables a user sets (AWS_ENDPOINT_URL_LAMBDA among them).
func TestDeployToLambda(t *testing.T) {
	t.Parallel()
	src := seeded(t)
	e := fakeecr.Start(t)
	l := fakelambda.Start(t, fakelambda.Options{AccessKeyID: e.AccessKeyID, SecretAccessKey: e.SecretAccessKey})
	l.AddFunction(fakelambda.Function{Name: "api", PackageType: "Image"})
	l.AddFunction(fakelambda.Function{Name: "arm", PackageType: "Image", Architectures: []string{"arm64"}})
	l.AddFunction(fakelambda.Function{Name: "zip", PackageType: "Zip"})
	env := e.Environ(os.Environ())
	for k, v := range l.Vars() {
		env = append(env, k+"="+v)
	}
	outputs := filepath.Join(t.TempDir(), "github-output")
	summary := filepath.Join(t.TempDir(), "summary.md")
	env = append(env, "GITHUB_OUTPUT="+outputs, "GITHUB_STEP_SUMMARY="+summary)
	app := neutralApp(t)
	meta := filepath.Join(t.TempDir(), "meta.json")
	build := []string{"build", "--bref", "3", "--php", "8.4", "--mirror", src.Host, "-t", e.Ref("app:1"), app}

	code, stdout, stderr := brefimgProcess(t, env, append(build, "--deploy", "api", "--alias", "live", "--metadata-file", meta)...)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	ref := strings.TrimSpace(stdout)
	fn, _ := l.Function("api")
	if !strings.HasPrefix(ref, fakeecr.Host+"/app@sha256:") || fn.ImageUri != ref || fn.Aliases["live"].FunctionVersion != "1" {
		t.Fatalf("pushed %q; the function runs %q with aliases %+v", ref, fn.ImageUri, fn.Aliases)
	}
	var md Metadata
	b, err := os.ReadFile(meta)
	if err != nil || json.Unmarshal(b, &md) != nil {
		t.Fatalf("metadata: %v", err)
	}
	validateMetadata(t, b)
	if len(md.Deployments) != 1 || md.Deployments[0].Version != "1" || md.Deployments[0].Image != ref || !strings.HasSuffix(md.Deployments[0].ARN, ":function:api") {
		t.Errorf("metadata deployments %+v", md.Deployments)
	}
	gh, _ := os.ReadFile(outputs)
	for _, want := range []string{"image-uri=" + ref + "\n", "digest=" + md.Digest + "\n", `deployed=[{"function":"api"`} {
		if !strings.Contains(string(gh), want) {
			t.Errorf("GITHUB_OUTPUT lacks %q:\n%s", want, gh)
		}
	}
	if s, _ := os.ReadFile(summary); !strings.Contains(string(s), "| `api` | 1 | updated |") {
		t.Errorf("step summary:\n%s", s)
	}

	t.Run("deploy by tag: resolved to the digest, already up to date", func(t *testing.T) {
		updates := l.Count("UpdateFunctionCode")
		code, stdout, stderr := brefimgProcess(t, env, "deploy", "--function", "api", e.Ref("app:1"))
		if code != exitOK || !strings.Contains(stdout, ref+" (already up to date)") || !strings.Contains(stderr, "api already runs") {
			t.Errorf("exit %d, stdout %q, stderr %s", code, stdout, stderr)
		}
		if l.Count("UpdateFunctionCode") != updates {
			t.Errorf("an up-to-date function was updated")
		}
	})
	t.Run("wrong architecture", func(t *testing.T) {
		code, _, stderr := brefimgProcess(t, env, "deploy", "--function", "arm", ref)
		if code != exitUsage || !strings.Contains(stderr, "function arm runs on arm64, the image is linux/amd64") || !strings.Contains(stderr, "--platform linux/arm64") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("zip function", func(t *testing.T) {
		code, _, stderr := brefimgProcess(t, env, "deploy", "--function", "zip", ref)
		if code != exitUsage || !strings.Contains(stderr, "brefimg: function zip is a Zip function") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("failed update", func(t *testing.T) {
		l.AddFunction(fakelambda.Function{Name: "broken", PackageType: "Image"})
		l.FailNextUpdate("broken", "ImageAccessDenied", "Lambda does not have permission to access the ECR image.")
		code, _, stderr := brefimgProcess(t, env, "deploy", "--function", "broken", ref)
		if code != exitBuild || !strings.Contains(stderr, "ImageAccessDenied: Lambda does not have permission to access the ECR image") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("deploy needs ECR", func(t *testing.T) {
		code, _, stderr := brefimg(t, nil, "build", "--bref", "3", "--php", "8.4", "--mirror", src.Host, "-t", src.Host+"/app:1", "--deploy", "api", app)
		if code != exitUsage || !strings.Contains(stderr, "--deploy needs the image in Amazon ECR") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	for _, secret := range e.Secrets() {
		if strings.Contains(stdout+stderr, secret) {
			t.Error("a credential appears in the output")
		}
	}
}

// TestServerless builds every image of a serverless.yml (one per
// architecture), pushes each where Serverless would
// (<account>.dkr.ecr.<region>.amazonaws.com/serverless-<service>-<stage>:<image>,
// the account from STS) and deploys the functions using them by digest.
func TestServerless(t *testing.T) {
	t.Parallel()
	src := seeded(t)
	e := fakeecr.Start(t)
	l := fakelambda.Start(t, fakelambda.Options{AccessKeyID: e.AccessKeyID, SecretAccessKey: e.SecretAccessKey})
	l.AddFunction(fakelambda.Function{Name: "hello-prod-web", PackageType: "Image"})
	l.AddFunction(fakelambda.Function{Name: "hello-prod-console", PackageType: "Image"})
	l.AddFunction(fakelambda.Function{Name: "hello-prod-worker", PackageType: "Image", Architectures: []string{"arm64"}})
	env := e.Environ(os.Environ())
	for k, v := range l.Vars() {
		env = append(env, k+"="+v)
	}
	dir := t.TempDir()
	web, worker := neutralApp(t), neutralApp(t)
	yml := `service: hello
provider:
  name: aws
  region: ${env:AWS_REGION}
  stage: ${opt:stage, 'dev'}
  ecr:
    images:
      web:
        path: ` + web + `
      worker:
        path: ` + worker + `
        buildArgs:
          HANDLER: worker.php
functions:
  web:
    image: web
  console:
    image: {name: web}
  worker:
    image: {name: worker}
    architecture: arm64
  cron:
    handler: cron.php
`
	files := map[string]string{
		filepath.Join(dir, "serverless.yml"): yml,
		filepath.Join(web, "Dockerfile"):     "FROM bref/php-84:3\nENV BREF_RUNTIME=fpm\nCOPY . /var/task\nCMD [\"public/index.php\"]\n",
		filepath.Join(worker, "Dockerfile"):  "FROM bref/arm-php-84:3\nARG HANDLER\nENV BREF_RUNTIME=function APP_HANDLER=${HANDLER}\nCOPY . /var/task\nCMD [\"worker.php\"]\n",
		filepath.Join(worker, "worker.php"):  "<?php return function ($event) { return 'ok'; };\n",
		filepath.Join(worker, "id_rsa"):      "-----BEGIN OPENSSH PRIVATE KEY-----\n",
	}
	for p, c := range files {
		if err := os.WriteFile(p, []byte(c), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	imagesFile := filepath.Join(t.TempDir(), "images.json")
	code, stdout, stderr := brefimgProcess(t, env, "build", "--serverless", "--stage", "prod", "--mirror", src.Host,
		"--deploy", "all", "--images-file", imagesFile, dir)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	// A finding names the file in its image's context, not in the directory of serverless.yml.
	if want := relToCwd(filepath.Join(worker, "id_rsa")) + ": "; !strings.Contains(stderr, want) {
		t.Errorf("the worker's id_rsa finding does not name %s:\n%s", want, stderr)
	}
	var images map[string]string
	if b, err := os.ReadFile(imagesFile); err != nil || json.Unmarshal(b, &images) != nil {
		t.Fatalf("images file: %v", err)
	}
	repo := fakeecr.Host + "/serverless-hello-prod@sha256:"
	for _, fn := range []struct{ name, image string }{{"hello-prod-web", "web"}, {"hello-prod-console", "web"}, {"hello-prod-worker", "worker"}} {
		got, _ := l.Function(fn.name)
		if !strings.HasPrefix(images[fn.image], repo) || got.ImageUri != images[fn.image] || !strings.Contains(stdout, fn.image+" "+images[fn.image]) {
			t.Errorf("%s runs %q; image %s is %q; stdout %q", fn.name, got.ImageUri, fn.image, images[fn.image], stdout)
		}
	}
	if images["web"] == images["worker"] {
		t.Error("the two images are the same")
	}
	if _, ok := e.ECR.Repository("serverless-hello-prod"); !ok {
		t.Error("the repository Serverless uses was not created")
	}
	t.Run("needs a function it knows", func(t *testing.T) {
		code, _, stderr := brefimgProcess(t, env, "build", "--serverless", "--mirror", src.Host, "--deploy", "cron", dir)
		if code != exitUsage || !strings.Contains(stderr, "--deploy cron: no function") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
	t.Run("refuses the flags serverless.yml replaces", func(t *testing.T) {
		code, _, stderr := brefimg(t, nil, "build", "--serverless", "--php", "8.4", dir)
		if code != exitUsage || !strings.Contains(stderr, "--php cannot be used with --serverless") {
			t.Errorf("exit %d: %s", code, stderr)
		}
	})
}
