// Command demo shows brefimg end to end with no network: it starts the
// distribution registry in-process, seeds it with Bref-like fixture images,
// runs the real brefimg binary on an app directory with --mirror pointing at
// that registry, and prints what was pushed, read back from the registry.
package main

import (
	"context"
	"flag"
	"fmt"
	"os"
	"os/exec"
	"sort"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/internal/testregistry"
)

func main() {
	bin := flag.String("brefimg", "bin/brefimg", "the brefimg binary to run")
	flag.Parse()
	app := "testdata/app"
	if flag.NArg() > 0 {
		app = flag.Arg(0)
	}
	if err := demo(*bin, app); err != nil {
		fmt.Fprintln(os.Stderr, "demo:", err)
		os.Exit(1)
	}
}

func demo(bin, app string) error {
	ctx := context.Background()
	reg, err := testregistry.Start()
	if err != nil {
		return err
	}
	defer reg.Close()
	if err := fixtures.Seed(ctx, reg.Host); err != nil {
		return fmt.Errorf("seeding the registry: %w", err)
	}
	fmt.Printf("registry %s seeded with Bref-like images (bref/php-80-fpm:1, bref/extra-redis-php-80:0.12, …)\n\n", reg.Host)

	target := reg.Host + "/serverless-hello-dev:demo"
	args := []string{"build", "--bref", "1", "--php", "8.0", "--ext", "redis,gmp",
		"--mirror", reg.Host, "--source-date-epoch", "1700000000", "-t", target, app}
	fmt.Printf("$ brefimg %s\n", strings.Join(args, " "))
	cmd := exec.Command(bin, args...)
	cmd.Stderr = os.Stderr
	out, err := cmd.Output()
	if err != nil {
		return fmt.Errorf("brefimg build: %w", err)
	}
	fmt.Print(string(out))
	digestRef := strings.TrimSpace(string(out))

	ref, err := name.ParseReference(digestRef)
	if err != nil {
		return fmt.Errorf("brefimg printed %q, not a digest reference: %w", digestRef, err)
	}
	img, err := remote.Image(ref, remote.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("reading back %s: %w", ref, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return err
	}
	fmt.Printf("\nRead back from the registry: %s (%s, %s/%s)\n", ref, m.MediaType, cf.OS, cf.Architecture)
	fmt.Printf("  Entrypoint %q  Cmd %q  WorkingDir %q\n", cf.Config.Entrypoint, cf.Config.Cmd, cf.Config.WorkingDir)
	fmt.Println("  Layers:")
	hist := nonEmpty(cf.History)
	for i, l := range m.Layers {
		by := ""
		if i < len(hist) {
			by = hist[i]
		}
		fmt.Printf("    %s %8d B  %s\n", l.Digest.String()[:19], l.Size, by)
	}
	tree, err := fixtures.FileTree(img)
	if err != nil {
		return fmt.Errorf("reading the pushed image's files: %w", err)
	}
	var paths []string
	for rel := range tree {
		p := "/" + rel
		if strings.HasPrefix(p, "/opt/bref-extra") || strings.HasPrefix(p, "/opt/bref/etc/php/conf.d/ext-") ||
			strings.HasPrefix(p, "/opt/bref/lib64/libgmp") || strings.HasPrefix(p, "/var/task") {
			paths = append(paths, p)
		}
	}
	sort.Strings(paths)
	fmt.Println("  Files added by the extensions and the app:")
	for _, p := range paths {
		f := tree[strings.TrimPrefix(p, "/")]
		extra := ""
		if f.Linkname != "" {
			extra = " -> " + f.Linkname
		}
		fmt.Printf("    %s %04o %d:%d %s%s\n", typeName(f.Type), f.Mode, f.UID, f.GID, p, extra)
	}
	return nil
}

func typeName(t byte) string {
	switch t {
	case '5':
		return "dir "
	case '2':
		return "link"
	}
	return "file"
}

func nonEmpty(h []v1.History) []string {
	var out []string
	for _, e := range h {
		if !e.EmptyLayer {
			out = append(out, e.CreatedBy)
		}
	}
	return out
}
