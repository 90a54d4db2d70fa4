package ecr

import (
	"context"
	"errors"
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

// TestCallerAccountUnreachable is a network failure, not bad input: CI may
// retry it.
func TestCallerAccountUnreachable(t *testing.T) {
	t.Setenv("AWS_ENDPOINT_URL_STS", "http://127.0.0.1:1")
	t.Setenv("AWS_ACCESS_KEY_ID", "AKIAEXAMPLE")
	t.Setenv("AWS_SECRET_ACCESS_KEY", "secret")
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	t.Setenv("AWS_MAX_ATTEMPTS", "1")
	t.Setenv("HOME", t.TempDir())
	_, err := CallerAccount(context.Background(), "us-east-1")
	var in interface{ IsInput() bool }
	if err == nil || !errors.As(err, &in) || in.IsInput() {
		t.Errorf("error %v, want one that is not the input's fault", err)
	}
}
