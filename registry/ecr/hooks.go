package ecr

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"regexp"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"

	"github.com/brefimg/brefimg/registry"
)

// DefaultJobs is the number of blobs to push to ECR in parallel. It is
// lower than registry.DefaultJobs because ECR has answered too many parallel
// uploads with connection resets (dotnet/sdk-container-builds#279); a
// Lambda image has a few large layers, and three streams keep a CI runner's
// uplink busy.
const DefaultJobs = 3

// retryBackoff is how pushes to ECR retry: 5 attempts, waiting 1s, 2s, 4s
// and 8s (go-containerregistry's default is 3 attempts over 4s).
var retryBackoff = remote.Backoff{Duration: time.Second, Factor: 2, Jitter: 0.1, Steps: 5}

// Repository is an ECR repository that a push went to.
type Repository struct {
	// Registry is the registry host.
	Registry string `json:"registry"`
	// Name is the repository name, e.g. "serverless-app-dev".
	Name string `json:"repository"`
	// Account is the AWS account ID of the registry.
	Account string `json:"account"`
	// Region is the AWS region of the registry.
	Region string `json:"region"`
	// Created is true if brefimg created the repository.
	Created bool `json:"created"`
}

// Repositories makes pushes to ECR work out of the box: through its Hooks it
// creates missing repositories before the push (per Options), retries more
// patiently, and explains ECR's refusals. It remembers every ECR repository
// pushed to, and checks each one once per run. It is safe for concurrent use.
type Repositories struct {
	opts Options

	mu      sync.Mutex
	clients map[string]*ecr.Client // by host name
	done    map[string]*Repository // by host/repository
	order   []string
}

// NewRepositories returns Repositories that ensure repositories as opts say.
func NewRepositories(opts Options) (*Repositories, error) {
	if err := opts.Validate(); err != nil {
		return nil, err
	}
	return &Repositories{opts: opts, clients: map[string]*ecr.Client{}, done: map[string]*Repository{}}, nil
}

// Hooks returns the registry.Client hooks (registry.WithHooks) that make
// pushes to ECR hosts go through r; other hosts are left alone.
func (r *Repositories) Hooks() registry.Hooks {
	return registry.Hooks{BeforePush: r.Ensure, Explain: explain, RemoteOptions: remoteOptions}
}

// Ensure runs EnsureRepository for target's repository if target is on an
// ECR host, once per repository; with Options.Create false it only records
// the repository and leaves the ECR API alone, so a push needs no more than
// push permissions.
func (r *Repositories) Ensure(ctx context.Context, target name.Reference) error {
	host, ok := ParseHost(target.Context().RegistryStr())
	if !ok {
		return nil
	}
	repo := target.Context().RepositoryStr()
	key := host.Name + "/" + repo
	r.mu.Lock()
	defer r.mu.Unlock()
	if _, ok := r.done[key]; ok {
		return nil
	}
	rec := &Repository{Registry: host.Name, Name: repo, Account: host.Account, Region: host.Region}
	if r.opts.Create {
		client, ok := r.clients[host.Name]
		if !ok {
			c, err := newClient(ctx, host)
			if err != nil {
				return translate(opDescribe, host, repo, ActionDescribeRepositories, err)
			}
			client = c
			r.clients[host.Name] = c
		}
		created, err := ensure(ctx, client, host, repo, r.opts)
		rec.Created = created
		if err != nil {
			if created {
				r.record(key, rec) // it exists now, even though its policy failed
			}
			return err
		}
	}
	r.record(key, rec)
	return nil
}

func (r *Repositories) record(key string, rec *Repository) {
	r.done[key] = rec
	r.order = append(r.order, key)
}

// List returns the ECR repositories pushed to so far, in order.
func (r *Repositories) List() []Repository {
	r.mu.Lock()
	defer r.mu.Unlock()
	out := make([]Repository, 0, len(r.order))
	for _, k := range r.order {
		out = append(out, *r.done[k])
	}
	return out
}

// remoteOptions makes go-containerregistry retry pushes to ECR hosts longer
// and on more failures (see retryable).
func remoteOptions(ref name.Reference) []remote.Option {
	if _, ok := ParseHost(ref.Context().RegistryStr()); !ok {
		return nil
	}
	return []remote.Option{remote.WithRetryBackoff(retryBackoff), remote.WithRetryPredicate(registry.Retryable)}
}

// iamAction finds an IAM action named in an ECR message.
var iamAction = regexp.MustCompile(`\becr:[A-Za-z]+\b`)

