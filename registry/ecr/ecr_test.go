package ecr

// These tests run the package against internal/fakeecr the way a user's
// process meets the real ECR: the API at AWS_ENDPOINT_URL_ECR, the registry
// host 123456789012.dkr.ecr.us-east-1.amazonaws.com through HTTPS_PROXY,
// its certificate trusted through SSL_CERT_FILE, credentials in
// AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY. Go's net/http reads
// HTTPS_PROXY and SSL_CERT_FILE once per process, so TestMain sets them
// before anything makes an HTTPS request; the tests then run in-process,
// under the race detector, and inspect errors as values. (The CLI's tests
// run the binary in a subprocess with fakeecr.Env.Environ instead.)

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/brefimg/brefimg/internal/fakeecr"
	"github.com/brefimg/brefimg/registry"
)

// env is the fake ECR every test here talks to.
var env *fakeecr.Env

func TestMain(m *testing.M) {
	var err error
	if env, err = fakeecr.New(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	if err := env.Setenv(); err != nil {
		fmt.Fprintln(os.Stderr, err)
		os.Exit(1)
	}
	code := m.Run()
	env.Close()
	os.Exit(code)
}

// pushClient returns a registry client wired as the CLI wires it, for one run.
func pushClient(t *testing.T, opts Options) (*registry.Client, *Repositories, *Keychain) {
	t.Helper()
	kc, err := NewKeychain()
	if err != nil {
		t.Fatal(err)
	}
	repos, err := NewRepositories(opts)
	if err != nil {
		t.Fatal(err)
	}
	c, err := registry.New(registry.WithKeychain(kc), registry.WithHooks(repos.Hooks()), registry.WithJobs(DefaultJobs))
	if err != nil {
		t.Fatal(err)
	}
	return c, repos, kc
}

func target(t *testing.T, c *registry.Client, repoAndTag string) name.Reference {
	t.Helper()
	ref, err := c.Target(env.Ref(repoAndTag))
	if err != nil {
		t.Fatal(err)
	}
	return ref
}

func randomImage(t *testing.T, layers int64) v1.Image {
	t.Helper()
	img, err := random.Image(2048, layers)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// runs numbers the repositories of each test run, so that runs in one
// process (go test -count=N) never meet the state of an earlier one.
var runs atomic.Int64

// unique returns a repository name no earlier test run used.
func unique(base string) string {
	return fmt.Sprintf("%s-%d", base, runs.Add(1))
}

// noSecrets fails if any text holds the secret key or a token.
func noSecrets(t *testing.T, texts ...string) {
	t.Helper()
	for _, s := range env.Secrets() {
		for _, text := range texts {
			if strings.Contains(text, s) {
				t.Errorf("a secret (%d chars) appears in %q", len(s), text)
			}
		}
	}
}

// mustFail checks err is an input error holding every want, and no secret.
func mustFail(t *testing.T, err error, want ...string) {
	t.Helper()
	if err == nil {
		t.Fatalf("no error, want one about %q", want)
	}
	for _, w := range want {
		if !strings.Contains(err.Error(), w) {
			t.Errorf("error %q\ndoes not contain %q", err, w)
		}
	}
	if !registry.IsInput(err) && !IsInput(err) {
		t.Errorf("error %q is not an input error", err)
	}
	noSecrets(t, err.Error())
}

// calls counts the API calls of op on repo (any repository if repo is "").
func calls(op, repo string) int {
	n := 0
	for _, c := range env.ECR.Calls() {
		if c.Op == op && (repo == "" || c.Repository == repo) {
			n++
		}
	}
	return n
}

func TestPushCreatesRepository(t *testing.T) {
	ctx := context.Background()
	repo := unique("svc/app-dev")
	img := randomImage(t, 3)
	want, _ := img.Digest()
	tokensBefore := calls("GetAuthorizationToken", "")

	c, repos, _ := pushClient(t, Options{Create: true, ScanOnPush: true, MaxImages: 7})
	pushed, err := c.Push(ctx, img, []name.Reference{target(t, c, repo+":1"), target(t, c, repo+":latest")})
	if err != nil {
		t.Fatal(err)
	}
	if len(pushed) != 2 || pushed[0].String() != env.Ref(repo+"@"+want.String()) {
		t.Errorf("pushed %v", pushed)
	}

	t.Run("created once, with the options", func(t *testing.T) {
		if n := calls("CreateRepository", repo); n != 1 {
			t.Errorf("%d CreateRepository calls, want 1", n)
		}
		if n := calls("DescribeRepositories", repo); n != 1 {
			t.Errorf("%d DescribeRepositories calls for two tags of one repository, want 1", n)
		}
		r, ok := env.ECR.Repository(repo)
		if !ok || !r.ScanOnPush || r.Immutable {
			t.Errorf("repository %+v", r)
		}
		if r.LifecyclePolicy != LifecyclePolicy(7) {
			t.Errorf("lifecycle policy %q", r.LifecyclePolicy)
		}
		for _, call := range env.ECR.Calls() {
			if call.Repository == repo && call.RegistryID != fakeecr.Account {
				t.Errorf("%s named registry %q, want the host's account", call.Op, call.RegistryID)
			}
		}
		want := []Repository{{Registry: fakeecr.Host, Name: repo, Account: fakeecr.Account, Region: fakeecr.Region, Created: true}}
		if got := repos.List(); fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("List() = %+v", got)
		}
	})

	t.Run("one token per registry", func(t *testing.T) {
		if n := calls("GetAuthorizationToken", "") - tokensBefore; n != 1 {
			t.Errorf("%d GetAuthorizationToken calls for one run, want 1", n)
		}
	})

	t.Run("read back equal", func(t *testing.T) {
		got, err := remote.Image(pushed[0], env.RemoteOptions()...)
		if err != nil {
			t.Fatal(err)
		}
		if d, _ := got.Digest(); d != want {
			t.Errorf("read back %s, want %s", d, want)
		}
	})

	t.Run("through the proxy to the real host name", func(t *testing.T) {
		found := false
		for _, h := range env.Proxy.Connects() {
			found = found || h == fakeecr.Host+":443"
		}
		if !found {
			t.Errorf("no CONNECT to %s:443 (got %v)", fakeecr.Host, env.Proxy.Connects())
		}
	})

	t.Run("a second run leaves the repository alone", func(t *testing.T) {
		c2, repos2, _ := pushClient(t, Options{Create: true, ImmutableTags: true, MaxImages: 2})
		if _, err := c2.Push(ctx, randomImage(t, 1), []name.Reference{target(t, c2, repo+":2")}); err != nil {
			t.Fatal(err)
		}
		if n := calls("CreateRepository", repo); n != 1 {
			t.Errorf("%d CreateRepository calls after a second run, want 1", n)
		}
		if n := calls("PutLifecyclePolicy", repo); n != 1 {
			t.Errorf("%d PutLifecyclePolicy calls after a second run, want 1", n)
		}
		if r, _ := env.ECR.Repository(repo); r.Immutable || r.LifecyclePolicy != LifecyclePolicy(7) {
			t.Errorf("the existing repository was changed: %+v", r)
		}
		if got := repos2.List(); len(got) != 1 || got[0].Created {
			t.Errorf("List() = %+v, want the repository, not created", got)
		}
	})
}

func TestEnsureRepository(t *testing.T) {
	ctx := context.Background()
	host, _ := ParseHost(fakeecr.Host)
	plain, missing := unique("ensure/plain"), unique("ensure/missing")
	created, err := EnsureRepository(ctx, host, plain, Options{Create: true})
	if err != nil || !created {
		t.Fatalf("EnsureRepository = %v, %v", created, err)
	}
	if r, _ := env.ECR.Repository(plain); r.LifecyclePolicy != "" || r.ScanOnPush || r.Immutable {
		t.Errorf("created %+v with the zero options", r)
	}
	if n := calls("PutLifecyclePolicy", plain); n != 0 {
		t.Errorf("%d PutLifecyclePolicy calls without MaxImages", n)
	}
	created, err = EnsureRepository(ctx, host, plain, Options{Create: true})
	if err != nil || created {
		t.Errorf("second EnsureRepository = %v, %v", created, err)
	}
	_, err = EnsureRepository(ctx, host, missing, Options{})
	mustFail(t, err, "looking up repository "+missing+" in "+fakeecr.Host, "does not exist", "aws ecr create-repository --repository-name "+missing+" --region us-east-1")
	_, err = EnsureRepository(ctx, host, "x", Options{Create: true})
	mustFail(t, err, "creating repository x", "InvalidParameterException")
}

func TestCreateOff(t *testing.T) {
	repo := unique("nocreate/app")
	before := len(env.ECR.Calls())
	c, repos, _ := pushClient(t, Options{})
	_, err := c.Push(context.Background(), randomImage(t, 1), []name.Reference{target(t, c, repo+":1")})
	mustFail(t, err, "repository "+repo+" does not exist in "+fakeecr.Host, "NAME_UNKNOWN", "drop --create-repo=false")
	for _, call := range env.ECR.Calls()[before:] {
		if call.Op != "GetAuthorizationToken" {
			t.Errorf("with creation off, the push called %s", call.Op)
		}
	}
	if _, ok := env.ECR.Repository(repo); ok {
		t.Error("the repository was created")
	}
	if got := repos.List(); len(got) != 1 || got[0].Created {
		t.Errorf("List() = %+v", got)
	}
}

func TestImmutableTag(t *testing.T) {
	ctx := context.Background()
	repo := unique("frozen")
	c, _, _ := pushClient(t, Options{Create: true, ImmutableTags: true})
	if _, err := c.Push(ctx, randomImage(t, 1), []name.Reference{target(t, c, repo+":v1")}); err != nil {
		t.Fatal(err)
	}
	if r, _ := env.ECR.Repository(repo); !r.Immutable {
		t.Fatalf("repository %+v is not immutable", r)
	}
	_, err := c.Push(ctx, randomImage(t, 1), []name.Reference{target(t, c, repo+":v1")})
	mustFail(t, err, "tag v1 already exists in immutable repository "+repo+": push a new tag")
	if _, err := c.Push(ctx, randomImage(t, 1), []name.Reference{target(t, c, repo+":v2")}); err != nil {
		t.Errorf("a new tag: %v", err)
	}
}

func TestAccessDenied(t *testing.T) {
	tests := []struct {
		action string
		opts   Options
		want   func(repo string) []string
	}{
		{action: ActionGetAuthorizationToken, opts: Options{Create: true}, want: func(string) []string {
			return []string{"getting an ECR authorization token for " + fakeecr.Host, "access denied to ecr:GetAuthorizationToken",
				"allow ecr:GetAuthorizationToken on *", "is not authorized to perform: ecr:GetAuthorizationToken"}
		}},
		{action: ActionDescribeRepositories, opts: Options{Create: true}, want: func(repo string) []string {
			return []string{"looking up repository " + repo, "access denied to ecr:DescribeRepositories", "--create-repo=false"}
		}},
		{action: ActionCreateRepository, opts: Options{Create: true}, want: func(repo string) []string {
			return []string{"creating repository " + repo, "access denied to ecr:CreateRepository",
				"arn:aws:ecr:us-east-1:123456789012:repository/" + repo, "aws ecr create-repository --repository-name " + repo + " --region us-east-1"}
		}},
		{action: ActionPutLifecyclePolicy, opts: Options{Create: true, MaxImages: 3}, want: func(repo string) []string {
			return []string{"writing the lifecycle policy of repository " + repo, "access denied to ecr:PutLifecyclePolicy", "drop --ecr-max-images"}
		}},
		{action: "ecr:InitiateLayerUpload", opts: Options{Create: true}, want: func(repo string) []string {
			return []string{"ECR refused ecr:InitiateLayerUpload on repository " + repo, "arn:aws:ecr:us-east-1:123456789012:repository/" + repo}
		}},
		{action: "ecr:PutImage", opts: Options{Create: true}, want: func(repo string) []string {
			return []string{"ECR refused ecr:PutImage on repository " + repo}
		}},
	}
	for _, tc := range tests {
		t.Run(tc.action, func(t *testing.T) {
			env.ECR.Deny(tc.action)
			t.Cleanup(env.ECR.AllowAll)
			repo := unique("denied/" + strings.ToLower(strings.TrimPrefix(tc.action, "ecr:")))
			c, _, _ := pushClient(t, tc.opts)
			_, err := c.Push(context.Background(), randomImage(t, 1), []name.Reference{target(t, c, repo+":1")})
			mustFail(t, err, tc.want(repo)...)
		})
	}
}

func TestCredentials(t *testing.T) {
	tests := []struct {
		name string
		env  map[string]string
		want []string
	}{
		{name: "none", env: map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": ""}, want: []string{
			"no usable AWS credentials", "AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY", `profile "default" in ~/.aws/credentials and ~/.aws/config`,
			"SSO", "credential_process", "AWS_WEB_IDENTITY_TOKEN_FILE", "container role", "EC2 instance role", "--create-repo=false"}},
		{name: "none, with a profile", env: map[string]string{"AWS_ACCESS_KEY_ID": "", "AWS_SECRET_ACCESS_KEY": "", "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent/credentials"},
			want: []string{"/nonexistent/credentials", "no usable AWS credentials"}},
		{name: "wrong secret", env: map[string]string{"AWS_SECRET_ACCESS_KEY": "wrong" + env.SecretAccessKey[5:]}, want: []string{
			"AWS rejected the credentials", "InvalidSignatureException", "AWS_SECRET_ACCESS_KEY"}},
		{name: "unknown key", env: map[string]string{"AWS_ACCESS_KEY_ID": "AKIAUNKNOWNKEY000000"}, want: []string{
			"AWS rejected the credentials", "UnrecognizedClientException"}},
		{name: "unknown profile", env: map[string]string{"AWS_PROFILE": "nope"}, want: []string{"reading the AWS configuration", "nope"}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			for k, v := range tc.env {
				t.Setenv(k, v)
			}
			c, _, _ := pushClient(t, Options{Create: true})
			_, err := c.Push(context.Background(), randomImage(t, 1), []name.Reference{target(t, c, unique("creds")+":1")})
			mustFail(t, err, tc.want...)
			noSecrets(t, fmt.Sprintf("%+v %#v", err, err))
		})
	}
}

