package dockerfile_test

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/brefimg/brefimg/builder"
	"github.com/brefimg/brefimg/checks"
	"github.com/brefimg/brefimg/dockerfile"
	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/internal/testregistry"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

var update = flag.Bool("update", false, "rewrite the want.* files of testdata/dockerfiles from this build (review every change by hand)")

// goldenEpoch is the SOURCE_DATE_EPOCH of every golden build (the one of
// the flag build's golden digest).
const goldenEpoch = 1700000000

// goldenCase holds the options of a case of testdata/dockerfiles that are
// not files: every directory there must have an entry.
type goldenCase struct {
	buildArgs []string
	platform  string
	target    string
}

var goldenCases = map[string]goldenCase{
	"seed":                  {},
	"seed-opt":              {},
	"bref-v2":               {},
	"bref-v3":               {},
	"dockerignore":          {},
	"chown-chmod":           {},
	"globs-slashes":         {},
	"symlinked-parents":     {},
	"multistage-scratch":    {},
	"scratch-final":         {},
	"args":                  {buildArgs: []string{"MODE=0644", "APP=demo"}},
	"heredoc":               {},
	"add-tar":               {},
	"link-parents-exclude":  {},
	"config":                {},
	"lambda-warnings":       {},
	"handler-missing":       {},
	"target-arm64":          {platform: "linux/arm64", target: "app"},
	"stage-of-image":        {},
	"refused-run":           {},
	"refused-onbuild":       {},
	"refused-add-url":       {},
	"refused-add-git":       {},
	"refused-onbuild-base":  {},
	"refused-run-all":       {},
	"refused-copy-parent":   {},
	"error-missing-source":  {},
	"error-several-sources": {},
	"error-dir-over-file":   {},
	"error-chown-unknown":   {},
}

// goldenRegistry is the real registry, seeded with the Bref fixtures and
// the images only these tests use.
func goldenRegistry(t *testing.T) (*testregistry.Registry, *registry.Client) {
	t.Helper()
	reg, err := testregistry.Start()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(reg.Close)
	ctx := context.Background()
	if err := fixtures.Seed(ctx, reg.Host); err != nil {
		t.Fatal(err)
	}
	extra := map[string]v1.Image{}
	// Docker Hub's untagged bref/php-80-fpm: :latest, here the Bref 1 image.
	if extra["bref/php-80-fpm:latest"], err = fixtures.Get("bref/php-80-fpm:1"); err != nil {
		t.Fatal(err)
	}
	extra["example/al2023:1"] = al2023Image(t)
	extra["example/tools:1"] = toolsImage(t)
	extra["example/onbuild:1"] = onbuildImage(t)
	for ref, img := range extra {
		tag, err := name.NewTag(reg.Host + "/" + ref)
		if err != nil {
			t.Fatal(err)
		}
		if err := remote.Write(tag, img, remote.WithContext(ctx)); err != nil {
			t.Fatal(err)
		}
	}
	client, err := registry.New(registry.WithMirror(reg.Host))
	if err != nil {
		t.Fatal(err)
	}
	return reg, client
}

// ent is an entry of a hand-made layer, with any owner.
type ent struct {
	name     string
	typ      byte
	mode     int64
	uid, gid int
	link     string
	data     string
}

func dir(name string, mode int64, uid, gid int) ent {
	return ent{name: name, typ: tar.TypeDir, mode: mode, uid: uid, gid: gid}
}

func file(name string, mode int64, uid, gid int, data string) ent {
	return ent{name: name, typ: tar.TypeReg, mode: mode, uid: uid, gid: gid, data: data}
}

func symlink(name, target string) ent {
	return ent{name: name, typ: tar.TypeSymlink, mode: 0o777, link: target}
}

// layerOf makes a gzip layer of mt holding ents in order.
func layerOf(t *testing.T, mt types.MediaType, ents ...ent) v1.Layer {
	t.Helper()
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, e := range ents {
		h := &tar.Header{Name: e.name, Typeflag: e.typ, Mode: e.mode, Uid: e.uid, Gid: e.gid, Linkname: e.link,
			Size: int64(len(e.data)), ModTime: fixtures.ModTime}
		if e.typ == tar.TypeDir {
			h.Name += "/"
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := io.WriteString(tw, e.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw.Bytes())
	zw.Close()
	blob := gz.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(blob)), nil }, tarball.WithMediaType(mt))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// imageOf makes an OCI linux image of arch with cfg and one layer per
