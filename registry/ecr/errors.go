package ecr

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/smithy-go"
)

// IAM actions brefimg needs, named in access-denied errors.
const (
	ActionGetAuthorizationToken = "ecr:GetAuthorizationToken"
	ActionDescribeRepositories  = "ecr:DescribeRepositories"
	ActionCreateRepository      = "ecr:CreateRepository"
	ActionPutLifecyclePolicy    = "ecr:PutLifecyclePolicy"
)

// Error is a failed call to the Amazon ECR API, or a failure to get the AWS
// credentials for one. It never holds a credential or a token.
type Error struct {
	// Op is what was being done, e.g. "creating repository".
	Op string
	// Registry is the ECR registry host.
	Registry string
	// Repository is the repository, "" for registry-wide calls such as
	// getting a token.
	Repository string
	// Action is the IAM action of the call that failed, e.g.
	// "ecr:CreateRepository".
	Action string
	// Err is the cause, already explained.
	Err error

	input bool
}

func (e *Error) Error() string {
	where := e.Registry
	if e.Repository != "" {
		where = e.Repository + " in " + e.Registry
	}
	return fmt.Sprintf("%s %s: %v", e.Op, where, e.Err)
}

// Unwrap returns the cause.
func (e *Error) Unwrap() error { return e.Err }

// IsInput reports whether the user must fix the error (credentials, IAM
// permissions, region, names) rather than retry later.
func (e *Error) IsInput() bool { return e.input }

// IsInput reports whether err is, or wraps, an ECR error the user must fix.
// registry.IsInput also reports true for these once they went through a
// registry.Client (as keychain or hook errors).
func IsInput(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		return e.input
	}
	var x *explanation
	return errors.As(err, &x) && x.input
}

// explanation is an ECR registry answer (or failure) explained for the
// user; it unwraps to the original error.
type explanation struct {
	msg   string
	cause error
	input bool
}

func (x *explanation) Error() string { return x.msg }
func (x *explanation) Unwrap() error { return x.cause }
func (x *explanation) IsInput() bool { return x.input }

// configError is a failure to read the AWS configuration.
type configError struct{ err error }

func (e *configError) Error() string { return e.err.Error() }
func (e *configError) Unwrap() error { return e.err }

// credentialsError is a failure to get credentials from the default chain.
type credentialsError struct{ err error }

func (e *credentialsError) Error() string { return e.err.Error() }
func (e *credentialsError) Unwrap() error { return e.err }

// translate turns an error of the AWS SDK into an *Error that says what to do.
func translate(op string, host Host, repo, action string, err error) *Error {
	e := &Error{Op: op, Registry: host.Name, Repository: repo, Action: action, Err: err}
	var cfgErr *configError
	var credErr *credentialsError
	var regionErr *aws.MissingRegionError
	var api smithy.APIError
	var dnsErr *net.DNSError
	var opErr *net.OpError
	switch {
	case errors.As(err, &cfgErr):
		e.input = true
		e.Err = fmt.Errorf("reading the AWS configuration (AWS_PROFILE, ~/.aws/config, ~/.aws/credentials): %v", cfgErr.err)
	case errors.As(err, &credErr):
		e.input = true
		e.Err = fmt.Errorf("no usable AWS credentials: %s (the AWS SDK said: %v)", whereCredentials(), credErr.err)
	case errors.As(err, &regionErr):
		e.input = true
		e.Err = errors.New("no AWS region: set AWS_REGION (or region in the profile's ~/.aws/config section)")
	case errors.As(err, &api):
		e.Err = fmt.Errorf("%s: %s", api.ErrorCode(), api.ErrorMessage())
		switch api.ErrorCode() {
		case "AccessDeniedException", "AccessDenied":
			e.input = true
			e.Err = fmt.Errorf("access denied to %s: %s (AWS said: %s)", action, permissionHint(host, repo, action), api.ErrorMessage())
		case "UnrecognizedClientException", "InvalidSignatureException", "SignatureDoesNotMatch", "IncompleteSignature",
			"InvalidClientTokenId", "ExpiredTokenException", "ExpiredToken", "MissingAuthenticationTokenException":
			e.input = true
			e.Err = fmt.Errorf("AWS rejected the credentials (%s: %s): check AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY "+
				"(or the profile in use), or renew an expired session (aws sso login, or new temporary credentials)", api.ErrorCode(), api.ErrorMessage())
		case "InvalidParameterException", "ValidationException", "InvalidTagParameterException":
			e.input = true
		case "RepositoryNotFoundException":
			e.input = true
			e.Err = fmt.Errorf("the repository does not exist: let brefimg create it (drop --create-repo=false) or create it with "+
				"aws ecr create-repository --repository-name %s --region %s", repo, host.Region)
		case "LimitExceededException":
			e.input = true
			e.Err = fmt.Errorf("%s: %s (an ECR service quota of the account is reached)", api.ErrorCode(), api.ErrorMessage())
		}
	case errors.As(err, &dnsErr), errors.As(err, &opErr) && opErr.Op == "dial":
		// Not the input's fault: the same command may work later (exit 1).
		e.Err = fmt.Errorf("the ECR API endpoint for %s is unreachable: %v (check the network, HTTPS_PROXY, or AWS_ENDPOINT_URL_ECR)", host.Region, err)
	case errors.Is(err, context.Canceled), errors.Is(err, context.DeadlineExceeded):
	}
	return e
}

// permissionHint says how to get past an access-denied error for action.
func permissionHint(host Host, repo, action string) string {
	resource := "*"
	if repo != "" {
		resource = host.repositoryARN(repo)
	}
	hint := fmt.Sprintf("allow %s on %s in the IAM policy of the identity brefimg runs as", action, resource)
	switch action {
	case ActionDescribeRepositories:
		hint += ", or create the repository yourself and pass --create-repo=false to skip this check"
	case ActionCreateRepository:
		hint += fmt.Sprintf(", or create it yourself (aws ecr create-repository --repository-name %s --region %s) and pass --create-repo=false", repo, host.Region)
	case ActionPutLifecyclePolicy:
		hint += "; the repository was created without a lifecycle policy: drop --ecr-max-images or add the policy yourself"
	}
	return hint
}

// whereCredentials says where the AWS SDK's default chain looks for
// credentials, with the variables that are set right now.
func whereCredentials() string {
	profile := os.Getenv("AWS_PROFILE")
	if profile == "" {
		profile = "default"
	}
	cfgFile, credFile := "~/.aws/config", "~/.aws/credentials"
	if f := os.Getenv("AWS_CONFIG_FILE"); f != "" {
		cfgFile = f
	}
	if f := os.Getenv("AWS_SHARED_CREDENTIALS_FILE"); f != "" {
		credFile = f
	}
	places := []string{
		"the environment (AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY, with AWS_SESSION_TOKEN for temporary keys)",
		fmt.Sprintf("profile %q in %s and %s (keys, SSO, credential_process, role_arn)", profile, credFile, cfgFile),
		"web identity (AWS_WEB_IDENTITY_TOKEN_FILE and AWS_ROLE_ARN, as GitHub Actions OIDC sets them)",
		"the ECS/EKS container role (AWS_CONTAINER_CREDENTIALS_RELATIVE_URI or _FULL_URI)",
		"the EC2 instance role (instance metadata)",
	}
	return "brefimg looked where the AWS CLI looks: " + strings.Join(places, ", ") +
		"; set one of them up, or, to push with docker login credentials only, pass --create-repo=false"
}
