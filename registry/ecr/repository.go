package ecr

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecr/types"
)

// Ops of repository errors.
const (
	opDescribe  = "looking up repository"
	opCreate    = "creating repository"
	opLifecycle = "writing the lifecycle policy of repository"
)

// Options say whether and how a missing repository is created. The zero
// value creates nothing. Settings apply only to repositories being created:
// a repository that exists is never changed.
type Options struct {
	// Create creates a repository that does not exist (--create-repo,
	// on by default in the CLI).
	Create bool
	// ScanOnPush turns on ECR's basic image scan on every push
	// (--ecr-scan-on-push).
	ScanOnPush bool
	// ImmutableTags makes tags immutable: pushing an existing tag again
	// fails (--ecr-immutable-tags).
	ImmutableTags bool
	// MaxImages, when greater than zero, writes a lifecycle policy that
	// expires untagged images beyond this many (--ecr-max-images), the rule
	// Serverless Framework writes for provider.ecr.maxImages (see
	// LifecyclePolicy).
	MaxImages int
}

// Validate reports options that contradict each other or are out of range.
func (o Options) Validate() error {
	if o.MaxImages < 0 {
		return fmt.Errorf("--ecr-max-images %d: give a number of images greater than zero (or 0 for no lifecycle policy)", o.MaxImages)
	}
	if !o.Create && (o.ScanOnPush || o.ImmutableTags || o.MaxImages > 0) {
		return errors.New("--ecr-scan-on-push, --ecr-immutable-tags and --ecr-max-images apply only to repositories brefimg creates: drop them or drop --create-repo=false")
	}
	return nil
}

// LifecyclePolicy returns the ECR lifecycle policy written for MaxImages n:
// one rule that expires untagged images beyond the n most recent, the same
// JSON as Serverless Framework's provider.ecr.maxImages (priority 1000, so
// that rules users add with lower numbers come first).
func LifecyclePolicy(n int) string {
	type selection struct {
		TagStatus   string `json:"tagStatus"`
		CountType   string `json:"countType"`
		CountNumber int    `json:"countNumber"`
	}
	type action struct {
		Type string `json:"type"`
	}
	type rule struct {
		RulePriority int       `json:"rulePriority"`
		Description  string    `json:"description"`
		Selection    selection `json:"selection"`
		Action       action    `json:"action"`
	}
	policy := struct {
		Rules []rule `json:"rules"`
	}{Rules: []rule{{
		RulePriority: 1000,
		Description:  "Expire superseded image versions (provider.ecr.maxImages)",
		Selection:    selection{TagStatus: "untagged", CountType: "imageCountMoreThan", CountNumber: n},
		Action:       action{Type: "expire"},
	}}}
	b, err := json.Marshal(policy)
	if err != nil {
		panic(err) // plain structs always marshal
	}
	return string(b)
}

// EnsureRepository makes sure repo exists in the registry at host: it calls
// DescribeRepositories and, on RepositoryNotFoundException and if
// opts.Create, CreateRepository (with scan on push and tag immutability as
// opts say), then PutLifecyclePolicy when opts.MaxImages > 0. It reports
// whether it created the repository. A repository that exists is left as it
// is; one that another process creates meanwhile counts as existing.
//
// Credentials come from the AWS SDK's default chain, the region from the
// host. Errors are *Error values that name the IAM action refused and say
// what to do.
func EnsureRepository(ctx context.Context, host Host, repo string, opts Options) (created bool, err error) {
	if err := opts.Validate(); err != nil {
		return false, &Error{Op: opDescribe, Registry: host.Name, Repository: repo, Err: err, input: true}
	}
	client, err := newClient(ctx, host)
	if err != nil {
		return false, translate(opDescribe, host, repo, ActionDescribeRepositories, err)
	}
	return ensure(ctx, client, host, repo, opts)
}

// ensure is EnsureRepository with a client.
func ensure(ctx context.Context, client *ecr.Client, host Host, repo string, opts Options) (bool, error) {
	_, err := client.DescribeRepositories(ctx, &ecr.DescribeRepositoriesInput{
		RegistryId:      &host.Account,
		RepositoryNames: []string{repo},
	})
	if err == nil {
		return false, nil
	}
	var notFound *types.RepositoryNotFoundException
	if !errors.As(err, &notFound) || !opts.Create {
		return false, translate(opDescribe, host, repo, ActionDescribeRepositories, err)
	}
	mutability := types.ImageTagMutabilityMutable
	if opts.ImmutableTags {
		mutability = types.ImageTagMutabilityImmutable
	}
	_, err = client.CreateRepository(ctx, &ecr.CreateRepositoryInput{
		RepositoryName:             &repo,
		RegistryId:                 &host.Account,
		ImageTagMutability:         mutability,
		ImageScanningConfiguration: &types.ImageScanningConfiguration{ScanOnPush: opts.ScanOnPush},
	})
	var exists *types.RepositoryAlreadyExistsException
	if errors.As(err, &exists) {
		return false, nil // created meanwhile by someone else: leave it as it is
	}
	if err != nil {
		return false, translate(opCreate, host, repo, ActionCreateRepository, err)
	}
	if opts.MaxImages > 0 {
		policy := LifecyclePolicy(opts.MaxImages)
		_, err = client.PutLifecyclePolicy(ctx, &ecr.PutLifecyclePolicyInput{
			RepositoryName:      &repo,
			RegistryId:          &host.Account,
			LifecyclePolicyText: &policy,
		})
		if err != nil {
			return true, translate(opLifecycle, host, repo, ActionPutLifecyclePolicy, err)
		}
	}
	return true, nil
}
