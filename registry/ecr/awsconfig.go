package ecr

import (
	"context"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/config"
	"github.com/aws/smithy-go/logging"
)

// LoadAWSConfig loads the AWS SDK's configuration from its default chain
// (AWS_* variables, ~/.aws/config and credentials, SSO, web identity,
// container and instance roles, AWS_ENDPOINT_URL_*), for region when it is
// not "". The SDK's own log lines (such as "WARN falling back to IMDSv1")
// are silenced: brefimg says what matters in its own words.
func LoadAWSConfig(ctx context.Context, region string) (aws.Config, error) {
	opts := []func(*config.LoadOptions) error{config.WithLogger(logging.Nop{})}
	if region != "" {
		opts = append(opts, config.WithRegion(region))
	}
	return config.LoadDefaultConfig(ctx, opts...)
}
