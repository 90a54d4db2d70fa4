package ecr

import (
	"context"
	"errors"
	"fmt"
	"net"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/sts"
)

// CallerAccount returns the AWS account ID of the caller's credentials
// (STS GetCallerIdentity), found by the AWS SDK's default chain with
// AWS_ENDPOINT_URL_STS honoured: the account whose registry
// <account>.dkr.ecr.<region>.amazonaws.com tools such as the Serverless
// Framework push to.
func CallerAccount(ctx context.Context, region string) (string, error) {
	cfg, err := LoadAWSConfig(ctx, region)
	if err != nil {
		return "", &accountError{fmt.Errorf("reading the AWS configuration: %w", err)}
	}
	out, err := sts.NewFromConfig(cfg).GetCallerIdentity(ctx, &sts.GetCallerIdentityInput{})
	if err != nil {
		return "", &accountError{fmt.Errorf("finding the AWS account of these credentials (sts:GetCallerIdentity): %w: set AWS credentials (keys, AWS_PROFILE, or a role)", err)}
	}
	return aws.ToString(out.Account), nil
}

// accountError is a failure to find the caller's account: the
// credentials' fault, the user's to fix, unless STS could not be reached.
type accountError struct{ err error }

func (e *accountError) Error() string { return e.err.Error() }
func (e *accountError) Unwrap() error { return e.err }

// IsInput reports that the user must fix it: anything but a network
// failure (which exits 1, for CI to retry).
func (e *accountError) IsInput() bool {
	var op *net.OpError
	var dns *net.DNSError
	return !errors.As(e.err, &op) && !errors.As(e.err, &dns)
}
