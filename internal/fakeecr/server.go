package fakeecr

import (
	"crypto/rand"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/brefimg/brefimg/internal/sigv4check"
)

// The registry the fake serves.
const (
	// Account is the AWS account ID of the fake registry.
	Account = "123456789012"
	// Region is its region.
	Region = "us-east-1"
	// Host is its registry host name.
	Host = Account + ".dkr.ecr." + Region + ".amazonaws.com"
	// Principal is the IAM identity the fake's credentials belong to, as
	// access-denied messages name it.
	Principal = "arn:aws:iam::" + Account + ":user/brefimg-test"
	// DefaultTokenTTL is how long the tokens it issues last, as ECR's do.
	DefaultTokenTTL = 12 * time.Hour
)

// targetPrefix starts the X-Amz-Target header of every ECR API call.
const targetPrefix = "AmazonEC2ContainerRegistry_V20150921."

// repoName is ECR's repository name constraint.
var repoName = regexp.MustCompile(`^(?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*$`)

// Call is one ECR API call the fake served.
type Call struct {
	// Op is the operation, e.g. "CreateRepository".
	Op string
	// AccessKeyID signed the call ("" if it was not signed).
	AccessKeyID string
	// RegistryID is the registryId the call named, if any.
	RegistryID string
	// Repository is the repository the call named, if any.
	Repository string
	// Error is the __type of the error answered, "" on success.
	Error string
}

// Repository is a repository of the fake registry.
type Repository struct {
	Name            string
	Immutable       bool
	ScanOnPush      bool
	LifecyclePolicy string
}

// Server is a fake Amazon ECR control plane: the AWS JSON 1.1 API
// (X-Amz-Target AmazonEC2ContainerRegistry_V20150921.<Op>) on an httptest
// server, with GetAuthorizationToken, DescribeRepositories, CreateRepository
// and PutLifecyclePolicy, answering ECR's error shapes. It accepts only
// requests SigV4-signed with the credentials it was given, for Region and
// the "ecr" service. It is safe for concurrent use.
type Server struct {
	// URL is the endpoint, for AWS_ENDPOINT_URL_ECR.
	URL string

	server  *httptest.Server
	secrets map[string]string // access key ID -> secret key

	mu     sync.Mutex
	repos  map[string]*Repository
	tokens map[string]time.Time // password -> expiry
	issued []string             // every password and authorizationToken issued
	ttl    time.Duration
	denied map[string]bool // IAM actions refused
	calls  []Call
}

// NewServer starts a fake ECR API that accepts the given credentials.
func NewServer(accessKeyID, secretAccessKey string) *Server {
	s := &Server{
		secrets: map[string]string{accessKeyID: secretAccessKey},
		repos:   map[string]*Repository{},
		tokens:  map[string]time.Time{},
		ttl:     DefaultTokenTTL,
		denied:  map[string]bool{},
	}
	s.server = httptest.NewServer(s)
	s.URL = s.server.URL
	return s
}

// Close stops the server.
func (s *Server) Close() { s.server.Close() }

// Deny makes the fake refuse these IAM actions (e.g. "ecr:CreateRepository",
// or data-plane ones such as "ecr:InitiateLayerUpload", which the registry
// front checks) with AccessDeniedException / DENIED, as AWS does.
func (s *Server) Deny(actions ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	for _, a := range actions {
		s.denied[a] = true
	}
}

// AllowAll lifts every Deny.
func (s *Server) AllowAll() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.denied = map[string]bool{}
}

func (s *Server) isDenied(action string) bool {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.denied[action]
}

// SetTokenTTL sets how long the tokens issued from now on last.
func (s *Server) SetTokenTTL(d time.Duration) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ttl = d
}

// AddRepository creates a repository as if someone had created it before.
func (s *Server) AddRepository(r Repository) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.repos[r.Name] = &r
}

// Repository returns a repository of the fake registry.
func (s *Server) Repository(name string) (Repository, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.repos[name]
	if !ok {
		return Repository{}, false
	}
	return *r, true
}

// Calls returns every API call served so far.
func (s *Server) Calls() []Call {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.calls)
}

// Count returns how many calls of op were served (failed ones included).
func (s *Server) Count(op string) int {
	n := 0
	for _, c := range s.Calls() {
		if c.Op == op {
			n++
		}
	}
	return n
}

// IssueToken issues a registry password, as `aws ecr get-login-password`
// prints one (to be used with the user name AWS).
func (s *Server) IssueToken() string {
	password, _ := s.issue()
	return password
}

