package fakelambda

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"net/http"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/aws/aws-sdk-go-v2/service/sts"
	"github.com/aws/smithy-go"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/brefimg/brefimg/internal/fakeecr"
)

// The credentials the tests' fakes accept.
const (
	keyID  = "AKIAFAKELAMBDATEST01"
	secret = "fake-lambda-test-secret-access-key-0000"
)

// digest is a made-up manifest digest, "sha256:…".
func digest(seed string) string {
	return fmt.Sprintf("sha256:%x", sha256.Sum256([]byte(seed)))
}

// ref is an image of the fake ECR by digest.
func ref(seed string) string { return fakeecr.Host + "/app@" + digest(seed) }

// start starts the fakes with the function "app" (Image, by digest "v1") and
// "zipped" (Zip).
func start(t *testing.T) *Server {
	t.Helper()
	s := Start(t, Options{AccessKeyID: keyID, SecretAccessKey: secret})
	s.AddFunction(Function{Name: "app", ImageUri: ref("v1")})
	s.AddFunction(Function{Name: "zipped", PackageType: "Zip"})
	return s
}

// client is a Lambda client configured in code (no environment).
func client(s *Server, id, key string) *lambda.Client {
	return lambda.New(lambda.Options{
		Region:       s.Region,
		BaseEndpoint: aws.String(s.URL),
		Credentials:  credentials.NewStaticCredentialsProvider(id, key, ""),
	})
}

// errorOf returns the error code and message of an AWS API error.
func errorOf(err error) (code, message string) {
	var api smithy.APIError
	if errors.As(err, &api) {
		return api.ErrorCode(), api.ErrorMessage()
	}
	return "", ""
}

// httpStatus returns the HTTP status of an API error's response.
func httpStatus(err error) int {
	var re *smithyhttp.ResponseError
	if errors.As(err, &re) {
		return re.HTTPStatusCode()
	}
	return 0
}

// update starts an update of "app" to image and checks it is InProgress.
func update(t *testing.T, c *lambda.Client, image string) *lambda.UpdateFunctionCodeOutput {
	t.Helper()
	out, err := c.UpdateFunctionCode(context.Background(), &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("app"), ImageUri: aws.String(image)})
	if err != nil {
		t.Fatalf("UpdateFunctionCode: %v", err)
	}
	if out.LastUpdateStatus != types.LastUpdateStatusInProgress {
		t.Fatalf("UpdateFunctionCode answered LastUpdateStatus %q, want InProgress", out.LastUpdateStatus)
	}
	return out
}

// waiter is FunctionUpdatedV2 polling without delay to speak of.
func waiter(c *lambda.Client) *lambda.FunctionUpdatedV2Waiter {
	return lambda.NewFunctionUpdatedV2Waiter(c, func(o *lambda.FunctionUpdatedV2WaiterOptions) {
		o.MinDelay, o.MaxDelay = time.Millisecond, time.Millisecond
	})
}

// forever is the waiters' maximum wait: the fake ends updates by polls, so
// it is never reached.
const forever = time.Hour

