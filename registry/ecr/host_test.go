package ecr

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/url"
	"strings"
	"syscall"
	"testing"

	"github.com/brefimg/brefimg/registry"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

func TestParseHost(t *testing.T) {
	tests := []struct {
		host      string
		ok        bool
		account   string
		region    string
		fips      bool
		dualStack bool
		partition string
	}{
		{host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com", ok: true, account: "123456789012", region: "eu-west-1", partition: "aws"},
		{host: "123456789012.DKR.ECR.EU-WEST-1.AMAZONAWS.COM", ok: true, account: "123456789012", region: "eu-west-1", partition: "aws"},
		{host: "123456789012.dkr.ecr.cn-north-1.amazonaws.com.cn", ok: true, account: "123456789012", region: "cn-north-1", partition: "aws-cn"},
		{host: "123456789012.dkr.ecr-fips.us-east-1.amazonaws.com", ok: true, account: "123456789012", region: "us-east-1", fips: true, partition: "aws"},
		{host: "123456789012.dkr.ecr-fips.us-gov-west-1.amazonaws.com", ok: true, account: "123456789012", region: "us-gov-west-1", fips: true, partition: "aws-us-gov"},
		{host: "123456789012.dkr.ecr.us-gov-east-1.amazonaws.com", ok: true, account: "123456789012", region: "us-gov-east-1", partition: "aws-us-gov"},
		{host: "123456789012.dkr-ecr.eu-west-1.on.aws", ok: true, account: "123456789012", region: "eu-west-1", dualStack: true, partition: "aws"},
		{host: "123456789012.dkr-ecr-fips.us-east-2.on.aws", ok: true, account: "123456789012", region: "us-east-2", fips: true, dualStack: true, partition: "aws"},
		{host: "123456789012.dkr-ecr.cn-northwest-1.on.amazonwebservices.com.cn", ok: true, account: "123456789012", region: "cn-northwest-1", dualStack: true, partition: "aws-cn"},
		{host: "123456789012.dkr.ecr.us-iso-east-1.c2s.ic.gov", ok: true, account: "123456789012", region: "us-iso-east-1", partition: "aws-iso"},
		{host: "123456789012.dkr.ecr.us-isob-east-1.sc2s.sgov.gov", ok: true, account: "123456789012", region: "us-isob-east-1", partition: "aws-iso-b"},
		{host: "123456789012.dkr.ecr.eu-isoe-west-1.cloud.adc-e.uk", ok: true, account: "123456789012", region: "eu-isoe-west-1", partition: "aws-iso-e"},
		{host: "123456789012.dkr.ecr.us-isof-south-1.csp.hci.ic.gov", ok: true, account: "123456789012", region: "us-isof-south-1", partition: "aws-iso-f"},
		{host: "123456789012.dkr.ecr.eusc-de-east-1.amazonaws.eu", ok: true, account: "123456789012", region: "eusc-de-east-1", partition: "aws-eusc"},
		{host: "public.ecr.aws"},
		{host: "ecr.aws"},
		{host: "registry-1.docker.io"},
		{host: "ghcr.io"},
		{host: "12345678901.dkr.ecr.eu-west-1.amazonaws.com"},           // 11 digits
		{host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com:443"},      // a port
		{host: "123456789012.dkr.ecr.eu-west-1.amazonaws.com.evil.com"}, // a suffix
		{host: "evil.com/123456789012.dkr.ecr.eu-west-1.amazonaws.com"}, // not a host
		{host: "x123456789012.dkr.ecr.eu-west-1.amazonaws.com"},         // prefix
		{host: "123456789012.dkr.ecr.eu-west-1.amazonaws.org"},          // wrong domain
		{host: "123456789012.dkr.ecr.eu-west-1.on.aws.example.com"},     // suffix on dual stack
		{host: "123456789012.ecr.eu-west-1.amazonaws.com"},              // no dkr
		{host: "api.ecr.eu-west-1.amazonaws.com"},                       // the API, not a registry
		{host: ""},
	}
	for _, tc := range tests {
		t.Run(tc.host, func(t *testing.T) {
			h, ok := ParseHost(tc.host)
			if ok != tc.ok {
				t.Fatalf("ParseHost = %+v, %v; want ok %v", h, ok, tc.ok)
			}
			if !ok {
				return
			}
			if h.Name != strings.ToLower(tc.host) || h.Account != tc.account || h.Region != tc.region || h.FIPS != tc.fips || h.DualStack != tc.dualStack {
				t.Errorf("ParseHost = %+v", h)
			}
			if p := h.partition(); p != tc.partition {
				t.Errorf("partition %s, want %s", p, tc.partition)
			}
			if w := h.Warning(); (w != "") != tc.fips {
				t.Errorf("Warning() = %q", w)
			}
		})
	}
}

func TestFIPSWarning(t *testing.T) {
	h, _ := ParseHost("123456789012.dkr.ecr-fips.us-east-1.amazonaws.com")
	w := h.Warning()
	for _, want := range []string{"FIPS", "Lambda", "123456789012.dkr.ecr.us-east-1.amazonaws.com"} {
		if !strings.Contains(w, want) {
			t.Errorf("warning %q does not mention %s", w, want)
		}
	}
}

func TestOptions(t *testing.T) {
	tests := []struct {
		name    string
		opts    Options
		wantErr string
	}{
		{name: "zero value", opts: Options{}},
		{name: "create with everything", opts: Options{Create: true, ScanOnPush: true, ImmutableTags: true, MaxImages: 10}},
		{name: "negative max images", opts: Options{Create: true, MaxImages: -1}, wantErr: "--ecr-max-images -1"},
		{name: "scan without create", opts: Options{ScanOnPush: true}, wantErr: "--create-repo=false"},
		{name: "max images without create", opts: Options{MaxImages: 5}, wantErr: "apply only to repositories brefimg creates"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.opts.Validate()
			if tc.wantErr == "" && err != nil || tc.wantErr != "" && (err == nil || !strings.Contains(err.Error(), tc.wantErr)) {
				t.Errorf("Validate() = %v, want %q", err, tc.wantErr)
			}
			_, nerr := NewRepositories(tc.opts)
			if (nerr == nil) != (err == nil) {
				t.Errorf("NewRepositories: %v, Validate: %v", nerr, err)
			}
		})
	}
}

// TestLifecyclePolicy pins the JSON of Serverless Framework's
// provider.ecr.maxImages rule (its provider test, getOrCreateEcrRepository).
func TestLifecyclePolicy(t *testing.T) {
	var got, want any
	if err := json.Unmarshal([]byte(LifecyclePolicy(10)), &got); err != nil {
		t.Fatal(err)
	}
	serverless := `{"rules":[{"rulePriority":1000,"description":"Expire superseded image versions (provider.ecr.maxImages)",
		"selection":{"tagStatus":"untagged","countType":"imageCountMoreThan","countNumber":10},"action":{"type":"expire"}}]}`
	if err := json.Unmarshal([]byte(serverless), &want); err != nil {
		t.Fatal(err)
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("LifecyclePolicy(10) = %s\nwant %s", LifecyclePolicy(10), serverless)
	}
}

// registryErr is what go-containerregistry returns for a registry answer.
func registryErr(t *testing.T, method, path string, status int, code, message string) error {
	t.Helper()
	u, err := url.Parse("https://123456789012.dkr.ecr.us-east-1.amazonaws.com" + path)
	if err != nil {
		t.Fatal(err)
	}
	terr := &transport.Error{StatusCode: status, Request: &http.Request{Method: method, URL: u}}
	if code != "" {
		terr.Errors = []transport.Diagnostic{{Code: transport.ErrorCode(code), Message: message}}
	}
	return fmt.Errorf("wrapped: %w", terr)
}

func TestRetryable(t *testing.T) {
	tests := []struct {
		name string
		err  error
		want bool
	}{
		{name: "500 with an unknown code", err: registryErr(t, "PATCH", "/v2/app/blobs/uploads/x", 500, "INTERNAL_FAILURE", "oops"), want: true},
		{name: "502 without a body", err: registryErr(t, "PUT", "/v2/app/blobs/uploads/x", 502, "", ""), want: true},
		{name: "429", err: registryErr(t, "POST", "/v2/app/blobs/uploads/", 429, "TOOMANYREQUESTS", "slow down"), want: true},
		{name: "connection reset", err: &url.Error{Op: "Patch", URL: "https://x", Err: &net.OpError{Op: "write", Err: syscall.ECONNRESET}}, want: true},
		{name: "broken pipe", err: fmt.Errorf("x: %w", syscall.EPIPE), want: true},
		{name: "EOF", err: &url.Error{Op: "Patch", URL: "https://x", Err: io.EOF}, want: true},
		{name: "unexpected EOF", err: io.ErrUnexpectedEOF, want: true},
		{name: "denied", err: registryErr(t, "POST", "/v2/app/blobs/uploads/", 403, "DENIED", "no"), want: false},
		{name: "tag invalid", err: registryErr(t, "PUT", "/v2/app/manifests/1", 400, "TAG_INVALID", "immutable"), want: false},
		{name: "name unknown", err: registryErr(t, "POST", "/v2/app/blobs/uploads/", 404, "NAME_UNKNOWN", "no repo"), want: false},
		{name: "an ECR token error", err: &Error{Op: opToken, Err: errors.New("access denied"), input: true}, want: false},
		{name: "nil", err: nil, want: false},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := registry.Retryable(tc.err); got != tc.want {
				t.Errorf("retryable(%v) = %v, want %v", tc.err, got, tc.want)
			}
		})
	}
}

