package deploy

import (
	"context"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/lambda"

	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry/ecr"
)

// NewClient returns a Lambda API client for region, configured by the AWS
// SDK's default chain (AWS_* variables, ~/.aws/config and credentials,
// AWS_ENDPOINT_URL_LAMBDA, …), having checked that credentials can be had.
func NewClient(ctx context.Context, region string) (*lambda.Client, error) {
	cfg, err := ecr.LoadAWSConfig(ctx, region)
	if err != nil {
		return nil, plan.AsInput(plan.FieldFunction, fmt.Errorf("reading the AWS configuration: %w", err))
	}
	if cfg.Credentials == nil {
		return nil, plan.Inputf(plan.FieldFunction, "no AWS credentials: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a role (OIDC in CI)")
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		return nil, plan.Inputf(plan.FieldFunction, "no AWS credentials for Lambda: %v: set AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, AWS_PROFILE, or a role (OIDC in CI)", err)
	}
	return lambda.NewFromConfig(cfg), nil
}