func TestGetFunction(t *testing.T) {
	s := start(t)
	c := client(s, keyID, secret)
	ctx := context.Background()
	arn := "arn:aws:lambda:us-east-1:123456789012:function:app"
	for _, name := range []string{"app", arn, "123456789012:function:app"} {
		t.Run(name, func(t *testing.T) {
			out, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(name)})
			if err != nil {
				t.Fatal(err)
			}
			cfg, code := out.Configuration, out.Code
			if aws.ToString(cfg.FunctionName) != "app" || aws.ToString(cfg.FunctionArn) != arn || cfg.PackageType != types.PackageTypeImage ||
				cfg.State != types.StateActive || cfg.LastUpdateStatus != types.LastUpdateStatusSuccessful || aws.ToString(cfg.Version) != "$LATEST" ||
				len(cfg.Architectures) != 1 || cfg.Architectures[0] != types.ArchitectureX8664 || aws.ToString(cfg.RevisionId) == "" ||
				aws.ToString(cfg.CodeSha256) != strings.TrimPrefix(digest("v1"), "sha256:") {
				t.Errorf("configuration %+v", *cfg)
			}
			if aws.ToString(code.RepositoryType) != "ECR" || aws.ToString(code.ImageUri) != ref("v1") || aws.ToString(code.ResolvedImageUri) != ref("v1") {
				t.Errorf("code %+v", *code)
			}
		})
	}
	t.Run("configuration", func(t *testing.T) {
		out, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("zipped")})
		if err != nil {
			t.Fatal(err)
		}
		if out.PackageType != types.PackageTypeZip || aws.ToString(out.FunctionArn) != "arn:aws:lambda:us-east-1:123456789012:function:zipped" {
			t.Errorf("configuration %+v", out)
		}
	})

	tests := []struct {
		name, function, qualifier, message string
	}{
		{name: "unknown function", function: "nope", message: "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"},
		{name: "unknown ARN", function: "arn:aws:lambda:us-east-1:123456789012:function:nope", message: "Function not found: arn:aws:lambda:us-east-1:123456789012:function:nope"},
		{name: "unknown version", function: "app", qualifier: "7", message: "Function not found: arn:aws:lambda:us-east-1:123456789012:function:app:7"},
		{name: "other region", function: "arn:aws:lambda:eu-west-1:123456789012:function:app", message: "Functions from 'eu-west-1' are not reachable in this region ('us-east-1')"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &lambda.GetFunctionInput{FunctionName: aws.String(tc.function)}
			if tc.qualifier != "" {
				in.Qualifier = aws.String(tc.qualifier)
			}
			_, err := c.GetFunction(ctx, in)
			var nf *types.ResourceNotFoundException
			if !errors.As(err, &nf) || aws.ToString(nf.Message) != tc.message || aws.ToString(nf.Type) != "User" || httpStatus(err) != http.StatusNotFound {
				t.Errorf("error %v (status %d), want ResourceNotFoundException %q", err, httpStatus(err), tc.message)
			}
		})
	}

	if got := s.Calls(); len(got) == 0 || got[1].Function != "app" || got[1].AccessKeyID != keyID || got[1].Op != "GetFunction" {
		t.Errorf("calls %+v: the ARN's function or the signer not recorded", got)
	}
}

func TestUpdate(t *testing.T) {
	tests := []struct {
		name  string
		polls int
	}{
		{name: "done at the first poll", polls: 0},
		{name: "default", polls: DefaultPollsUntilDone},
		{name: "three polls", polls: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			s := start(t)
			s.PollsUntilDone(tc.polls)
			c := client(s, keyID, secret)
			before, _ := s.Function("app")
			out := update(t, c, ref("v2"))
			if aws.ToString(out.CodeSha256) != strings.TrimPrefix(digest("v2"), "sha256:") || aws.ToString(out.RevisionId) == before.RevisionId {
				t.Errorf("UpdateFunctionCode answered %+v", out)
			}
			got, err := waiter(c).WaitForOutput(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("app")}, forever)
			if err != nil {
				t.Fatal(err)
			}
			if got.Configuration.LastUpdateStatus != types.LastUpdateStatusSuccessful || aws.ToString(got.Code.ImageUri) != ref("v2") {
				t.Errorf("after the wait: %+v %+v", *got.Configuration, *got.Code)
			}
			if n := s.Count("GetFunction"); n != tc.polls+1 {
				t.Errorf("the waiter polled GetFunction %d times, want %d", n, tc.polls+1)
			}
			if f, _ := s.Function("app"); f.ImageUri != ref("v2") || f.LastUpdateStatus != Successful || f.RevisionId == before.RevisionId {
				t.Errorf("function %+v", f)
			}
		})
	}
}

