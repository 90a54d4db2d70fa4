package main

import (
	"io"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/sirupsen/logrus"
)

func TestRegistryCountsAndResets(t *testing.T) {
	logrus.SetOutput(io.Discard)
	r, err := startRegistry(filepath.Join(t.TempDir(), "target"))
	if err != nil {
		t.Fatal(err)
	}
	defer r.close()
	img, err := random.Image(4096, 2)
	if err != nil {
		t.Fatal(err)
	}
	ref, err := name.ParseReference(r.host + "/bench/x:1")
	if err != nil {
		t.Fatal(err)
	}
	push := func() {
		t.Helper()
		if err := remote.Write(ref, img); err != nil {
			t.Fatal(err)
		}
	}
	push()
	if got := r.uploads.Load(); got != 3 {
		t.Errorf("first push: %d uploads, want 3 (2 layers, config)", got)
	}
	if r.uploadBytes.Load() < 2*4096 {
		t.Errorf("first push: %d bytes uploaded, want at least the layers", r.uploadBytes.Load())
	}
	r.mark()
	push()
	if got := r.uploads.Load(); got != 0 {
		t.Errorf("second push: %d uploads, want 0", got)
	}
	if _, err := remote.Image(ref); err != nil {
		t.Fatal(err)
	}
	if err := r.reset(); err != nil {
		t.Fatal(err)
	}
	if _, err := remote.Head(ref); err == nil {
		t.Error("the image is still there after reset")
	}
	push()
	if got := r.uploads.Load(); got != 3 {
		t.Errorf("push after reset: %d uploads, want 3", got)
	}
}
