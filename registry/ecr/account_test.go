package ecr

import (
	"context"
	"testing"

	"github.com/brefimg/brefimg/internal/fakeecr"
	"github.com/brefimg/brefimg/internal/fakelambda"
)

// TestCallerAccount asks the fake STS, through AWS_ENDPOINT_URL_STS as a
// user would point the SDK at an endpoint.
func TestCallerAccount(t *testing.T) {
	s := fakelambda.Start(t, fakelambda.Options{})
	for k, v := range s.Vars() {
		t.Setenv(k, v)
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("HOME", t.TempDir())
	account, err := CallerAccount(context.Background(), s.Region)
	if err != nil || account != fakeecr.Account {
		t.Fatalf("account %q, %v; want %s", account, err, fakeecr.Account)
	}
	if s.Count("GetCallerIdentity") != 1 {
		t.Errorf("calls %+v", s.Calls())
	}
}