// issue makes a password and its authorizationToken.
func (s *Server) issue() (password string, expires time.Time) {
	b := make([]byte, 32)
	_, _ = rand.Read(b)
	password = "eyJ" + hex.EncodeToString(b)
	s.mu.Lock()
	defer s.mu.Unlock()
	expires = time.Now().Add(s.ttl)
	s.tokens[password] = expires
	s.issued = append(s.issued, password, base64.StdEncoding.EncodeToString([]byte("AWS:"+password)))
	return password, expires
}

// Issued returns every password and authorizationToken issued so far: none
// of them may appear in anything the product prints or writes.
func (s *Server) Issued() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return slices.Clone(s.issued)
}

// checkPassword reports whether password was issued and whether it expired.
func (s *Server) checkPassword(password string) (known, expired bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	exp, ok := s.tokens[password]
	return ok, ok && !time.Now().Before(exp)
}

// AccessDenied is the message AWS gives when Principal may not do action
// (e.g. "ecr:CreateRepository") on resource (an ARN).
func AccessDenied(action, resource string) string {
	return fmt.Sprintf("User: %s is not authorized to perform: %s on resource: %s because no identity-based policy allows the %s action",
		Principal, action, resource, action)
}

// repositoryARN is the ARN of a repository of the fake registry.
func repositoryARN(name string) string {
	return "arn:aws:ecr:" + Region + ":" + Account + ":repository/" + name
}

func notFound(name string) string {
	return fmt.Sprintf("The repository with name '%s' does not exist in the registry with id '%s'", name, Account)
}

// request is the union of the fields of the operations served.
type request struct {
	RegistryID                 string   `json:"registryId"`
	RegistryIDs                []string `json:"registryIds"`
	RepositoryName             string   `json:"repositoryName"`
	RepositoryNames            []string `json:"repositoryNames"`
	ImageTagMutability         string   `json:"imageTagMutability"`
	ImageScanningConfiguration *struct {
		ScanOnPush bool `json:"scanOnPush"`
	} `json:"imageScanningConfiguration"`
	LifecyclePolicyText string `json:"lifecyclePolicyText"`
}

// apiError is an error answer: __type and message.
type apiError struct {
	Type, Message string
}

// ServeHTTP serves the ECR API.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	op, ok := strings.CutPrefix(r.Header.Get("X-Amz-Target"), targetPrefix)
	call := Call{Op: op}
	var req request
	if ok && len(body) > 0 {
		if err := json.Unmarshal(body, &req); err != nil {
			s.answer(w, call, nil, &apiError{"SerializationException", "Could not parse the request body"})
			return
		}
	}
	call.RegistryID, call.Repository = req.RegistryID, req.RepositoryName
	if call.Repository == "" && len(req.RepositoryNames) > 0 {
		call.Repository = strings.Join(req.RepositoryNames, ",")
	}
	if r.Method != http.MethodPost || !ok {
		s.answer(w, call, nil, &apiError{"UnknownOperationException", ""})
		return
	}
	keyID, authErr := sigv4check.Verify(r, body, s.secrets, Region, "ecr")
	call.AccessKeyID = keyID
	if authErr != nil {
		s.answer(w, call, nil, &apiError{authErr.Code, authErr.Message})
		return
	}
	resource := "*"
	if req.RepositoryName != "" {
		resource = repositoryARN(req.RepositoryName)
	} else if len(req.RepositoryNames) == 1 {
		resource = repositoryARN(req.RepositoryNames[0])
	}
	if s.isDenied("ecr:" + op) {
		s.answer(w, call, nil, &apiError{"AccessDeniedException", AccessDenied("ecr:"+op, resource)})
		return
	}
	var out any
	var aerr *apiError
	switch op {
	case "GetAuthorizationToken":
		out = s.getAuthorizationToken(req)
	case "DescribeRepositories":
		out, aerr = s.describeRepositories(req)
	case "CreateRepository":
		out, aerr = s.createRepository(req)
	case "PutLifecyclePolicy":
		out, aerr = s.putLifecyclePolicy(req)
	default:
		aerr = &apiError{"UnknownOperationException", ""}
	}
	s.answer(w, call, out, aerr)
}