func TestNoRegion(t *testing.T) {
	t.Setenv("AWS_REGION", "")
	t.Setenv("AWS_DEFAULT_REGION", "")
	_, err := EnsureRepository(context.Background(), Host{Name: fakeecr.Host, Account: fakeecr.Account}, "app", Options{Create: true})
	mustFail(t, err, "no AWS region", "AWS_REGION")
}

// TestDockerConfigFirst proves the precedence: a docker config entry for
// the ECR host is used as it is; without one, a token comes from ECR.
func TestDockerConfigFirst(t *testing.T) {
	write := func(t *testing.T, host, password string) {
		dir := t.TempDir()
		auth := base64.StdEncoding.EncodeToString([]byte("AWS:" + password))
		cfg, _ := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{"auth": auth}}})
		if err := os.WriteFile(filepath.Join(dir, "config.json"), cfg, 0o600); err != nil {
			t.Fatal(err)
		}
		t.Setenv("DOCKER_CONFIG", dir)
	}
	repo := unique("dockercfg")
	env.ECR.AddRepository(fakeecr.Repository{Name: repo})

	t.Run("entry for the host", func(t *testing.T) {
		write(t, fakeecr.Host, env.ECR.IssueToken())
		before := calls("GetAuthorizationToken", "")
		c, _, _ := pushClient(t, Options{})
		if _, err := c.Push(context.Background(), randomImage(t, 1), []name.Reference{target(t, c, repo+":1")}); err != nil {
			t.Fatal(err)
		}
		if n := calls("GetAuthorizationToken", "") - before; n != 0 {
			t.Errorf("%d GetAuthorizationToken calls, want none: the docker config comes first", n)
		}
	})
	t.Run("stale entry for the host", func(t *testing.T) {
		write(t, fakeecr.Host, "stale-password")
		c, _, _ := pushClient(t, Options{})
		_, err := c.Push(context.Background(), randomImage(t, 1), []name.Reference{target(t, c, repo+":2")})
		mustFail(t, err, "ECR did not accept the credentials", "docker logout "+fakeecr.Host)
	})
	t.Run("entry for another host", func(t *testing.T) {
		write(t, "ghcr.io", "whatever")
		before := calls("GetAuthorizationToken", "")
		c, _, _ := pushClient(t, Options{})
		if _, err := c.Push(context.Background(), randomImage(t, 1), []name.Reference{target(t, c, repo+":3")}); err != nil {
			t.Fatal(err)
		}
		if n := calls("GetAuthorizationToken", "") - before; n != 1 {
			t.Errorf("%d GetAuthorizationToken calls, want 1", n)
		}
	})
	t.Run("other hosts go to the docker config", func(t *testing.T) {
		write(t, "registry.example.com", "s3cret")
		kc, _ := NewKeychain()
		a, err := kc.Resolve(name.MustParseReference("registry.example.com/app:1").Context())
		if err != nil {
			t.Fatal(err)
		}
		cfg, err := a.Authorization()
		if err != nil || cfg.Username != "AWS" || cfg.Password != "s3cret" {
			t.Errorf("fallback credentials %v, %v", cfg != nil, err)
		}
	})
}