func TestUpdateFails(t *testing.T) {
	s := start(t)
	c := client(s, keyID, secret)
	ctx := context.Background()
	s.FailNextUpdate("app", "ImageAccessDenied", "Lambda does not have permission to access the ECR image. Check the ECR permissions.")
	update(t, c, ref("v2"))
	_, err := waiter(c).WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("app")}, forever)
	if err == nil || !strings.Contains(err.Error(), "Failure") {
		t.Fatalf("the waiter returned %v, want a failure", err)
	}
	out, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("app")})
	if err != nil {
		t.Fatal(err)
	}
	if out.LastUpdateStatus != types.LastUpdateStatusFailed || out.LastUpdateStatusReasonCode != types.LastUpdateStatusReasonCodeImageAccessDenied ||
		!strings.Contains(aws.ToString(out.LastUpdateStatusReason), "permission to access the ECR image") {
		t.Errorf("after the failure: %+v", out)
	}
	if f, _ := s.Function("app"); f.ImageUri != ref("v1") {
		t.Errorf("after a failed update the function runs %s, want the previous %s", f.ImageUri, ref("v1"))
	}
	// Only the next update fails.
	update(t, c, ref("v3"))
	if _, err := waiter(c).WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String("app")}, forever); err != nil {
		t.Errorf("the update after the failed one: %v", err)
	}
}

func TestConflict(t *testing.T) {
	s := start(t)
	c := client(s, keyID, secret)
	ctx := context.Background()
	want := "The operation cannot be performed at this time. An update is in progress for resource: arn:aws:lambda:us-east-1:123456789012:function:app"
	conflict := func(t *testing.T, err error) {
		t.Helper()
		var rc *types.ResourceConflictException
		if !errors.As(err, &rc) || aws.ToString(rc.Message) != want || httpStatus(err) != http.StatusConflict {
			t.Errorf("error %v (status %d), want ResourceConflictException %q", err, httpStatus(err), want)
		}
	}
	in := &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("app"), ImageUri: aws.String(ref("v2"))}

	s.ConflictNext("app", 2)
	for range 2 {
		_, err := c.UpdateFunctionCode(ctx, in)
		conflict(t, err)
	}
	update(t, c, ref("v2"))
	_, err := c.UpdateFunctionCode(ctx, in)
	conflict(t, err)
	_, err = c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String("app")})
	conflict(t, err)
	if n := s.Count("UpdateFunctionCode"); n != 4 {
		t.Errorf("%d UpdateFunctionCode calls, want 4 (no retry of a conflict)", n)
	}
	if f, _ := s.Function("app"); f.ImageUri != ref("v2") || len(f.Versions) != 0 {
		t.Errorf("function %+v", f)
	}
}