// element of layers.
func imageOf(t *testing.T, arch string, cfg v1.Config, layers ...[]ent) v1.Image {
	t.Helper()
	img := mutate.MediaType(empty.Image, types.OCIManifestSchema1)
	img = mutate.ConfigMediaType(img, types.OCIConfigJSON)
	img, err := mutate.ConfigFile(img, &v1.ConfigFile{Architecture: arch, OS: "linux", Created: v1.Time{Time: fixtures.ModTime}, Config: cfg, RootFS: v1.RootFS{Type: "layers"}})
	if err != nil {
		t.Fatal(err)
	}
	for _, ents := range layers {
		img, err = mutate.Append(img, mutate.Addendum{Layer: layerOf(t, types.OCILayer, ents...), MediaType: types.OCILayer,
			History: v1.History{Created: v1.Time{Time: fixtures.ModTime}, CreatedBy: "fixture"}})
		if err != nil {
			t.Fatal(err)
		}
	}
	return img
}

// al2023Image is an Amazon Linux 2023-like Lambda base: /bin and /lib64
// are symbolic links into /usr, /srv belongs to a user, /etc/passwd and
// /etc/group name users and groups.
func al2023Image(t *testing.T) v1.Image {
	cfg := v1.Config{
		Entrypoint: []string{"/lambda-entrypoint.sh"},
		WorkingDir: "/var/task",
		Env:        append([]string(nil), fixtures.BaseEnv...),
	}
	return imageOf(t, "amd64", cfg, []ent{
		symlink("bin", "usr/bin"),
		dir("etc", 0o755, 0, 0),
		file("etc/group", 0o644, 0, 0, "root:x:0:\nwww-data:x:33:\nstaff:x:50:\nsbx_user1051:x:990:\n"),
		file("etc/passwd", 0o644, 0, 0, "root:x:0:0:root:/root:/bin/bash\nwww-data:x:33:33::/var/www:/sbin/nologin\nsbx_user1051:x:993:990::/home/sbx_user1051:/sbin/nologin\n"),
		file("lambda-entrypoint.sh", 0o755, 0, 0, "#!/bin/sh\nexec /opt/bootstrap\n"),
		symlink("lib64", "usr/lib64"),
		dir("opt", 0o755, 0, 0),
		dir("srv", 0o750, 1000, 1000),
		file("srv/data.txt", 0o640, 1000, 1000, "owned\n"),
		dir("tmp", 0o1777, 0, 0),
		dir("usr", 0o755, 0, 0),
		dir("usr/bin", 0o755, 0, 0),
		file("usr/bin/sh", 0o755, 0, 0, "\x7fELF sh\n"),
		dir("usr/lib64", 0o755, 0, 0),
		file("usr/lib64/ld-linux-x86-64.so.2", 0o755, 0, 0, "\x7fELF ld\n"),
		dir("var", 0o755, 0, 0),
		dir("var/task", 0o755, 0, 0),
	})
}

// toolsImage holds tools owned by a user, in two layers, for COPY --from.
func toolsImage(t *testing.T) v1.Image {
	return imageOf(t, "amd64", v1.Config{Env: fixtures.ScratchEnv},
		[]ent{
			dir("usr", 0o755, 0, 0), dir("usr/local", 0o755, 0, 0), dir("usr/local/bin", 0o755, 0, 0),
			file("usr/local/bin/composer", 0o755, 0, 0, "#!/usr/bin/env php\n<?php // composer\n"),
			dir("opt", 0o755, 0, 0), dir("opt/tools", 0o750, 1000, 1000),
			file("opt/tools/config.json", 0o600, 1000, 1000, "{\"secret\":true}\n"),
			symlink("opt/tools/current", "config.json"),
		},
		[]ent{
			dir("opt", 0o755, 0, 0), dir("opt/tools", 0o750, 1000, 1000),
			file("opt/tools/VERSION", 0o644, 1000, 1000, "2.8.1\n"),
		})
}

