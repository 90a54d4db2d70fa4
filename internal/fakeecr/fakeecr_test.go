package fakeecr

import (
	"context"
	"crypto/tls"
	"encoding/base64"
	"errors"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/smithy-go"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// client is an ECR API client configured in code (no environment).
func client(e *Env, keyID, secret string) *ecr.Client {
	return ecr.New(ecr.Options{
		Region:       Region,
		BaseEndpoint: aws.String(e.ECR.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(keyID, secret, ""),
	})
}

func apiCode(err error) string {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode()
	}
	return ""
}

func TestAPI(t *testing.T) {
	e := Start(t)
	ctx := context.Background()
	good := client(e, e.AccessKeyID, e.SecretAccessKey)

	t.Run("signatures", func(t *testing.T) {
		tests := []struct {
			name, keyID, secret, code string
		}{
			{name: "right credentials", keyID: e.AccessKeyID, secret: e.SecretAccessKey},
			{name: "wrong secret", keyID: e.AccessKeyID, secret: e.SecretAccessKey + "x", code: "InvalidSignatureException"},
			{name: "unknown key", keyID: "AKIAUNKNOWN0000000000", secret: e.SecretAccessKey, code: "UnrecognizedClientException"},
		}
		for _, tc := range tests {
			t.Run(tc.name, func(t *testing.T) {
				_, err := client(e, tc.keyID, tc.secret).DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{})
				if got := apiCode(err); got != tc.code {
					t.Errorf("error %v (code %q), want code %q", err, got, tc.code)
				}
			})
		}
		resp, err := http.Post(e.ECR.URL, "application/x-amz-json-1.1", strings.NewReader("{}"))
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusBadRequest {
			t.Errorf("unsigned request answered %d", resp.StatusCode)
		}
	})

	t.Run("token", func(t *testing.T) {
		out, err := good.GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
		if err != nil {
			t.Fatal(err)
		}
		if len(out.AuthorizationData) != 1 {
			t.Fatalf("%d authorization data", len(out.AuthorizationData))
		}
		d := out.AuthorizationData[0]
		raw, err := base64.StdEncoding.DecodeString(aws.ToString(d.AuthorizationToken))
		if err != nil {
			t.Fatal(err)
		}
		user, password, _ := strings.Cut(string(raw), ":")
		if user != "AWS" || password == "" {
			t.Errorf("token is %q:…", user)
		}
		if known, expired := e.ECR.checkPassword(password); !known || expired {
			t.Errorf("issued password known=%v expired=%v", known, expired)
		}
		if aws.ToString(d.ProxyEndpoint) != "https://"+Host || d.ExpiresAt == nil {
			t.Errorf("proxyEndpoint %q, expiresAt %v", aws.ToString(d.ProxyEndpoint), d.ExpiresAt)
		}
		if !slices.Contains(e.Secrets(), password) || !slices.Contains(e.Secrets(), aws.ToString(d.AuthorizationToken)) {
			t.Error("Secrets() misses the issued token")
		}
	})

	t.Run("repositories", func(t *testing.T) {
		_, err := good.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"app"}})
		var nf *types.RepositoryNotFoundException
		if !errors.As(err, &nf) || !strings.Contains(err.Error(), "The repository with name 'app' does not exist in the registry with id '123456789012'") {
			t.Fatalf("describe missing: %v", err)
		}
		_, err = good.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("app"),
			ImageTagMutability: types.ImageTagMutabilityImmutable, ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: true}})
		if err != nil {
			t.Fatal(err)
		}
		if r, _ := e.ECR.Repository("app"); !r.Immutable || !r.ScanOnPush {
			t.Errorf("created %+v", r)
		}
		_, err = good.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("app")})
		var exists *types.RepositoryAlreadyExistsException
		if !errors.As(err, &exists) {
			t.Errorf("create twice: %v", err)
		}
		_, err = good.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("Bad_Name")})
		if apiCode(err) != "InvalidParameterException" {
			t.Errorf("bad name: %v", err)
		}
		out, err := good.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{RepositoryNames: []string{"app"}})
		if err != nil || len(out.Repositories) != 1 || out.Repositories[0].ImageTagMutability != types.ImageTagMutabilityImmutable {
			t.Errorf("describe: %+v, %v", out, err)
		}
		policy := `{"rules":[{"rulePriority":1,"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":3},"action":{"type":"expire"}}]}`
		if _, err := good.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String("app"), LifecyclePolicyText: &policy}); err != nil {
			t.Fatal(err)
		}
		if r, _ := e.ECR.Repository("app"); r.LifecyclePolicy != policy {
			t.Errorf("policy %q", r.LifecyclePolicy)
		}
		if _, err := good.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{RepositoryName: aws.String("nope"), LifecyclePolicyText: &policy}); apiCode(err) != "RepositoryNotFoundException" {
			t.Errorf("policy on a missing repository: %v", err)
		}
	})

	t.Run("deny", func(t *testing.T) {
		e.ECR.Deny("ecr:CreateRepository")
		defer e.ECR.AllowAll()
		_, err := good.CreateRepository(ctx, &ecr.CreateRepositoryInput{RepositoryName: aws.String("denied")})
		want := "User: " + Principal + " is not authorized to perform: ecr:CreateRepository on resource: arn:aws:ecr:us-east-1:123456789012:repository/denied"
		if apiCode(err) != "AccessDeniedException" || !strings.Contains(err.Error(), want) {
			t.Errorf("error %v, want AccessDeniedException %q", err, want)
		}
		if _, ok := e.ECR.Repository("denied"); ok {
			t.Error("a denied call created the repository")
		}
	})

	if n := e.ECR.Count("CreateRepository"); n != 4 {
		t.Errorf("%d CreateRepository calls recorded, want 4", n)
	}
	for _, c := range e.ECR.Calls() {
		if c.Op == "CreateRepository" && c.Repository == "app" && c.AccessKeyID != e.AccessKeyID {
			t.Errorf("call %+v: signer not recorded", c)
		}
	}
}

