package deploy_test

import (
	"context"
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/deploy"
	"github.com/brefimg/brefimg/internal/fakeecr"
	"github.com/brefimg/brefimg/internal/fakelambda"
	"github.com/brefimg/brefimg/plan"
)

const digest = "sha256:1111111111111111111111111111111111111111111111111111111111111111"

var (
	amd64 = v1.Platform{OS: "linux", Architecture: "amd64"}
	arm64 = v1.Platform{OS: "linux", Architecture: "arm64"}
)

// client is a real Lambda client of the fake, as the SDK's default chain
// would make it from the fake's variables.
func client(s *fakelambda.Server) *lambda.Client {
	return lambda.New(lambda.Options{Region: s.Region, BaseEndpoint: aws.String(s.URL),
		Credentials: credentials.NewStaticCredentialsProvider(s.AccessKeyID, s.SecretAccessKey, "")})
}

func image(t *testing.T, registry string) deploy.Image {
	t.Helper()
	ref, err := name.NewDigest(registry + "/app@" + digest)
	if err != nil {
		t.Fatal(err)
	}
	return deploy.Image{Ref: ref, Platform: amd64}
}

// fast polls without waiting: the fake finishes updates by poll count.
var fast = deploy.WithPolling(time.Millisecond, time.Millisecond, time.Hour)

