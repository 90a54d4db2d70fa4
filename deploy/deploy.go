// Package deploy points AWS Lambda functions at an image by its digest:
// it checks that each function can run the image (it exists, is an image
// function in the image's region, with the image's architecture), updates
// its code, waits until Lambda has finished the update, and optionally
// publishes a version and points an alias at it.
//
// It updates by digest only: re-pushing a tag never changes what a
// function runs, so a tag would leave functions on the old image.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/lambda"
	"github.com/aws/aws-sdk-go-v2/service/lambda/types"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry/ecr"
)

// API is the part of the Lambda API a deploy calls; *lambda.Client is one.
type API interface {
	GetFunction(context.Context, *lambda.GetFunctionInput, ...func(*lambda.Options)) (*lambda.GetFunctionOutput, error)
	UpdateFunctionCode(context.Context, *lambda.UpdateFunctionCodeInput, ...func(*lambda.Options)) (*lambda.UpdateFunctionCodeOutput, error)
	PublishVersion(context.Context, *lambda.PublishVersionInput, ...func(*lambda.Options)) (*lambda.PublishVersionOutput, error)
	GetAlias(context.Context, *lambda.GetAliasInput, ...func(*lambda.Options)) (*lambda.GetAliasOutput, error)
	CreateAlias(context.Context, *lambda.CreateAliasInput, ...func(*lambda.Options)) (*lambda.CreateAliasOutput, error)
	UpdateAlias(context.Context, *lambda.UpdateAliasInput, ...func(*lambda.Options)) (*lambda.UpdateAliasOutput, error)
}

// Image is what to deploy: an image by digest and the platform it was
// built for.
type Image struct {
	// Ref is the image, <account>.dkr.ecr.<region>.amazonaws.com/repo@sha256:….
	Ref name.Digest
	// Platform is the image's platform (linux/amd64 or linux/arm64).
	Platform v1.Platform
}

// Result is what one function runs after a deploy.
type Result struct {
	// Function is the function's name, ARN the function's ARN.
	Function string `json:"function"`
	ARN      string `json:"arn"`
	// Image is the image reference the function now runs, by digest.
	Image string `json:"image"`
	// Digest is the image's digest.
	Digest string `json:"digest"`
	// Version is the version published, or "$LATEST".
	Version string `json:"version"`
	// Alias is the alias pointed at Version, if any.
	Alias string `json:"alias,omitempty"`
	// UpToDate is true when the function already ran the image: its code
	// was left alone.
	UpToDate bool `json:"upToDate"`
}

// options configure a deploy.
type options struct {
	publish  bool
	alias    string
	progress func(format string, a ...any)
	minDelay time.Duration
	maxDelay time.Duration
	maxWait  time.Duration
}

// Option configures Function.
type Option func(*options)

// WithPublish publishes a version after the update.
func WithPublish() Option { return func(o *options) { o.publish = true } }

// WithAlias points the alias name at the published version (creating the
// alias if needed); it implies WithPublish.
func WithAlias(name string) Option {
	return func(o *options) { o.alias, o.publish = name, true }
}

// WithProgress reports each step (a line without newline).
func WithProgress(f func(format string, a ...any)) Option {
	return func(o *options) { o.progress = f }
}

// WithPolling sets the delays between polls of an update in progress and
// of retries after a conflict (default 1 s growing to 30 s), and the
// longest wait for one update (default 15 minutes; a context deadline
// shortens it).
func WithPolling(minDelay, maxDelay, maxWait time.Duration) Option {
	return func(o *options) { o.minDelay, o.maxDelay, o.maxWait = minDelay, maxDelay, maxWait }
}

// Function deploys img to the Lambda function fn (a name or an ARN) through
// api. Errors that the user must fix (no such function, a zip function,
// another region or architecture, a refused IAM action) are
// *plan.InputError; an update that Lambda reports Failed is not.
func Function(ctx context.Context, api API, fn string, img Image, opts ...Option) (Result, error) {
	o := options{progress: func(string, ...any) {}, minDelay: time.Second, maxDelay: 30 * time.Second, maxWait: 15 * time.Minute}
	for _, opt := range opts {
		opt(&o)
	}
	d := &deployer{api: api, fn: fn, img: img, o: o}
	return d.run(ctx)
}