func TestFront(t *testing.T) {
	e := Start(t)
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	ref := func(s string) name.Reference {
		r, err := name.ParseReference(e.Ref(s))
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	code := func(err error) transport.ErrorCode {
		var terr *transport.Error
		if errors.As(err, &terr) && len(terr.Errors) > 0 {
			return terr.Errors[0].Code
		}
		return ""
	}

	if err := remote.Write(ref("app:1"), img, e.RemoteOptions()...); code(err) != "NAME_UNKNOWN" {
		t.Fatalf("push to a repository not created: %v, want NAME_UNKNOWN", err)
	}
	e.ECR.AddRepository(Repository{Name: "app", Immutable: true})
	if err := remote.Write(ref("app:1"), img, e.RemoteOptions()...); err != nil {
		t.Fatal(err)
	}
	got, err := remote.Image(ref("app:1"), e.RemoteOptions()...)
	if err != nil {
		t.Fatal(err)
	}
	if d, _ := got.Digest(); d != want {
		t.Errorf("read back %s, want %s", d, want)
	}
	other, _ := random.Image(512, 1)
	err = remote.Write(ref("app:1"), other, e.RemoteOptions()...)
	if code(err) != "TAG_INVALID" || !strings.Contains(err.Error(), "cannot be overwritten because the tag is immutable") {
		t.Errorf("overwrite an immutable tag: %v", err)
	}
	if err := remote.Write(ref("app:2"), other, e.RemoteOptions()...); err != nil {
		t.Errorf("new tag in an immutable repository: %v", err)
	}

	t.Run("auth", func(t *testing.T) {
		opts := e.RemoteOptions()
		wrong := append(opts[:1:1], remote.WithAuth(&authn.Basic{Username: "AWS", Password: "not-issued"}))
		if _, err := remote.Image(ref("app:1"), wrong...); err == nil || !strings.Contains(err.Error(), "UNAUTHORIZED") {
			t.Errorf("wrong password: %v", err)
		}
		anonymous := opts[:1]
		if _, err := remote.Image(ref("app:1"), anonymous...); err == nil {
			t.Error("anonymous read succeeded")
		}
	})

	t.Run("deny", func(t *testing.T) {
		e.ECR.Deny("ecr:InitiateLayerUpload")
		defer e.ECR.AllowAll()
		fresh, _ := random.Image(256, 1)
		err := remote.Write(ref("app:3"), fresh, e.RemoteOptions()...)
		if code(err) != "DENIED" || !strings.Contains(err.Error(), "not authorized to perform: ecr:InitiateLayerUpload") {
			t.Errorf("denied upload: %v", err)
		}
	})

	t.Run("faults", func(t *testing.T) {
		e.Front.Inject(Fault{Method: http.MethodGet, PathContains: "/manifests/", Status: http.StatusServiceUnavailable, Times: 1})
		if _, err := remote.Image(ref("app:1"), e.RemoteOptions()...); err != nil {
			t.Errorf("a 503 was not retried: %v", err)
		}
		if n := e.Front.PendingFaults(); n != 0 {
			t.Errorf("%d faults left", n)
		}
	})

	var actions []string
	for _, r := range e.Front.Requests() {
		actions = append(actions, r.Action)
	}
	for _, a := range []string{"ecr:BatchCheckLayerAvailability", "ecr:InitiateLayerUpload", "ecr:UploadLayerPart", "ecr:CompleteLayerUpload", "ecr:PutImage", "ecr:BatchGetImage"} {
		if !slices.Contains(actions, a) {
			t.Errorf("no request recorded as %s (got %v)", a, actions)
		}
	}
}

func TestProxy(t *testing.T) {
	e := Start(t)
	proxyURL, err := url.Parse(e.Proxy.URL)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL), TLSClientConfig: &tls.Config{RootCAs: e.ca.pool, MinVersion: tls.VersionTLS12}}}
	resp, err := c.Get("https://" + Host + "/v2/")
	if err != nil {
		t.Fatal(err)
	}
	resp.Body.Close()
	if resp.StatusCode != http.StatusUnauthorized || !strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), `Basic realm="https://`+Host+`/"`) {
		t.Errorf("GET /v2/ through the proxy: %d %q", resp.StatusCode, resp.Header.Get("WWW-Authenticate"))
	}
	if _, err := c.Get("https://" + Host + ":8443/v2/"); err == nil {
		t.Error("a tunnel to port 8443 was opened")
	}
	if got := e.Proxy.Connects(); !slices.Equal(got, []string{Host + ":443", Host + ":8443"}) {
		t.Errorf("CONNECTs %v", got)
	}
	untrusted := &http.Client{Transport: &http.Transport{Proxy: http.ProxyURL(proxyURL)}}
	if _, err := untrusted.Get("https://" + Host + "/v2/"); err == nil {
		t.Error("the front's certificate is trusted without the test CA")
	}
}