// onbuildImage is a base whose config holds ONBUILD triggers.
func onbuildImage(t *testing.T) v1.Image {
	return imageOf(t, "amd64", v1.Config{Env: fixtures.ScratchEnv, OnBuild: []string{"RUN composer install"}},
		[]ent{dir("app", 0o755, 0, 0)})
}

// golden is what a case produces. want.tree lists every entry of the image
// pushed and read back that the base image does not hold as it is (new or
// changed: path, type, mode, owner, size and sha256, or link target), and
// any entry of the base that is gone; mtimes are left out (every added
// entry has the epoch, reused blobs keep theirs). want.layers lists the
// added layers; want.config the config a Dockerfile sets; want.findings
// the findings but unpinned-refs; want.error the error, when there is one.
type golden struct {
	tree, layers, findings, config, err string
}

func TestGolden(t *testing.T) {
	reg, client := goldenRegistry(t)
	root := filepath.Join("..", "testdata", "dockerfiles")
	dirs, err := os.ReadDir(root)
	if err != nil {
		t.Fatal(err)
	}
	seen := map[string]bool{}
	for _, de := range dirs {
		if !de.IsDir() {
			continue
		}
		name := de.Name()
		seen[name] = true
		t.Run(name, func(t *testing.T) {
			tc, ok := goldenCases[name]
			if !ok {
				t.Fatalf("testdata/dockerfiles/%s has no entry in goldenCases", name)
			}
			dir := filepath.Join(root, name)
			got := runCase(t, reg, client, dir, tc)
			compareGolden(t, dir, "want.tree", got.tree)
			compareGolden(t, dir, "want.layers", got.layers)
			compareGolden(t, dir, "want.findings", got.findings)
			compareGolden(t, dir, "want.config", got.config)
			compareGolden(t, dir, "want.error", got.err)
		})
	}
	for name := range goldenCases {
		if !seen[name] {
			t.Errorf("goldenCases lists %s, which testdata/dockerfiles does not hold", name)
		}
	}
}

// runCase parses and builds one case, pushes the image to the registry
// and reads it back.
func runCase(t *testing.T, reg *testregistry.Registry, client *registry.Client, dir string, tc goldenCase) golden {
	ctx := context.Background()
	ctxDir := prepareContext(t, dir)
	df := filepath.Join(dir, "Dockerfile")
	clean := func(s string) string {
		s = strings.ReplaceAll(s, ctxDir, "<context>")
		s = strings.ReplaceAll(s, filepath.Dir(ctxDir), "<context>/..")
		s = strings.ReplaceAll(s, df, "Dockerfile")
		return strings.ReplaceAll(s, reg.Host, "<registry>")
	}
	f, err := os.Open(df)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	opts := []dockerfile.Option{dockerfile.WithContextDir(ctxDir), dockerfile.WithBuildArgs(tc.buildArgs...),
		dockerfile.WithImageConfigs(dockerfile.RegistryConfigs(ctx, client, nil))}
	if tc.platform != "" {
		opts = append(opts, dockerfile.WithPlatform(tc.platform))
	}
	if tc.target != "" {
		opts = append(opts, dockerfile.WithTarget(tc.target))
	}
	var g golden
	fail := func(err error) golden {
		var in *plan.InputError
		if !errors.As(err, &in) {
			t.Errorf("error %v is not a *plan.InputError (exit code 2)", err)
		}
		g.err = clean(err.Error()) + "\n"
		return g
	}
	pl, fs, err := dockerfile.Parse(f, df, opts...)
	if err != nil {
		return fail(err)
	}
	res, err := buildPlan(t, client, pl)
	if err != nil {
		return fail(err)
	}
	defer res.Close()
	cf, err := res.Image.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var lines []string
	all := slices.Concat(fs, res.Findings, checks.Build(ctx, pl, res, cf.Config))
	for _, fd := range all {
		if fd.ID == findings.IDUnpinned {
			continue // every build from tags has it; build's tests cover it
		}
		lines = append(lines, clean(findingLine(fd)))
	}
	if len(lines) > 0 {
		g.findings = strings.Join(lines, "\n") + "\n"
	}
	if len(findings.Errors(all)) > 0 {
		return g // the CLI stops here: nothing is pushed
	}
	tag, err := name.NewTag(reg.Host + "/golden/" + filepath.Base(dir) + ":1")
	if err != nil {
		t.Fatal(err)
	}
	pushed, err := client.Push(ctx, res.Image, []name.Reference{tag})
	if err != nil {
		t.Fatal(err)
	}
	img, err := remote.Image(pushed[0])
	if err != nil {
		t.Fatal(err)
	}
	checkLayers(t, img)
	var base v1.Image
	if pl.Base != plan.Scratch {
		ref, err := client.Source(res.Base.Ref + "@" + res.Base.Digest.String())
		if err != nil {
			t.Fatal(err)
		}
		if base, err = remote.Image(ref); err != nil {
			t.Fatal(err)
		}
	}
	g.tree = treeDiff(t, base, img)
	g.layers = addedLayers(t, res, img)
	g.config = configOf(t, img)
	return g
}