func TestFunction(t *testing.T) {
	img := image(t, fakeecr.Host)
	tests := []struct {
		name    string
		fn      fakelambda.Function
		setup   func(s *fakelambda.Server)
		img     deploy.Image
		opts    []deploy.Option
		want    deploy.Result // Function, Version, Alias, UpToDate are compared
		input   string        // an input error containing this
		failed  string        // a FailedError containing this
		updates int           // UpdateFunctionCode calls expected
	}{
		{name: "update by digest", fn: fakelambda.Function{Name: "api", PackageType: "Image"}, img: img,
			want: deploy.Result{Function: "api", Version: "$LATEST"}, updates: 1},
		{name: "in progress for three polls", fn: fakelambda.Function{Name: "api", PackageType: "Image"}, img: img,
			setup: func(s *fakelambda.Server) { s.PollsUntilDone(3) },
			want:  deploy.Result{Function: "api", Version: "$LATEST"}, updates: 1},
		{name: "update failed", fn: fakelambda.Function{Name: "api", PackageType: "Image"}, img: img,
			setup: func(s *fakelambda.Server) {
				s.FailNextUpdate("api", "ImageAccessDenied", "Lambda does not have permission to access the ECR image.")
			},
			failed: "ImageAccessDenied: Lambda does not have permission to access the ECR image", updates: 1},
		{name: "conflict twice then success", fn: fakelambda.Function{Name: "api", PackageType: "Image"}, img: img,
			setup: func(s *fakelambda.Server) { s.ConflictNext("api", 2) },
			want:  deploy.Result{Function: "api", Version: "$LATEST"}, updates: 3},
		{name: "already up to date", fn: fakelambda.Function{Name: "api", PackageType: "Image", ImageUri: img.Ref.String()}, img: img,
			want: deploy.Result{Function: "api", Version: "$LATEST", UpToDate: true}, updates: 0},
		{name: "publish and alias", fn: fakelambda.Function{Name: "api", PackageType: "Image"}, img: img,
			opts: []deploy.Option{deploy.WithAlias("live")},
			want: deploy.Result{Function: "api", Version: "1", Alias: "live"}, updates: 1},
		{name: "wrong architecture", fn: fakelambda.Function{Name: "api", PackageType: "Image", Architectures: []string{"arm64"}}, img: img,
			input: "function api runs on arm64, the image is linux/amd64: build for the function's architecture (--platform linux/arm64)"},
		{name: "zip function", fn: fakelambda.Function{Name: "api", PackageType: "Zip"}, img: img,
			input: "function api is a Zip function: Lambda cannot switch a function to an image"},
		{name: "unknown function", fn: fakelambda.Function{Name: "api", PackageType: "Image"}, img: img,
			setup: func(*fakelambda.Server) {}, input: "function nope does not exist"},
		{name: "image of another region", fn: fakelambda.Function{Name: "api", PackageType: "Image"},
			img:   image(t, "123456789012.dkr.ecr.eu-west-3.amazonaws.com"),
			input: "function api is in us-east-1, the image in eu-west-3"},
		{name: "image outside ECR", fn: fakelambda.Function{Name: "api", PackageType: "Image"},
			img: image(t, "registry.example.com"), input: "Lambda runs images from Amazon ECR only"},
		{name: "update refused by IAM", fn: fakelambda.Function{Name: "api", PackageType: "Image"}, img: img,
			setup: func(s *fakelambda.Server) { s.Deny("lambda:UpdateFunctionCode") },
			input: "function api: lambda:UpdateFunctionCode was refused", updates: 1},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := fakelambda.Start(t, fakelambda.Options{})
			s.AddFunction(tc.fn)
			if tc.setup != nil {
				tc.setup(s)
			}
			fn := tc.fn.Name
			if tc.name == "unknown function" {
				fn = "nope"
			}
			var lines []string
			opts := append([]deploy.Option{fast, deploy.WithProgress(func(f string, a ...any) { lines = append(lines, f) })}, tc.opts...)
			res, err := deploy.Function(context.Background(), client(s), fn, tc.img, opts...)
			var failed *deploy.FailedError
			switch {
			case tc.input != "":
				if !plan.IsInput(err) || !strings.Contains(err.Error(), tc.input) {
					t.Fatalf("error %v, want an input error containing %q", err, tc.input)
				}
			case tc.failed != "":
				if !errors.As(err, &failed) || plan.IsInput(err) || !strings.Contains(err.Error(), tc.failed) {
					t.Fatalf("error %v, want a FailedError containing %q", err, tc.failed)
				}
			case err != nil:
				t.Fatal(err)
			default:
				if res.Function != tc.want.Function || res.Version != tc.want.Version || res.Alias != tc.want.Alias ||
					res.UpToDate != tc.want.UpToDate || res.Image != tc.img.Ref.String() || res.Digest != digest || !strings.HasSuffix(res.ARN, ":function:api") {
					t.Errorf("result %+v, want %+v", res, tc.want)
				}
				got, _ := s.Function("api")
				if got.ImageUri != tc.img.Ref.String() {
					t.Errorf("the function runs %s, want %s", got.ImageUri, tc.img.Ref)
				}
				if tc.want.Alias != "" && got.Aliases[tc.want.Alias].FunctionVersion != tc.want.Version {
					t.Errorf("alias %s -> %+v, want version %s", tc.want.Alias, got.Aliases, tc.want.Version)
				}
			}
			if n := s.Count("UpdateFunctionCode"); n != tc.updates {
				t.Errorf("%d UpdateFunctionCode calls, want %d: %+v", n, tc.updates, s.Calls())
			}
		})
	}
}

// TestFunctionsUsesTheImageRegion deploys through Functions, whose client
// is made for the image's region.
func TestFunctionsUsesTheImageRegion(t *testing.T) {
	s := fakelambda.Start(t, fakelambda.Options{})
	s.AddFunction(fakelambda.Function{Name: "web", PackageType: "Image", Architectures: []string{"arm64"}})
	s.AddFunction(fakelambda.Function{Name: "worker", PackageType: "Image", Architectures: []string{"arm64"}})
	var region string
	f := &deploy.Functions{Names: []string{"web", "worker"}, Options: []deploy.Option{fast},
		Client: func(_ context.Context, r string) (deploy.API, error) { region = r; return client(s), nil }}
	img := image(t, fakeecr.Host)
	res, err := f.Deploy(context.Background(), img.Ref, arm64)
	if err != nil {
		t.Fatal(err)
	}
	if region != fakeecr.Region || len(res) != 2 || res[0].Function != "web" || res[1].Function != "worker" {
		t.Errorf("region %s, results %+v", region, res)
	}
}