// explain turns ECR's registry answers into errors the user can act on; it
// returns nil for hosts that are not ECR and answers it has nothing to add to.
func explain(ref name.Reference, err error) error {
	host, ok := ParseHost(ref.Context().RegistryStr())
	if !ok {
		return nil
	}
	var own *Error
	if errors.As(err, &own) {
		return nil // a token error, already explained
	}
	repo := ref.Context().RepositoryStr()
	var terr *transport.Error
	if !errors.As(err, &terr) {
		if registry.ConnectionLost(err) {
			return &explanation{cause: err, msg: fmt.Sprintf("%v: ECR kept closing the connection; it also does this when repository %s "+
				"does not exist, so check that it does (or drop --create-repo=false)", err, repo)}
		}
		return nil
	}
	said := diagnostics(terr)
	switch {
	case hasCode(terr, "TAG_INVALID"):
		if tag, ok := ref.(name.Tag); ok && strings.Contains(strings.ToLower(said), "immutable") {
			return &explanation{cause: err, input: true,
				msg: fmt.Sprintf("tag %s already exists in immutable repository %s: push a new tag", tag.TagStr(), repo)}
		}
		return &explanation{cause: err, input: true, msg: fmt.Sprintf("ECR refused the tag (%s)", said)}
	case hasCode(terr, "NAME_UNKNOWN") || hasCode(terr, "REPOSITORY_UNKNOWN"):
		return &explanation{cause: err, input: true,
			msg: fmt.Sprintf("repository %s does not exist in %s (%s): let brefimg create it (drop --create-repo=false) "+
				"or create it with aws ecr create-repository --repository-name %s --region %s", repo, host.Name, said, repo, host.Region)}
	case terr.StatusCode == http.StatusForbidden && strings.Contains(strings.ToLower(said), "expired"):
		return &explanation{cause: err, input: true,
			msg: fmt.Sprintf("ECR says the authorization token has expired (%s): if it came from docker login, log in again "+
				"or run docker logout %s so brefimg gets a fresh one with your AWS credentials", said, host.Name)}
	case terr.StatusCode == http.StatusForbidden:
		action := iamAction.FindString(said)
		if action == "" && terr.Request != nil {
			action = dataPlaneAction(terr.Request.Method, terr.Request.URL.Path)
		}
		if action == "" {
			action = "the request"
		}
		return &explanation{cause: err, input: true,
			msg: fmt.Sprintf("ECR refused %s on repository %s: allow %s on %s in the IAM policy of the identity brefimg runs as (ECR said: %s)",
				action, repo, action, host.repositoryARN(repo), said)}
	case terr.StatusCode == http.StatusUnauthorized:
		return &explanation{cause: err, input: true,
			msg: fmt.Sprintf("ECR did not accept the credentials (%s): if your docker config has credentials for %s (docker login), "+
				"they may be stale: log in again or run docker logout %s so brefimg gets a token with your AWS credentials", said, host.Name, host.Name)}
	}
	return nil
}

// diagnostics renders a registry error's codes and messages, or its status.
func diagnostics(t *transport.Error) string {
	if len(t.Errors) == 0 {
		return fmt.Sprintf("%d %s", t.StatusCode, http.StatusText(t.StatusCode))
	}
	parts := make([]string, 0, len(t.Errors))
	for _, d := range t.Errors {
		parts = append(parts, fmt.Sprintf("%s: %s", d.Code, d.Message))
	}
	return strings.Join(parts, "; ")
}

func hasCode(t *transport.Error, code transport.ErrorCode) bool {
	for _, d := range t.Errors {
		if d.Code == code {
			return true
		}
	}
	return false
}

// dataPlaneAction names the IAM action ECR checks for a registry request.
func dataPlaneAction(method, path string) string {
	switch {
	case strings.Contains(path, "/blobs/uploads/"):
		switch method {
		case http.MethodPost:
			return "ecr:InitiateLayerUpload"
		case http.MethodPatch:
			return "ecr:UploadLayerPart"
		case http.MethodPut:
			return "ecr:CompleteLayerUpload"
		}
	case strings.Contains(path, "/blobs/"):
		switch method {
		case http.MethodHead:
			return "ecr:BatchCheckLayerAvailability"
		case http.MethodGet:
			return "ecr:GetDownloadUrlForLayer"
		}
	case strings.Contains(path, "/manifests/"):
		switch method {
		case http.MethodPut:
			return "ecr:PutImage"
		case http.MethodGet, http.MethodHead:
			return "ecr:BatchGetImage"
		case http.MethodDelete:
			return "ecr:BatchDeleteImage"
		}
	case strings.HasSuffix(path, "/tags/list"):
		return "ecr:ListImages"
	}
	return ""
}