// deployer is one deploy of one function.
type deployer struct {
	api API
	fn  string
	img Image
	o   options
}

func (d *deployer) run(ctx context.Context) (Result, error) {
	cur, err := d.api.GetFunction(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(d.fn)})
	if err != nil {
		return Result{}, d.apiError("lambda:GetFunction", err)
	}
	if err := d.check(cur); err != nil {
		return Result{}, err
	}
	cfg := cur.Configuration
	res := Result{Function: aws.ToString(cfg.FunctionName), ARN: aws.ToString(cfg.FunctionArn),
		Image: d.img.Ref.String(), Digest: d.img.Ref.DigestStr(), Version: "$LATEST"}
	if d.runs(cur) {
		res.UpToDate = true
		d.o.progress("%s already runs %s", res.Function, res.Digest)
	} else {
		if err := d.update(ctx); err != nil {
			return Result{}, err
		}
		if err := d.wait(ctx); err != nil {
			return Result{}, err
		}
		d.o.progress("%s now runs %s", res.Function, res.Digest)
	}
	if !d.o.publish {
		return res, nil
	}
	if res.Version, err = d.publishVersion(ctx); err != nil {
		return Result{}, err
	}
	if d.o.alias != "" {
		if err := d.pointAlias(ctx, res.Version); err != nil {
			return Result{}, err
		}
		res.Alias = d.o.alias
	}
	return res, nil
}

// check refuses a function that cannot run the image, saying what to
// change.
func (d *deployer) check(cur *lambda.GetFunctionOutput) error {
	cfg := cur.Configuration
	if cfg == nil {
		return fmt.Errorf("function %s: Lambda returned no configuration", d.fn)
	}
	if cfg.PackageType != types.PackageTypeImage {
		return plan.Inputf(plan.FieldFunction, "function %s is a %s function: Lambda cannot switch a function to an image; create it with PackageType Image, or deploy another function", d.fn, packageType(cfg.PackageType))
	}
	host, ok := ecr.ParseHost(d.img.Ref.RegistryStr())
	if !ok {
		return plan.Inputf(plan.FieldFunction, "function %s: Lambda runs images from Amazon ECR only, and %s is not in ECR: push to <account>.dkr.ecr.<region>.amazonaws.com", d.fn, d.img.Ref.RegistryStr())
	}
	if region := arnRegion(aws.ToString(cfg.FunctionArn)); region != "" && region != host.Region {
		return plan.Inputf(plan.FieldFunction, "function %s is in %s, the image in %s: Lambda takes images from its own region; push to an ECR repository in %s, or deploy a function of %s", d.fn, region, host.Region, region, host.Region)
	}
	want := plan.LambdaArchitecture(d.img.Platform)
	have := "x86_64"
	if len(cfg.Architectures) > 0 {
		have = string(cfg.Architectures[0])
	}
	if want != have {
		return plan.Inputf(plan.FieldFunction, "function %s runs on %s, the image is %s: build for the function's architecture (--platform %s), or change the function's architecture to %s", d.fn, have, d.img.Platform, platformOf(have), want)
	}
	return nil
}

// runs reports whether the function already runs the image, with its last
// update done.
func (d *deployer) runs(cur *lambda.GetFunctionOutput) bool {
	if cur.Configuration.LastUpdateStatus != types.LastUpdateStatusSuccessful || cur.Code == nil {
		return false
	}
	want := d.img.Ref.String()
	return aws.ToString(cur.Code.ResolvedImageUri) == want || aws.ToString(cur.Code.ImageUri) == want
}