func TestEnviron(t *testing.T) {
	e := Start(t)
	base := []string{"PATH=/bin", "AWS_PROFILE=prod", "AWS_SESSION_TOKEN=x", "https_proxy=http://corp:3128", "HOME=/root", "DOCKER_CONFIG=/etc/docker", "GOFLAGS=-mod=mod"}
	got := e.Environ(base)
	for _, kv := range got {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "AWS_PROFILE", "AWS_SESSION_TOKEN", "https_proxy", "DOCKER_CONFIG":
			t.Errorf("%s kept", kv)
		case "HOME":
			if v != e.Home {
				t.Errorf("HOME=%s", v)
			}
		}
	}
	for _, want := range []string{"PATH=/bin", "GOFLAGS=-mod=mod", "AWS_ACCESS_KEY_ID=" + e.AccessKeyID, "AWS_ENDPOINT_URL_ECR=" + e.ECR.URL,
		"HTTPS_PROXY=" + e.Proxy.URL, "SSL_CERT_FILE=" + e.CAFile, "AWS_EC2_METADATA_DISABLED=true"} {
		if !slices.Contains(got, want) {
			t.Errorf("Environ lacks %s", want)
		}
	}
	for _, kv := range got {
		if strings.HasPrefix(kv, "AWS_REGION=") || strings.HasPrefix(kv, "AWS_DEFAULT_REGION=") {
			t.Errorf("%s: the region must come from the host", kv)
		}
	}
}

// childEnv marks the test binary re-run as a child process by
// TestSubprocess: the pattern the CLI's end-to-end tests follow, since Go
// reads HTTPS_PROXY and SSL_CERT_FILE once per process.
const childEnv = "FAKEECR_TEST_CHILD"

func TestMain(m *testing.M) {
	if os.Getenv(childEnv) == "1" {
		os.Exit(child())
	}
	os.Exit(m.Run())
}

// child uses the fake the way a user's process would: only the standard
// variables, default SDK configuration, default HTTP client.
func child() int {
	ctx := context.Background()
	cfg, err := config.LoadDefaultConfig(ctx, config.WithRegion(Region))
	if err != nil {
		fmt.Println(err)
		return 1
	}
	out, err := ecr.NewFromConfig(cfg).GetAuthorizationToken(ctx, &ecr.GetAuthorizationTokenInput{})
	if err != nil || len(out.AuthorizationData) == 0 {
		fmt.Println("GetAuthorizationToken:", err)
		return 1
	}
	raw, _ := base64.StdEncoding.DecodeString(aws.ToString(out.AuthorizationData[0].AuthorizationToken))
	user, password, _ := strings.Cut(string(raw), ":")
	req, _ := http.NewRequest(http.MethodGet, "https://"+Host+"/v2/", nil)
	req.SetBasicAuth(user, password)
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		fmt.Println("GET /v2/:", err)
		return 1
	}
	resp.Body.Close()
	fmt.Println("status", resp.StatusCode)
	return 0
}

func TestSubprocess(t *testing.T) {
	e := Start(t)
	cmd := exec.Command(os.Args[0], "-test.run=^$")
	cmd.Env = append(e.Environ(os.Environ()), childEnv+"=1")
	out, err := cmd.CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "status 200" {
		t.Fatalf("child: %v\n%s", err, out)
	}
	if e.ECR.Count("GetAuthorizationToken") != 1 || !slices.Contains(e.Proxy.Connects(), Host+":443") {
		t.Errorf("the child did not go through the fake: calls %v, CONNECTs %v", e.ECR.Calls(), e.Proxy.Connects())
	}
}