func TestTokenCache(t *testing.T) {
	ctx := context.Background()
	ref, err := name.ParseReference(env.Ref("cache:1"))
	if err != nil {
		t.Fatal(err)
	}
	res := ref.Context()

	t.Run("concurrent callers share one token", func(t *testing.T) {
		kc, _ := NewKeychain()
		before := calls("GetAuthorizationToken", "")
		var wg sync.WaitGroup
		passwords := make([]string, 16)
		for i := range passwords {
			wg.Go(func() {
				a, err := kc.ResolveContext(ctx, res)
				if err != nil {
					t.Error(err)
					return
				}
				cfg, err := authn.Authorization(ctx, a)
				if err != nil {
					t.Error(err)
					return
				}
				passwords[i] = cfg.Password
			})
		}
		wg.Wait()
		if n := calls("GetAuthorizationToken", "") - before; n != 1 {
			t.Errorf("%d GetAuthorizationToken calls from 16 goroutines, want 1", n)
		}
		for _, p := range passwords {
			if p != passwords[0] || p == "" {
				t.Fatal("callers got different tokens")
			}
		}
	})

	t.Run("refreshed before it expires", func(t *testing.T) {
		kc, _ := NewKeychain()
		start := time.Now()
		clock := start
		var mu sync.Mutex
		kc.now = func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
		advance := func(d time.Duration) { mu.Lock(); clock = start.Add(d); mu.Unlock() }
		a, err := kc.ResolveContext(ctx, res)
		if err != nil {
			t.Fatal(err)
		}
		password := func() string {
			t.Helper()
			cfg, err := authn.Authorization(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			return cfg.Password
		}
		first := password()
		before := calls("GetAuthorizationToken", "")
		advance(fakeecr.DefaultTokenTTL - RefreshBefore - time.Minute)
		if p := password(); p != first || calls("GetAuthorizationToken", "") != before {
			t.Error("the token was replaced while far from its expiry")
		}
		advance(fakeecr.DefaultTokenTTL - RefreshBefore + time.Minute)
		second := password()
		if second == first || calls("GetAuthorizationToken", "") != before+1 {
			t.Error("the token was not replaced close to its expiry")
		}
	})

	t.Run("cached token kept if refreshing fails", func(t *testing.T) {
		kc, _ := NewKeychain()
		start := time.Now()
		a, err := kc.ResolveContext(ctx, res)
		if err != nil {
			t.Fatal(err)
		}
		first, _ := authn.Authorization(ctx, a)
		env.ECR.Deny(ActionGetAuthorizationToken)
		t.Cleanup(env.ECR.AllowAll)
		kc.now = func() time.Time { return start.Add(fakeecr.DefaultTokenTTL - time.Minute) }
		cfg, err := authn.Authorization(ctx, a)
		if err != nil || cfg.Password != first.Password {
			t.Errorf("got %v, want the cached token while it is valid", err)
		}
		kc.now = func() time.Time { return start.Add(fakeecr.DefaultTokenTTL + time.Minute) }
		_, err = authn.Authorization(ctx, a)
		mustFail(t, err, "access denied to ecr:GetAuthorizationToken")
	})
}

// TestRetries proves the hooks make a push survive what ECR does under
// load: a 5xx whose error code go-containerregistry does not know to be
// temporary, and a connection dropped in the middle of an upload.
func TestRetries(t *testing.T) {
	ctx := context.Background()
	repo := unique("flaky")
	env.ECR.AddRepository(fakeecr.Repository{Name: repo})
	serverError := fakeecr.Fault{Method: "PATCH", PathContains: "/" + repo + "/blobs/uploads/", Status: 500,
		Body: `{"errors":[{"code":"INTERNAL_FAILURE","message":"We encountered an internal error. Please try again."}]}`}

	t.Run("without retries", func(t *testing.T) {
		// The control: with a single attempt the fault fails the push, so
		// the cases below prove the retries.
		env.Front.Inject(serverError)
		t.Cleanup(env.Front.ClearFaults)
		kc, _ := NewKeychain()
		c, err := registry.New(registry.WithKeychain(kc), registry.WithJobs(1), registry.WithRetryBackoff(remote.Backoff{Steps: 1}))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.Push(ctx, randomImage(t, 1), []name.Reference{target(t, c, repo+":plain")}); err == nil {
			t.Error("a push with one attempt survived a 500: this test no longer proves the retries")
		}
	})

	t.Run("with the ECR hooks", func(t *testing.T) {
		env.Front.Inject(serverError)
		env.Front.Inject(fakeecr.Fault{Method: "PATCH", PathContains: "/" + repo + "/blobs/uploads/", Status: 0})
		t.Cleanup(env.Front.ClearFaults)
		c, _, _ := pushClient(t, Options{})
		img := randomImage(t, 2)
		pushed, err := c.Push(ctx, img, []name.Reference{target(t, c, repo+":1")})
		if err != nil {
			t.Fatal(err)
		}
		if n := env.Front.PendingFaults(); n != 0 {
			t.Errorf("%d faults did not happen", n)
		}
		got, err := remote.Image(pushed[0], env.RemoteOptions()...)
		if err != nil {
			t.Fatal(err)
		}
		want, _ := img.Digest()
		if d, _ := got.Digest(); d != want {
			t.Errorf("read back %s, want %s", d, want)
		}
	})
}

// TestUploadsECRAccepts checks what go-containerregistry sends to ECR: one
// PATCH per blob (so no chunk is ever under ECR's 5 MiB minimum), answered
// 201 as ECR does and taken as success, followed by the PUT that completes
// it.
func TestUploadsECRAccepts(t *testing.T) {
	repo := unique("chunks")
	env.ECR.AddRepository(fakeecr.Repository{Name: repo})
	env.Front.Reset()
	c, _, _ := pushClient(t, Options{})
	img := randomImage(t, 3)
	if _, err := c.Push(context.Background(), img, []name.Reference{target(t, c, repo+":1")}); err != nil {
		t.Fatal(err)
	}
	initiated, patched, completed := 0, 0, 0
	for _, r := range env.Front.Requests() {
		if !strings.Contains(r.Path, "/"+repo+"/blobs/uploads/") {
			continue
		}
		switch r.Action {
		case "ecr:InitiateLayerUpload":
			initiated++
		case "ecr:UploadLayerPart":
			patched++
			if r.Status != http.StatusCreated {
				t.Errorf("PATCH answered %d: the fake no longer answers 201 as ECR does", r.Status)
			}
		case "ecr:CompleteLayerUpload":
			completed++
		}
	}
	if initiated != 4 || patched != 4 || completed != 4 {
		t.Errorf("%d uploads started, %d PATCHes, %d completed; want 4 of each (3 layers and the config, one PATCH each)", initiated, patched, completed)
	}
}

// TestNoSecretsAnywhere checks the errors of a failed run and the files
// the package could have written.
func TestNoSecretsAnywhere(t *testing.T) {
	env.ECR.Deny("ecr:PutImage")
	t.Cleanup(env.ECR.AllowAll)
	c, _, _ := pushClient(t, Options{Create: true})
	_, err := c.Push(context.Background(), randomImage(t, 1), []name.Reference{target(t, c, unique("secrets")+":1")})
	if err == nil {
		t.Fatal("no error")
	}
	noSecrets(t, err.Error(), fmt.Sprintf("%+v", err), fmt.Sprintf("%#v", errors.Unwrap(err)))
	err = filepath.WalkDir(env.Home, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		noSecrets(t, string(b))
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
}