// update calls UpdateFunctionCode by digest, retrying while another update
// is in progress.
func (d *deployer) update(ctx context.Context) error {
	d.o.progress("updating %s to %s", d.fn, d.img.Ref)
	return d.retryConflict(ctx, "lambda:UpdateFunctionCode", func() error {
		_, err := d.api.UpdateFunctionCode(ctx, &lambda.UpdateFunctionCodeInput{
			FunctionName: aws.String(d.fn), ImageUri: aws.String(d.img.Ref.String())})
		return err
	})
}

// wait waits until Lambda has finished the update, with the SDK's waiter;
// a Failed update is an error carrying Lambda's reason.
func (d *deployer) wait(ctx context.Context) error {
	w := lambda.NewFunctionUpdatedV2Waiter(d.api, func(wo *lambda.FunctionUpdatedV2WaiterOptions) {
		wo.MinDelay, wo.MaxDelay = d.o.minDelay, max(d.o.minDelay, d.o.maxDelay)
		wo.Retryable = func(_ context.Context, _ *lambda.GetFunctionInput, out *lambda.GetFunctionOutput, err error) (bool, error) {
			if err != nil {
				return false, err
			}
			inProgress := out.Configuration != nil && out.Configuration.LastUpdateStatus == types.LastUpdateStatusInProgress
			if inProgress {
				d.o.progress("waiting for %s: update in progress", d.fn)
			}
			return inProgress, nil
		}
	})
	out, err := w.WaitForOutput(ctx, &lambda.GetFunctionInput{FunctionName: aws.String(d.fn)}, d.maxWait(ctx))
	if err != nil {
		return d.apiError("lambda:GetFunction", fmt.Errorf("waiting for the update: %w", err))
	}
	cfg := out.Configuration
	if cfg.LastUpdateStatus == types.LastUpdateStatusFailed {
		return &FailedError{Function: d.fn, Code: string(cfg.LastUpdateStatusReasonCode), Reason: aws.ToString(cfg.LastUpdateStatusReason)}
	}
	return nil
}

// maxWait is the longest the waiter may wait: the option, or less when
// ctx has a deadline.
func (d *deployer) maxWait(ctx context.Context) time.Duration {
	wait := d.o.maxWait
	if dl, ok := ctx.Deadline(); ok && time.Until(dl) < wait {
		wait = max(time.Until(dl), time.Millisecond)
	}
	return wait
}

// publishVersion publishes the function's current code and config.
func (d *deployer) publishVersion(ctx context.Context) (string, error) {
	var version string
	err := d.retryConflict(ctx, "lambda:PublishVersion", func() error {
		out, err := d.api.PublishVersion(ctx, &lambda.PublishVersionInput{FunctionName: aws.String(d.fn)})
		if err == nil {
			version = aws.ToString(out.Version)
		}
		return err
	})
	if err == nil {
		d.o.progress("%s: published version %s", d.fn, version)
	}
	return version, err
}

// pointAlias points the alias at version, creating it when it does not
// exist.
func (d *deployer) pointAlias(ctx context.Context, version string) error {
	fn, alias := aws.String(d.fn), aws.String(d.o.alias)
	_, err := d.api.GetAlias(ctx, &lambda.GetAliasInput{FunctionName: fn, Name: alias})
	var nf *types.ResourceNotFoundException
	switch {
	case errors.As(err, &nf):
		_, err = d.api.CreateAlias(ctx, &lambda.CreateAliasInput{FunctionName: fn, Name: alias, FunctionVersion: aws.String(version)})
		err = d.apiError("lambda:CreateAlias", err)
	case err != nil:
		err = d.apiError("lambda:GetAlias", err)
	default:
		_, err = d.api.UpdateAlias(ctx, &lambda.UpdateAliasInput{FunctionName: fn, Name: alias, FunctionVersion: aws.String(version)})
		err = d.apiError("lambda:UpdateAlias", err)
	}
	if err == nil {
		d.o.progress("%s: alias %s -> version %s", d.fn, d.o.alias, version)
	}
	return err
}

