package benchfix

import (
	"context"
	"os"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/internal/testregistry"
)

func TestSeedShell(t *testing.T) {
	if _, err := os.Stat(fixtures.BusyboxPath); err != nil {
		t.Skipf("no %s (apt-get install busybox-static): %v", fixtures.BusyboxPath, err)
	}
	reg, err := testregistry.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	ctx := context.Background()
	// The base at 1/2000 of its size, under its real name.
	base, err := buildBase(baseLayers(2000))
	if err != nil {
		t.Fatal(err)
	}
	push := func(ref string) {
		t.Helper()
		img := base
		if ref != BaseRef {
			if img, err = Image(ref); err != nil {
				t.Fatal(err)
			}
		}
		if err := remote.Write(mustRef(t, reg.Host+"/"+ref), img, remote.WithContext(ctx)); err != nil {
			t.Fatal(err)
		}
	}
	for _, ref := range Refs {
		push(ref)
	}
	if _, err := SeedShell(ctx, reg.Host, ""); err == nil {
		t.Error("SeedShell with an empty prefix succeeded, want an error")
	}
	digests, err := SeedShell(ctx, reg.Host, ShellPrefix)
	if err != nil {
		t.Fatal(err)
	}
	again, err := SeedShell(ctx, reg.Host, ShellPrefix)
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range Refs {
		plain, err := remote.Head(mustRef(t, reg.Host+"/"+ref), remote.WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		shell, err := remote.Image(mustRef(t, reg.Host+"/"+ShellPrefix+"/"+ref), remote.WithContext(ctx))
		if err != nil {
			t.Fatal(err)
		}
		d, _ := shell.Digest()
		if d.String() != digests[ref] || again[ref] != digests[ref] {
			t.Errorf("%s: pushed %s, SeedShell said %s, then %s", ref, d, digests[ref], again[ref])
		}
		if ref != BaseRef {
			if d != plain.Digest {
				t.Errorf("%s: the shell copy is %s, want the image itself (%s)", ref, d, plain.Digest)
			}
			continue
		}
		if d == plain.Digest {
			t.Fatalf("%s: the shell copy is the plain image", ref)
		}
		ls, err := shell.Layers()
		if err != nil {
			t.Fatal(err)
		}
		bls, _ := base.Layers()
		if len(ls) != len(bls)+1 {
			t.Fatalf("%s with a shell: %d layers, want %d", ref, len(ls), len(bls)+1)
		}
		for i, l := range bls {
			want, _ := l.Digest()
			if got, _ := ls[i].Digest(); got != want {
				t.Errorf("%s with a shell: layer %d is %s, want the base's %s", ref, i, got, want)
			}
		}
		tree, err := fixtures.FileTree(shell)
		if err != nil {
			t.Fatal(err)
		}
		if f := tree["bin/sh"]; f.Linkname != "busybox" {
			t.Errorf("%s with a shell: /bin/sh links to %q, want busybox", ref, f.Linkname)
		}
		for _, p := range []string{"bin/busybox", "opt/bref/bin/php", "var/task"} {
			if _, ok := tree[p]; !ok {
				t.Errorf("%s with a shell: no /%s", ref, p)
			}
		}
	}
}

func mustRef(t *testing.T, s string) name.Reference {
	t.Helper()
	ref, err := name.ParseReference(s)
	if err != nil {
		t.Fatal(err)
	}
	return ref
}