// addedLayers lists the layers the build added: whether it appended
// another image's blob as it is or made a new one, and the history text.
func addedLayers(t *testing.T, res *plan.Result, img v1.Image) string {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	var b strings.Builder
	for i, o := range res.Origins {
		if o.Kind == "base" {
			continue
		}
		how := "new"
		if o.Reused {
			how = "reused"
		}
		fmt.Fprintf(&b, "%s %s: %s\n", how, o.Kind, cf.History[i].CreatedBy)
	}
	return b.String()
}

func findingLine(f findings.Finding) string {
	where := f.Path
	if f.Line > 0 {
		where += ":" + strconv.Itoa(f.Line)
	}
	return fmt.Sprintf("%s %s %s: %s", f.Severity, f.ID, where, f.Message)
}

// checkLayers fails unless every layer is gzip and holds the parent
// directory of every entry before it (Lambda's MissingParentDirectory).
func checkLayers(t *testing.T, img v1.Image) {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	for i, l := range ls {
		mt, _ := l.MediaType()
		if mt != types.OCILayer && mt != types.DockerLayer {
			t.Errorf("layer %d has media type %s", i, mt)
		}
		files, err := fixtures.LayerEntries(l)
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{".": true}
		for _, f := range files {
			if parent := filepath.Dir(f.Path); !seen[parent] {
				t.Errorf("layer %d: %s comes without its parent directory %s", i, f.Path, parent)
			}
			if f.Type == tar.TypeDir {
				seen[f.Path] = true
			}
		}
	}
}

// treeDiff lists every entry of img's file tree that the base does not
// hold as it is (new or changed), one per line, and every entry of the
// base img lost.
func treeDiff(t *testing.T, base, img v1.Image) string {
	t.Helper()
	got, err := fixtures.FileTree(img)
	if err != nil {
		t.Fatal(err)
	}
	was := map[string]fixtures.File{}
	if base != nil {
		if was, err = fixtures.FileTree(base); err != nil {
			t.Fatal(err)
		}
	}
	paths := make([]string, 0, len(got))
	for p := range got {
		paths = append(paths, p)
	}
	for p := range was {
		if _, ok := got[p]; !ok {
			paths = append(paths, p)
		}
	}
	sort.Slice(paths, func(i, j int) bool {
		return slices.Compare(strings.Split(paths[i], "/"), strings.Split(paths[j], "/")) < 0
	})
	var b strings.Builder
	for _, p := range paths {
		f, ok := got[p]
		if !ok {
			fmt.Fprintf(&b, "/%s LOST\n", p)
			continue
		}
		if old, ok := was[p]; ok && old == f {
			continue
		}
		b.WriteString(entryLine(f) + "\n")
	}
	return b.String()
}