// retryConflict calls f until it does not answer ResourceConflictException
// (an update in progress), waiting longer each time, until ctx is done.
func (d *deployer) retryConflict(ctx context.Context, action string, f func() error) error {
	delay := d.o.minDelay
	for {
		err := f()
		var conflict *types.ResourceConflictException
		if !errors.As(err, &conflict) {
			return d.apiError(action, err)
		}
		d.o.progress("%s: another update is in progress; retrying in %s", d.fn, delay)
		t := time.NewTimer(delay)
		select {
		case <-ctx.Done():
			t.Stop()
			return fmt.Errorf("function %s: an update was still in progress when the time ran out (--timeout): %w", d.fn, ctx.Err())
		case <-t.C:
		}
		delay = min(2*delay, max(d.o.minDelay, d.o.maxDelay))
	}
}

// apiError explains a Lambda API error; what the user must fix is a
// *plan.InputError naming the function (and the IAM action refused).
func (d *deployer) apiError(action string, err error) error {
	if err == nil {
		return nil
	}
	var nf *types.ResourceNotFoundException
	var denied interface{ ErrorCode() string }
	switch {
	case errors.As(err, &nf):
		return plan.Inputf(plan.FieldFunction, "function %s does not exist in this account and region: create it (PackageType Image), or check its name: %v", d.fn, err)
	case errors.As(err, &denied) && (denied.ErrorCode() == "AccessDeniedException" || denied.ErrorCode() == "AccessDenied"):
		return plan.Inputf(plan.FieldFunction, "function %s: %s was refused: grant it to this identity (the README lists the actions a deploy needs): %v", d.fn, action, err)
	}
	return fmt.Errorf("function %s: %s: %w", d.fn, action, err)
}

// FailedError is an update that Lambda reports Failed.
type FailedError struct {
	Function, Code, Reason string
}

func (e *FailedError) Error() string {
	return fmt.Sprintf("function %s: Lambda could not update it: %s: %s", e.Function, e.Code, e.Reason)
}

// packageType names a function's package type for messages.
func packageType(p types.PackageType) string {
	if p == "" {
		return "Zip"
	}
	return string(p)
}

// platformOf is the platform of a Lambda architecture name.
func platformOf(arch string) string {
	if arch == "arm64" {
		return "linux/arm64"
	}
	return "linux/amd64"
}

// arnRegion returns the region of an ARN, arn:partition:service:region:….
func arnRegion(arn string) string {
	parts := strings.SplitN(arn, ":", 5)
	if len(parts) < 5 {
		return ""
	}
	return parts[3]
}

// Functions deploys an image to several functions with one client for the
// image's region; the pipeline's Deployer.
type Functions struct {
	// Names are the functions (names or ARNs), deployed in this order.
	Names []string
	// Client makes the API client for a region; nil means NewClient.
	Client func(ctx context.Context, region string) (API, error)
	// Options apply to every function.
	Options []Option
}

// Deploy deploys ref, built for platform, to every function, and returns
// what each now runs; it stops at the first failure, returning what was
// deployed before it.
func (f *Functions) Deploy(ctx context.Context, ref name.Digest, platform v1.Platform) ([]Result, error) {
	host, ok := ecr.ParseHost(ref.RegistryStr())
	if !ok {
		return nil, plan.Inputf(plan.FieldFunction, "Lambda runs images from Amazon ECR only, and %s is not in ECR: push to <account>.dkr.ecr.<region>.amazonaws.com", ref.RegistryStr())
	}
	newClient := f.Client
	if newClient == nil {
		newClient = func(ctx context.Context, region string) (API, error) { return NewClient(ctx, region) }
	}
	api, err := newClient(ctx, host.Region)
	if err != nil {
		return nil, err
	}
	var out []Result
	for _, fn := range f.Names {
		res, err := Function(ctx, api, fn, Image{Ref: ref, Platform: platform}, f.Options...)
		if err != nil {
			return out, err
		}
		out = append(out, res)
	}
	return out, nil
}
