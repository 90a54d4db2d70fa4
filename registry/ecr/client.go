package ecr

import (
	"context"
	"errors"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
)

// newClient returns an ECR API client for host, configured by the AWS SDK's
// default chain (AWS_* variables, ~/.aws/config and ~/.aws/credentials,
// AWS_ENDPOINT_URL_ECR, …) with the region taken from the host, and checks
// that credentials can be had, so that their absence is reported as such.
// FIPS and dual-stack hosts get the matching API endpoints unless an
// endpoint is configured.
func newClient(ctx context.Context, host Host) (*ecr.Client, error) {
	cfg, err := LoadAWSConfig(ctx, host.Region)
	if err != nil {
		return nil, &configError{err}
	}
	if cfg.Region == "" {
		return nil, &aws.MissingRegionError{}
	}
	if cfg.Credentials == nil {
		return nil, &credentialsError{errors.New("no credentials provider")}
	}
	if _, err := cfg.Credentials.Retrieve(ctx); err != nil {
		if errors.Is(err, context.Canceled) || errors.Is(err, context.DeadlineExceeded) {
			return nil, err
		}
		return nil, &credentialsError{err}
	}
	return ecr.NewFromConfig(cfg, func(o *ecr.Options) {
		if o.BaseEndpoint != nil {
			return // AWS_ENDPOINT_URL_ECR or the profile's endpoint_url: used as it is
		}
		if host.FIPS {
			o.EndpointOptions.UseFIPSEndpoint = aws.FIPSEndpointStateEnabled
		}
		if host.DualStack {
			o.EndpointOptions.UseDualStackEndpoint = aws.DualStackEndpointStateEnabled
		}
	}), nil
}

// partition returns the AWS partition of the host, for ARNs.
func (h Host) partition() string {
	switch {
	case strings.HasSuffix(h.Name, ".cn"):
		return "aws-cn"
	case strings.HasPrefix(h.Region, "us-gov-"):
		return "aws-us-gov"
	case strings.HasSuffix(h.Name, ".sc2s.sgov.gov"):
		return "aws-iso-b"
	case strings.HasSuffix(h.Name, ".c2s.ic.gov"):
		return "aws-iso"
	case strings.HasSuffix(h.Name, ".cloud.adc-e.uk"):
		return "aws-iso-e"
	case strings.HasSuffix(h.Name, ".csp.hci.ic.gov"):
		return "aws-iso-f"
	case strings.HasSuffix(h.Name, ".amazonaws.eu"):
		return "aws-eusc"
	}
	return "aws"
}

// repositoryARN returns the ARN of repo in the host's registry.
func (h Host) repositoryARN(repo string) string {
	return "arn:" + h.partition() + ":ecr:" + h.Region + ":" + h.Account + ":repository/" + repo
}
