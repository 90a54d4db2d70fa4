package fakelambda

import (
	"crypto/rand"
	"fmt"
	"net/http/httptest"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/brefimg/brefimg/internal/fakeecr"
)

// DefaultPollsUntilDone is how many GetFunction / GetFunctionConfiguration
// polls answer "InProgress" after an UpdateFunctionCode before the update
// ends, unless PollsUntilDone says otherwise.
const DefaultPollsUntilDone = 1

// Options configure a Server.
type Options struct {
	// AccessKeyID and SecretAccessKey are the only credentials the fakes
	// accept; fresh random ones when AccessKeyID is empty. Give the fake ECR's
	// (fakeecr.Env) to run both with one environment.
	AccessKeyID, SecretAccessKey string
	// Region is the region of the endpoints and of every function, which
	// requests must be signed for; fakeecr.Region when empty.
	Region string
}

// Call is one API call a fake served.
type Call struct {
	// Op is the operation, e.g. "UpdateFunctionCode" or "GetCallerIdentity".
	Op string
	// AccessKeyID signed the call ("" if no signature could be read).
	AccessKeyID string
	// Function is the name of the function the call named (from a name or an
	// ARN), "" if none.
	Function string
	// Qualifier is the version or alias the call named, if any.
	Qualifier string
	// Error is the error code answered, "" on success.
	Error string
}

// Server is a fake AWS Lambda API and a fake AWS STS, each on its own
// httptest server. They accept only requests SigV4-signed with the
// credentials the Server was given, for its Region and the "lambda" or "sts"
// service. It is safe for concurrent use.
type Server struct {
	// URL is the Lambda endpoint, for AWS_ENDPOINT_URL_LAMBDA.
	URL string
	// STSURL is the STS endpoint, for AWS_ENDPOINT_URL_STS.
	STSURL string
	// Region is the region of the endpoints and of the functions.
	Region string
	// AccessKeyID and SecretAccessKey are the credentials the fakes accept.
	AccessKeyID, SecretAccessKey string

	lambda, sts *httptest.Server
	secrets     map[string]string // access key ID -> secret key

	mu        sync.Mutex
	functions map[string]*function
	digests   map[string]string // tagged image URI -> manifest digest
	polls     int               // PollsUntilDone
	denied    map[string]bool   // IAM actions refused
	calls     []Call
}

// NewServer starts a fake Lambda API and a fake STS. Close it when done.
func NewServer(o Options) *Server {
	if o.AccessKeyID == "" {
		o.AccessKeyID = "AKIA" + strings.ToUpper(rand.Text())[:16]
		o.SecretAccessKey = rand.Text() + rand.Text()[:14]
	}
	if o.Region == "" {
		o.Region = fakeecr.Region
	}
	s := &Server{
		Region:          o.Region,
		AccessKeyID:     o.AccessKeyID,
		SecretAccessKey: o.SecretAccessKey,
		secrets:         map[string]string{o.AccessKeyID: o.SecretAccessKey},
		functions:       map[string]*function{},
		digests:         map[string]string{},
		polls:           DefaultPollsUntilDone,
		denied:          map[string]bool{},
	}
	s.lambda = httptest.NewServer(s.lambdaRoutes())
	s.URL = s.lambda.URL
	s.sts = httptest.NewServer(s.stsHandler())
	s.STSURL = s.sts.URL
	return s
}

// Start starts the fakes for the test and closes them when the test ends.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := NewServer(o)
	t.Cleanup(s.Close)
	return s
}

// Close stops both servers.
func (s *Server) Close() {
	s.lambda.Close()
	s.sts.Close()
}

// Vars returns the environment of a user whose only AWS setup is the fake's
// credentials and region, with the Lambda and STS endpoints pointing at the
// fakes: AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL_STS, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY and AWS_REGION. With the fake ECR's credentials
// (Options), they merge with fakeecr.Env.Vars without conflict.
func (s *Server) Vars() map[string]string {
	return map[string]string{
		"AWS_ENDPOINT_URL_LAMBDA": s.URL,
		"AWS_ENDPOINT_URL_STS":    s.STSURL,
		"AWS_ACCESS_KEY_ID":       s.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY":   s.SecretAccessKey,
		"AWS_REGION":              s.Region,
	}
}

// Deny makes the fake refuse these IAM actions (e.g.
// "lambda:UpdateFunctionCode") with AccessDeniedException, as AWS does.
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

// PollsUntilDone sets how many GetFunction / GetFunctionConfiguration polls
// of a function answer "InProgress" after an UpdateFunctionCode before the
// update ends, for the updates started from now on (0: the first poll sees
// the update done).
func (s *Server) PollsUntilDone(n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.polls = max(n, 0)
}

// SetImageDigest makes a tagged image URI (e.g.
// "123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1") resolve to the
// manifest digest ("sha256:…"), as ECR tells Lambda. UpdateFunctionCode
// refuses a tag that was not set so; an image URI with a digest needs none.
func (s *Server) SetImageDigest(imageURI, digest string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.digests[imageURI] = digest
}

// Calls returns every call served so far, Lambda's and STS's.
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

// record adds a call; s.mu must be held.
func (s *Server) record(c Call) { s.calls = append(s.calls, c) }

// newUUID returns a random UUID, as Lambda's RevisionIds and AWS's request
// IDs are.
func newUUID() string {
	b := make([]byte, 16)
	_, _ = rand.Read(b)
	b[6], b[8] = b[6]&0x0f|0x40, b[8]&0x3f|0x80 // version 4, RFC 4122 variant
	return fmt.Sprintf("%x-%x-%x-%x-%x", b[0:4], b[4:6], b[6:8], b[8:10], b[10:16])
}