func TestUpdateRefused(t *testing.T) {
	s := start(t)
	s.SetImageDigest(fakeecr.Host+"/app:1", digest("tagged"))
	c := client(s, keyID, secret)
	tests := []struct {
		name, function, image, message string
		arch                           []types.Architecture
	}{
		{name: "zip function", function: "zipped", image: ref("v2"), message: "Please don't provide ImageUri when updating a function with packageType Zip."},
		{name: "no image", function: "app", message: "Please provide ImageUri when updating a function with packageType Image."},
		{name: "registry of another region", function: "app", image: "123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@" + digest("v2"),
			message: "Source image 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app@" + digest("v2") + " is not valid. Provide a valid source image."},
		{name: "not ECR", function: "app", image: "docker.io/library/app:1", message: "Source image docker.io/library/app:1 is not valid. Provide a valid source image."},
		{name: "unknown tag", function: "app", image: fakeecr.Host + "/app:2", message: "Source image " + fakeecr.Host + "/app:2 does not exist. Provide a valid source image."},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			in := &lambda.UpdateFunctionCodeInput{FunctionName: aws.String(tc.function), Architectures: tc.arch}
			if tc.image != "" {
				in.ImageUri = aws.String(tc.image)
			}
			_, err := c.UpdateFunctionCode(context.Background(), in)
			var ip *types.InvalidParameterValueException
			if !errors.As(err, &ip) || aws.ToString(ip.Message) != tc.message || httpStatus(err) != http.StatusBadRequest {
				t.Errorf("error %v (status %d), want InvalidParameterValueException %q", err, httpStatus(err), tc.message)
			}
		})
	}
	if f, _ := s.Function("app"); f.ImageUri != ref("v1") || f.LastUpdateStatus != Successful {
		t.Errorf("a refused update changed the function: %+v", f)
	}

	t.Run("tag SetImageDigest resolves", func(t *testing.T) {
		out, err := c.UpdateFunctionCode(context.Background(), &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("app"),
			ImageUri: aws.String(fakeecr.Host + "/app:1"), Architectures: []types.Architecture{types.ArchitectureArm64}})
		if err != nil {
			t.Fatal(err)
		}
		if aws.ToString(out.CodeSha256) != strings.TrimPrefix(digest("tagged"), "sha256:") || out.Architectures[0] != types.ArchitectureArm64 {
			t.Errorf("answered %+v", out)
		}
		if f, _ := s.Function("app"); f.ImageUri != fakeecr.Host+"/app:1" || f.ResolvedImageUri != fakeecr.Host+"/app@"+digest("tagged") {
			t.Errorf("function %+v", f)
		}
	})
}

func TestSignature(t *testing.T) {
	s := start(t)
	tests := []struct {
		name, id, key, code string
	}{
		{name: "right credentials", id: keyID, key: secret},
		{name: "another secret", id: keyID, key: secret + "x", code: "InvalidSignatureException"},
		{name: "unknown key", id: "AKIAUNKNOWN000000000", key: secret, code: "UnrecognizedClientException"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			_, err := client(s, tc.id, tc.key).GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("app")})
			if code, _ := errorOf(err); code != tc.code || (tc.code != "" && httpStatus(err) != http.StatusForbidden) {
				t.Errorf("error %v (status %d), want code %q", err, httpStatus(err), tc.code)
			}
		})
	}
	t.Run("another region", func(t *testing.T) {
		c := lambda.New(lambda.Options{Region: "eu-west-1", BaseEndpoint: aws.String(s.URL), Credentials: credentials.NewStaticCredentialsProvider(keyID, secret, "")})
		_, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("app")})
		if code, _ := errorOf(err); code != "InvalidSignatureException" {
			t.Errorf("error %v, want InvalidSignatureException", err)
		}
	})
	t.Run("unsigned", func(t *testing.T) {
		resp, err := http.Get(s.URL + "/2015-03-31/functions/app")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusForbidden || resp.Header.Get("X-Amzn-Errortype") != "MissingAuthenticationTokenException" {
			t.Errorf("unsigned request answered %d %q", resp.StatusCode, resp.Header.Get("X-Amzn-Errortype"))
		}
	})
	t.Run("unknown path", func(t *testing.T) {
		resp, err := http.Get(s.URL + "/2015-03-31/nothing")
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		if resp.StatusCode != http.StatusNotFound {
			t.Errorf("unknown path answered %d", resp.StatusCode)
		}
	})
}