// entryLine describes a file: path, type, mode, owner, then size and
// sha256 for a file, or the target of a link.
func entryLine(f fixtures.File) string {
	kind := map[byte]string{tar.TypeReg: "file", tar.TypeDir: "dir", tar.TypeSymlink: "symlink", tar.TypeLink: "hardlink",
		tar.TypeChar: "char", tar.TypeBlock: "block", tar.TypeFifo: "fifo"}[f.Type]
	s := fmt.Sprintf("/%s %s %04o %d:%d", f.Path, kind, f.Mode, f.UID, f.GID)
	switch f.Type {
	case tar.TypeReg:
		sum := sha256.Sum256([]byte(f.Content))
		s += fmt.Sprintf(" %d sha256:%s", len(f.Content), hex.EncodeToString(sum[:]))
	case tar.TypeSymlink:
		s += " -> " + f.Linkname
	case tar.TypeLink:
		s += " => /" + strings.TrimPrefix(f.Linkname, "/")
	}
	return s
}

// configOf returns the parts of the image config a Dockerfile sets, as
// indented JSON, leaving out the labels brefimg adds itself.
func configOf(t *testing.T, img v1.Image) string {
	t.Helper()
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	c := cf.Config
	for k := range c.Labels {
		if k == builder.AnnotationBaseName || k == builder.AnnotationBaseDigest || strings.HasPrefix(k, builder.AnnotationInputPrefix) {
			delete(c.Labels, k)
		}
	}
	if len(c.Labels) == 0 {
		c.Labels = nil
	}
	out := struct {
		Platform string `json:"platform"`
		Author   string `json:"author,omitempty"`
		v1.Config
	}{Platform: cf.OS + "/" + cf.Architecture, Author: cf.Author, Config: c}
	b, err := json.MarshalIndent(out, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return string(b) + "\n"
}

// compareGolden compares got with dir/file ("" means the file must not
// exist), or rewrites it with -update.
func compareGolden(t *testing.T, dir, file, got string) {
	t.Helper()
	p := filepath.Join(dir, file)
	if *update {
		if got == "" {
			if err := os.Remove(p); err != nil && !errors.Is(err, os.ErrNotExist) {
				t.Fatal(err)
			}
			return
		}
		if err := os.WriteFile(p, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
		return
	}
	b, err := os.ReadFile(p)
	if errors.Is(err, os.ErrNotExist) {
		if got != "" {
			t.Errorf("%s is missing; the build gives:\n%s", p, got)
		}
		return
	}
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != got {
		t.Errorf("%s differs:\n--- want\n%s--- got\n%s", p, b, got)
	}
}

// prepareContext copies a case's build context into a temporary
// directory, with exact modes, and applies its setup.txt: lines
// "context app" (use testdata/app instead of context/), "chmod MODE PATH",
// "mkdir MODE PATH", "symlink TARGET PATH", "hardlink OLD NEW", "targz
// PATH" (writes a known gzip tar archive), "write PATH TEXT" and "gz PATH
// TEXT" (a file, or a gzip file that is not a tar, holding TEXT with \n
// for newlines) and "fifo PATH" (a named pipe). Git keeps none of these.
func prepareContext(t *testing.T, dir string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), "context")
	src := filepath.Join(dir, "context")
	var setup []string
	if b, err := os.ReadFile(filepath.Join(dir, "setup.txt")); err == nil {
		setup = strings.Split(strings.TrimSpace(string(b)), "\n")
	}
	for _, line := range setup {
		if line == "context app" {
			src = filepath.Join("..", "testdata", "app")
		}
	}
	if err := os.MkdirAll(dst, 0o755); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(src); err == nil {
		copyTree(t, src, dst)
	}
	for _, line := range setup {
		f := strings.Fields(line)
		if len(f) == 0 || f[0] == "context" {
			continue
		}
		arg := func(i int) string { return filepath.Join(dst, filepath.FromSlash(f[i])) }
		var err error
		switch {
		case f[0] == "chmod" && len(f) == 3:
			err = os.Chmod(arg(2), parseMode(t, f[1]))
		case f[0] == "mkdir" && len(f) == 3:
			if err = os.MkdirAll(arg(2), 0o755); err == nil {
				err = os.Chmod(arg(2), parseMode(t, f[1]))
			}
		case f[0] == "symlink" && len(f) == 3:
			err = os.Symlink(f[1], arg(2))
		case f[0] == "hardlink" && len(f) == 3:
			err = os.Link(arg(1), arg(2))
		case f[0] == "targz" && len(f) == 2:
			err = os.WriteFile(arg(1), appArchive(t), 0o644)
		case f[0] == "write" && len(f) >= 2:
			if err = os.MkdirAll(filepath.Dir(arg(1)), 0o755); err == nil {
				err = os.WriteFile(arg(1), []byte(unescape(strings.Join(f[2:], " "))), 0o644)
			}
		case f[0] == "gz" && len(f) >= 2:
			var gz bytes.Buffer
			zw := gzip.NewWriter(&gz)
			io.WriteString(zw, unescape(strings.Join(f[2:], " ")))
			zw.Close()
			err = os.WriteFile(arg(1), gz.Bytes(), 0o644)
		case f[0] == "fifo" && len(f) == 2:
			err = mkfifo(arg(1))
		default:
			t.Fatalf("setup.txt: %q is not a setup line", line)
		}
		if err != nil {
			t.Fatalf("setup.txt: %s: %v", line, err)
		}
	}
	return dst
}

