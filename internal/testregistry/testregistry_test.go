package testregistry

import (
	"testing"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

func TestPushAndCount(t *testing.T) {
	r, err := Start()
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	img, err := random.Image(1024, 2)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(r.Host + "/test/img:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	// two layers and a config
	if got := r.BlobUploads(); got != 3 {
		t.Errorf("first push: %d blob uploads, want 3", got)
	}
	r.Reset()
	if err := remote.Write(ref, img); err != nil {
		t.Fatal(err)
	}
	if got := r.BlobUploads(); got != 0 {
		t.Errorf("second push: %d blob uploads, want 0", got)
	}
	got, err := remote.Image(ref)
	if err != nil {
		t.Fatal(err)
	}
	want, _ := img.Digest()
	if d, _ := got.Digest(); d != want {
		t.Errorf("read back %s, want %s", d, want)
	}
}

func TestBasicAuth(t *testing.T) {
	r, err := Start(WithBasicAuth("ci", "s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	img, err := random.Image(10, 1)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(r.Host + "/private/img:1")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(ref, img); err == nil {
		t.Fatal("anonymous push succeeded, want 401")
	}
	auth := &authn.Basic{Username: "ci", Password: "s3cret"}
	if err := remote.Write(ref, img, remote.WithAuth(auth)); err != nil {
		t.Fatalf("push with credentials: %v", err)
	}
}