func TestVersionsAndAliases(t *testing.T) {
	s := start(t)
	s.PollsUntilDone(0)
	c := client(s, keyID, secret)
	ctx := context.Background()
	fn := aws.String("app")

	v1, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn, Description: aws.String("first")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(v1.Version) != "1" || aws.ToString(v1.FunctionArn) != "arn:aws:lambda:us-east-1:123456789012:function:app:1" {
		t.Errorf("PublishVersion answered %+v", v1)
	}
	again, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn})
	if err != nil || aws.ToString(again.Version) != "1" {
		t.Errorf("publishing unchanged code: version %q, %v; want the existing 1", aws.ToString(again.Version), err)
	}

	alias, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: fn, Name: aws.String("live"), FunctionVersion: aws.String("1"), Description: aws.String("prod")})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(alias.AliasArn) != "arn:aws:lambda:us-east-1:123456789012:function:app:live" || aws.ToString(alias.FunctionVersion) != "1" || aws.ToString(alias.RevisionId) == "" {
		t.Errorf("CreateAlias answered %+v", alias)
	}

	out, err := c.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{FunctionName: fn, ImageUri: aws.String(ref("v2")), Publish: true})
	if err != nil {
		t.Fatal(err)
	}
	if aws.ToString(out.Version) != "2" || out.LastUpdateStatus != types.LastUpdateStatusInProgress {
		t.Errorf("UpdateFunctionCode with Publish answered version %q, %s", aws.ToString(out.Version), out.LastUpdateStatus)
	}
	v2, err := c.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: fn, Qualifier: aws.String("2")})
	if err != nil || v2.Configuration.LastUpdateStatus != types.LastUpdateStatusSuccessful || aws.ToString(v2.Code.ImageUri) != ref("v2") {
		t.Fatalf("version 2: %+v, %v", v2, err)
	}

	updated, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: fn, Name: aws.String("live"), FunctionVersion: aws.String("2")})
	if err != nil || aws.ToString(updated.FunctionVersion) != "2" || aws.ToString(updated.Description) != "prod" || aws.ToString(updated.RevisionId) == aws.ToString(alias.RevisionId) {
		t.Errorf("UpdateAlias: %+v, %v", updated, err)
	}
	got, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: fn, Name: aws.String("live")})
	if err != nil || aws.ToString(got.FunctionVersion) != "2" {
		t.Errorf("GetAlias: %+v, %v", got, err)
	}
	byAlias, err := c.GetFunctionConfiguration(ctx, &lambda.GetFunctionConfigurationInput{FunctionName: aws.String("app:live")})
	if err != nil || aws.ToString(byAlias.Version) != "2" {
		t.Errorf("configuration by alias: %+v, %v", byAlias, err)
	}

	f, _ := s.Function("app")
	if len(f.Versions) != 2 || f.Versions[0].Description != "first" || f.Versions[0].ImageUri != ref("v1") || f.Versions[1].ImageUri != ref("v2") ||
		f.Aliases["live"].FunctionVersion != "2" {
		t.Errorf("function %+v", f)
	}

	refusals := []struct {
		name string
		call func() error
		want any
		msg  string
	}{
		{name: "unknown alias", want: new(*types.ResourceNotFoundException), msg: "Alias not found: arn:aws:lambda:us-east-1:123456789012:function:app:nope",
			call: func() error {
				_, err := c.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: fn, Name: aws.String("nope")})
				return err
			}},
		{name: "update unknown alias", want: new(*types.ResourceNotFoundException), msg: "Alias not found: arn:aws:lambda:us-east-1:123456789012:function:app:nope",
			call: func() error {
				_, err := c.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: fn, Name: aws.String("nope"), FunctionVersion: aws.String("1")})
				return err
			}},
		{name: "alias twice", want: new(*types.ResourceConflictException), msg: "Alias already exists: arn:aws:lambda:us-east-1:123456789012:function:app:live",
			call: func() error {
				_, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: fn, Name: aws.String("live"), FunctionVersion: aws.String("1")})
				return err
			}},
		{name: "alias to a missing version", want: new(*types.ResourceNotFoundException), msg: "Function not found: arn:aws:lambda:us-east-1:123456789012:function:app:9",
			call: func() error {
				_, err := c.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: fn, Name: aws.String("next"), FunctionVersion: aws.String("9")})
				return err
			}},
		{name: "stale revision", want: new(*types.PreconditionFailedException),
			msg: "The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
			call: func() error {
				_, err := c.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: fn, RevisionId: aws.String("stale")})
				return err
			}},
	}
	for _, tc := range refusals {
		t.Run(tc.name, func(t *testing.T) {
			err := tc.call()
			if _, msg := errorOf(err); !errors.As(err, tc.want) || msg != tc.msg {
				t.Errorf("error %v, want %T %q", err, tc.want, tc.msg)
			}
		})
	}
}