func TestExplain(t *testing.T) {
	target := name.MustParseReference("123456789012.dkr.ecr.us-east-1.amazonaws.com/team/app:v1")
	tests := []struct {
		name  string
		ref   name.Reference
		err   error
		want  []string // "" entries are not checked; nil means explain keeps the error
		input bool
	}{
		{name: "immutable tag", ref: target, err: registryErr(t, "PUT", "/v2/team/app/manifests/v1", 400, "TAG_INVALID",
			"The image tag 'v1' already exists in the 'team/app' repository and cannot be overwritten because the tag is immutable."),
			want: []string{"tag v1 already exists in immutable repository team/app: push a new tag"}, input: true},
		{name: "missing repository", ref: target, err: registryErr(t, "POST", "/v2/team/app/blobs/uploads/", 404, "NAME_UNKNOWN", "The repository with name 'team/app' does not exist"),
			want: []string{"repository team/app does not exist", "--create-repo=false", "aws ecr create-repository --repository-name team/app --region us-east-1"}, input: true},
		{name: "denied, action in the message", ref: target, err: registryErr(t, "POST", "/v2/team/app/blobs/uploads/", 403, "DENIED",
			"User: arn:aws:iam::123456789012:user/ci is not authorized to perform: ecr:InitiateLayerUpload on resource: x"),
			want: []string{"ECR refused ecr:InitiateLayerUpload", "arn:aws:ecr:us-east-1:123456789012:repository/team/app"}, input: true},
		{name: "denied, action from the request", ref: target, err: registryErr(t, "PUT", "/v2/team/app/manifests/v1", 403, "", ""),
			want: []string{"ECR refused ecr:PutImage"}, input: true},
		{name: "denied HEAD blob", ref: target, err: registryErr(t, "HEAD", "/v2/team/app/blobs/sha256:abc", 403, "", ""),
			want: []string{"ecr:BatchCheckLayerAvailability"}, input: true},
		{name: "expired token", ref: target, err: registryErr(t, "GET", "/v2/team/app/manifests/v1", 403, "DENIED", "Your authorization token has expired. Reauthenticate and try again."),
			want: []string{"expired", "docker logout 123456789012.dkr.ecr.us-east-1.amazonaws.com"}, input: true},
		{name: "unauthorized", ref: target, err: registryErr(t, "GET", "/v2/", 401, "UNAUTHORIZED", "Not Authorized"),
			want: []string{"did not accept the credentials", "docker logout"}, input: true},
		{name: "connection dropped", ref: target, err: &url.Error{Op: "Patch", URL: "https://x", Err: io.EOF},
			want: []string{"EOF", "ECR kept closing the connection", "team/app"}, input: false},
		{name: "server error kept", ref: target, err: registryErr(t, "PATCH", "/v2/team/app/blobs/uploads/x", 500, "", "")},
		{name: "other registry", ref: name.MustParseReference("ghcr.io/team/app:v1"), err: registryErr(t, "PUT", "/v2/team/app/manifests/v1", 400, "TAG_INVALID", "immutable")},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := explain(tc.ref, tc.err)
			if tc.want == nil {
				if got != nil {
					t.Errorf("explain = %v, want nil", got)
				}
				return
			}
			if got == nil {
				t.Fatal("explain = nil")
			}
			for _, w := range tc.want {
				if !strings.Contains(got.Error(), w) {
					t.Errorf("explain = %q, want it to contain %q", got, w)
				}
			}
			if IsInput(got) != tc.input {
				t.Errorf("IsInput = %v, want %v", IsInput(got), tc.input)
			}
			if !errors.Is(got, tc.err) && !errors.Is(got, errors.Unwrap(tc.err)) {
				t.Error("the explanation does not unwrap to the original error")
			}
		})
	}
}