func unescape(s string) string { return strings.ReplaceAll(s, `\n`, "\n") }

func parseMode(t *testing.T, s string) os.FileMode {
	v, err := strconv.ParseUint(s, 8, 32)
	if err != nil {
		t.Fatal(err)
	}
	m := os.FileMode(v & 0o777)
	if v&0o4000 != 0 {
		m |= os.ModeSetuid
	}
	if v&0o2000 != 0 {
		m |= os.ModeSetgid
	}
	if v&0o1000 != 0 {
		m |= os.ModeSticky
	}
	return m
}

// copyTree copies src to dst: directories 0755, files 0644, or 0755 when
// the checkout made them executable, whatever the umask.
func copyTree(t *testing.T, src, dst string) {
	t.Helper()
	err := filepath.WalkDir(src, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(src, p)
		target := filepath.Join(dst, rel)
		info, err := d.Info()
		if err != nil {
			return err
		}
		if d.IsDir() {
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
			return os.Chmod(target, 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		mode := os.FileMode(0o644)
		if info.Mode()&0o100 != 0 {
			mode = 0o755
		}
		if err := os.WriteFile(target, b, mode); err != nil {
			return err
		}
		return os.Chmod(target, mode)
	})
	if err != nil {
		t.Fatal(err)
	}
}

// appArchive is the archive "targz" writes: a gzip tar with its own
// owners and modes, a hard link, and no entry for one parent directory.
func appArchive(t *testing.T) []byte {
	var raw bytes.Buffer
	tw := tar.NewWriter(&raw)
	for _, h := range []struct {
		hdr  tar.Header
		data string
	}{
		{hdr: tar.Header{Name: "./", Typeflag: tar.TypeDir, Mode: 0o755}},
		{hdr: tar.Header{Name: "./lib/", Typeflag: tar.TypeDir, Mode: 0o750, Uid: 1000, Gid: 1000}},
		{hdr: tar.Header{Name: "./lib/app.so", Typeflag: tar.TypeReg, Mode: 0o755, Uid: 1000, Gid: 1000}, data: "\x7fELF app\n"},
		{hdr: tar.Header{Name: "./lib/app.so.1", Typeflag: tar.TypeLink, Linkname: "./lib/app.so"}},
		{hdr: tar.Header{Name: "./lib/current", Typeflag: tar.TypeSymlink, Linkname: "app.so.1", Mode: 0o777}},
		{hdr: tar.Header{Name: "./share/doc/README", Typeflag: tar.TypeReg, Mode: 0o644}, data: "read me\n"},
	} {
		h.hdr.Size = int64(len(h.data))
		h.hdr.ModTime = fixtures.ModTime
		if err := tw.WriteHeader(&h.hdr); err != nil {
			t.Fatal(err)
		}
		io.WriteString(tw, h.data)
	}
	tw.Close()
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(raw.Bytes())
	zw.Close()
	return gz.Bytes()
}

// buildPlan builds pl with brefimg's builder at the golden epoch.
func buildPlan(t *testing.T, src builder.Source, pl plan.Plan) (*plan.Result, error) {
	t.Helper()
	b, err := builder.New(src, builder.WithTempDir(t.TempDir()), builder.WithEpoch(time.Unix(goldenEpoch, 0)))
	if err != nil {
		t.Fatal(err)
	}
	return b.Build(context.Background(), pl)
}