func TestDeny(t *testing.T) {
	s := start(t)
	c := client(s, keyID, secret)
	s.Deny("lambda:UpdateFunctionCode")
	_, err := c.UpdateFunctionCode(context.Background(), &lambda.UpdateFunctionCodeInput{FunctionName: aws.String("app"), ImageUri: aws.String(ref("v2"))})
	want := "User: arn:aws:iam::123456789012:user/brefimg-test is not authorized to perform: lambda:UpdateFunctionCode on resource: " +
		"arn:aws:lambda:us-east-1:123456789012:function:app because no identity-based policy allows the lambda:UpdateFunctionCode action"
	if code, msg := errorOf(err); code != "AccessDeniedException" || msg != want || httpStatus(err) != http.StatusForbidden {
		t.Errorf("error %v (status %d), want AccessDeniedException %q", err, httpStatus(err), want)
	}
	if f, _ := s.Function("app"); f.ImageUri != ref("v1") {
		t.Error("a denied call updated the function")
	}
	if _, err := c.GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("app")}); err != nil {
		t.Errorf("an action not denied: %v", err)
	}
	s.AllowAll()
	update(t, c, ref("v2"))
	if calls := s.Calls(); calls[0].Error != "AccessDeniedException" || calls[len(calls)-1].Error != "" {
		t.Errorf("calls %+v", calls)
	}
}

func TestSTS(t *testing.T) {
	s := start(t)
	tests := []struct {
		name, key, code string
	}{
		{name: "right credentials", key: secret},
		{name: "another secret", key: secret + "x", code: "SignatureDoesNotMatch"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			c := sts.New(sts.Options{Region: s.Region, BaseEndpoint: aws.String(s.STSURL), Credentials: credentials.NewStaticCredentialsProvider(keyID, tc.key, "")})
			out, err := c.GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
			if code, _ := errorOf(err); code != tc.code {
				t.Fatalf("error %v, want code %q", err, tc.code)
			}
			if tc.code == "" && (aws.ToString(out.Account) != fakeecr.Account || aws.ToString(out.Arn) != fakeecr.Principal || aws.ToString(out.UserId) != UserID) {
				t.Errorf("GetCallerIdentity answered %+v", out)
			}
		})
	}
	if n := s.Count("GetCallerIdentity"); n != 2 {
		t.Errorf("%d GetCallerIdentity calls recorded, want 2", n)
	}
}

// TestVars reaches both fakes the way the product does: the SDK's own
// configuration from the environment Vars gives.
func TestVars(t *testing.T) {
	s := start(t)
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
		"AWS_PROFILE": "", "AWS_SESSION_TOKEN": "", "AWS_ENDPOINT_URL": "", "AWS_IGNORE_CONFIGURED_ENDPOINT_URLS": "",
	} {
		t.Setenv(k, v)
	}
	for k, v := range s.Vars() {
		t.Setenv(k, v)
	}
	cfg, err := config.LoadDefaultConfig(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	id, err := sts.NewFromConfig(cfg).GetCallerIdentity(context.Background(), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != fakeecr.Account {
		t.Fatalf("GetCallerIdentity: %+v, %v", id, err)
	}
	if _, err := lambda.NewFromConfig(cfg).GetFunction(context.Background(), &lambda.GetFunctionInput{FunctionName: aws.String("app")}); err != nil {
		t.Fatal(err)
	}
	if s.Count("GetFunction") != 1 || s.Count("GetCallerIdentity") != 1 {
		t.Errorf("calls %+v", s.Calls())
	}
}