// answer records the call and writes out, or the error as AWS JSON 1.1 does.
func (s *Server) answer(w http.ResponseWriter, call Call, out any, aerr *apiError) {
	w.Header().Set("Content-Type", "application/x-amz-json-1.1")
	w.Header().Set("X-Amzn-Requestid", "fakeecr-request")
	status := http.StatusOK
	if aerr != nil {
		call.Error = aerr.Type
		status = http.StatusBadRequest
		out = map[string]string{"__type": aerr.Type, "message": aerr.Message}
	}
	s.mu.Lock()
	s.calls = append(s.calls, call)
	s.mu.Unlock()
	b, _ := json.Marshal(out)
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

type authorizationData struct {
	AuthorizationToken string  `json:"authorizationToken"`
	ExpiresAt          float64 `json:"expiresAt"`
	ProxyEndpoint      string  `json:"proxyEndpoint"`
}

func (s *Server) getAuthorizationToken(req request) any {
	ids := req.RegistryIDs
	if len(ids) == 0 {
		ids = []string{Account}
	}
	data := make([]authorizationData, 0, len(ids))
	for _, id := range ids {
		password, expires := s.issue()
		data = append(data, authorizationData{
			AuthorizationToken: base64.StdEncoding.EncodeToString([]byte("AWS:" + password)),
			ExpiresAt:          float64(expires.UnixMilli()) / 1000,
			ProxyEndpoint:      "https://" + id + ".dkr.ecr." + Region + ".amazonaws.com",
		})
	}
	return map[string]any{"authorizationData": data}
}

// repositoryJSON renders a repository as DescribeRepositories does.
func repositoryJSON(r *Repository) map[string]any {
	mutability := "MUTABLE"
	if r.Immutable {
		mutability = "IMMUTABLE"
	}
	return map[string]any{
		"repositoryArn":              repositoryARN(r.Name),
		"registryId":                 Account,
		"repositoryName":             r.Name,
		"repositoryUri":              Host + "/" + r.Name,
		"imageTagMutability":         mutability,
		"imageScanningConfiguration": map[string]bool{"scanOnPush": r.ScanOnPush},
		"encryptionConfiguration":    map[string]string{"encryptionType": "AES256"},
	}
}

func (s *Server) describeRepositories(req request) (any, *apiError) {
	s.mu.Lock()
	defer s.mu.Unlock()
	names := req.RepositoryNames
	if len(names) == 0 {
		for n := range s.repos {
			names = append(names, n)
		}
		slices.Sort(names)
	}
	out := make([]map[string]any, 0, len(names))
	for _, n := range names {
		r, ok := s.repos[n]
		if !ok {
			return nil, &apiError{"RepositoryNotFoundException", notFound(n)}
		}
		out = append(out, repositoryJSON(r))
	}
	return map[string]any{"repositories": out}, nil
}

func (s *Server) createRepository(req request) (any, *apiError) {
	n := req.RepositoryName
	if len(n) < 2 || len(n) > 256 || !repoName.MatchString(n) {
		return nil, &apiError{"InvalidParameterException", fmt.Sprintf("Invalid parameter at 'repositoryName' failed to satisfy constraint: "+
			"'must satisfy regular expression '%s''", strings.Trim(repoName.String(), "^$"))}
	}
	if req.ImageTagMutability != "" && req.ImageTagMutability != "MUTABLE" && req.ImageTagMutability != "IMMUTABLE" {
		return nil, &apiError{"InvalidParameterException", "Invalid parameter at 'imageTagMutability'"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.repos[n]; ok {
		return nil, &apiError{"RepositoryAlreadyExistsException",
			fmt.Sprintf("The repository with name '%s' already exists in the registry with id '%s'", n, Account)}
	}
	r := &Repository{Name: n, Immutable: req.ImageTagMutability == "IMMUTABLE"}
	if req.ImageScanningConfiguration != nil {
		r.ScanOnPush = req.ImageScanningConfiguration.ScanOnPush
	}
	s.repos[n] = r
	return map[string]any{"repository": repositoryJSON(r)}, nil
}

func (s *Server) putLifecyclePolicy(req request) (any, *apiError) {
	var policy struct {
		Rules []json.RawMessage `json:"rules"`
	}
	if err := json.Unmarshal([]byte(req.LifecyclePolicyText), &policy); err != nil || len(policy.Rules) == 0 {
		return nil, &apiError{"InvalidParameterException", "Invalid parameter at 'LifecyclePolicyText' failed to satisfy constraint: " +
			"'Lifecycle policy validation failure: the policy is not a JSON object with rules'"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.repos[req.RepositoryName]
	if !ok {
		return nil, &apiError{"RepositoryNotFoundException", notFound(req.RepositoryName)}
	}
	r.LifecyclePolicy = req.LifecyclePolicyText
	return map[string]string{"registryId": Account, "repositoryName": r.Name, "lifecyclePolicyText": r.LifecyclePolicy}, nil
}
