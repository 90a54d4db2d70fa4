package benchfix

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/internal/fixtures"
)

func plan(t *testing.T, scale int) *App {
	t.Helper()
	a, err := NewApp(scale)
	if err != nil {
		t.Fatal(err)
	}
	return a
}

func TestAppShape(t *testing.T) {
	a := plan(t, 1)
	if n := len(a.Files); n < 8000 || n > 8700 {
		t.Errorf("1x app: %d files, want about 8,300", n)
	}
	if a.Bytes < 55e6 || a.Bytes > 65e6 {
		t.Errorf("1x app: %d bytes, want about 60 MB", a.Bytes)
	}
	var vendor, sum int64
	byPath := map[string]AppFile{}
	for i, f := range a.Files {
		if i > 0 && a.Files[i-1].Path >= f.Path {
			t.Fatalf("files not sorted or duplicated at %q", f.Path)
		}
		byPath[f.Path] = f
		sum += int64(f.Size)
		if strings.HasPrefix(f.Path, "vendor/") {
			vendor += int64(f.Size)
		}
	}
	if sum != a.Bytes {
		t.Errorf("Bytes = %d, files add up to %d", a.Bytes, sum)
	}
	if vendor*10 < a.Bytes*9 {
		t.Errorf("vendor/ holds %d of %d bytes, want most of them", vendor, a.Bytes)
	}
	for _, p := range []string{ChangedFile, "public/index.php", "artisan", "composer.json", "composer.lock",
		"config/app.php", "routes/web.php", "vendor/autoload.php", "vendor/laravel/framework/composer.json"} {
		if _, ok := byPath[p]; !ok {
			t.Errorf("no %s in the app", p)
		}
	}
	if m := byPath["artisan"].Mode; m != 0o755 {
		t.Errorf("artisan mode %o, want 755", m)
	}
	for _, p := range []string{"composer.json", "composer.lock", "vendor/composer/installed.json"} {
		if !json.Valid(byPath[p].Content()) {
			t.Errorf("%s is not valid JSON", p)
		}
	}
	if got := byPath[ChangedFile].Size; got != changedSize {
		t.Errorf("%s: size %d, want %d", ChangedFile, got, changedSize)
	}

	a2 := plan(t, 2)
	if n, n2 := len(a.Files), len(a2.Files); n2 < 19*n/10 || n2 > 21*n/10 {
		t.Errorf("2x app: %d files, want about twice %d", n2, n)
	}
	if a2.Bytes < 19*a.Bytes/10 || a2.Bytes > 21*a.Bytes/10 {
		t.Errorf("2x app: %d bytes, want about twice %d", a2.Bytes, a.Bytes)
	}
	if _, err := NewApp(0); err == nil {
		t.Error("NewApp(0) succeeded, want an error")
	}
}

func TestAppDeterministic(t *testing.T) {
	a, b := plan(t, 1), plan(t, 1)
	if !slices.EqualFunc(a.Files, b.Files, func(x, y AppFile) bool {
		return x.Path == y.Path && x.Size == y.Size && x.Mode == y.Mode
	}) {
		t.Fatal("two plans of the 1x app differ")
	}
	for i := 0; i < len(a.Files); i += 97 {
		f := a.Files[i]
		c := f.Content()
		if len(c) != f.Size {
			t.Errorf("%s: %d bytes of content, want %d", f.Path, len(c), f.Size)
		}
		if !bytes.Equal(c, b.Files[i].Content()) {
			t.Errorf("%s: content differs between two plans", f.Path)
		}
		if f.kind == kindPHP && !bytes.HasPrefix(c, []byte("<?php\n")) {
			t.Errorf("%s: does not start with <?php", f.Path)
		}
	}
	// Another file of the same size has other bytes.
	f := a.Files[len(a.Files)/2]
	if f.kind != kindPHP {
		t.Fatalf("%s: want a generated PHP file in the middle of the app", f.Path)
	}
	g := f
	g.Path += "x"
	if bytes.Equal(f.Content(), g.Content()) {
		t.Errorf("%s and %s have the same content", f.Path, g.Path)
	}
}

func TestCompressesLikePHP(t *testing.T) {
	a := plan(t, 1)
	var raw bytes.Buffer
	for i := 0; i < len(a.Files) && raw.Len() < 1<<20; i += 7 {
		if strings.HasSuffix(a.Files[i].Path, ".php") {
			raw.Write(a.Files[i].Content())
		}
	}
	var z bytes.Buffer
	zw, _ := gzip.NewWriterLevel(&z, gzip.DefaultCompression)
	zw.Write(raw.Bytes())
	zw.Close()
	if ratio := float64(raw.Len()) / float64(z.Len()); ratio < 2.5 || ratio > 5 {
		t.Errorf("PHP compresses %.2f times, want 3 to 4", ratio)
	}
}

func TestWriteAndChange(t *testing.T) {
	full := plan(t, 1)
	// A slice of the app keeps the test fast: the files of app/ and public/.
	a := &App{Scale: 1}
	for _, f := range full.Files {
		if strings.HasPrefix(f.Path, "app/") || strings.HasPrefix(f.Path, "public/") || f.Path == "artisan" {
			a.Files = append(a.Files, f)
			a.Bytes += int64(f.Size)
		}
	}
	dir := t.TempDir()
	if err := a.Write(dir); err != nil {
		t.Fatal(err)
	}
	for _, f := range a.Files {
		name := filepath.Join(dir, filepath.FromSlash(f.Path))
		got, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, f.Content()) {
			t.Errorf("%s: written content differs", f.Path)
		}
		if st, _ := os.Stat(name); st.Mode().Perm() != f.Mode {
			t.Errorf("%s: mode %v, want %v", f.Path, st.Mode().Perm(), f.Mode)
		}
	}
	if err := a.Write(dir); err == nil {
		t.Error("writing into a non-empty directory succeeded, want an error")
	}

	name := filepath.Join(dir, ChangedFile)
	orig, _ := os.ReadFile(name)
	read := func(n int) []byte {
		t.Helper()
		if _, err := ChangeFile(dir, n); err != nil {
			t.Fatal(err)
		}
		b, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	v1, v2 := read(1), read(2)
	if bytes.Equal(v1, orig) || bytes.Equal(v1, v2) {
		t.Error("ChangeFile did not change the content")
	}
	if len(v1) != len(orig) || len(v2) != len(orig) {
		t.Errorf("changed sizes %d and %d, want %d", len(v1), len(v2), len(orig))
	}
	if again := read(1); !bytes.Equal(again, v1) {
		t.Error("variant 1 differs between two calls")
	}
	if back := read(0); !bytes.Equal(back, orig) {
		t.Error("variant 0 does not restore the original")
	}
	if _, err := ChangeFile(t.TempDir(), 1); err == nil {
		t.Error("ChangeFile on a directory without the app succeeded, want an error")
	}
}

func TestImagesDeterministic(t *testing.T) {
	digest := func(img v1.Image, err error) v1.Hash {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
		d, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	// The base at 1/2000 of its size: same code, same shape.
	small1, err := buildBase(baseLayers(2000))
	d1 := digest(small1, err)
	d2 := digest(buildBase(baseLayers(2000)))
	if d1 != d2 {
		t.Errorf("the base differs between two builds: %s, %s", d1, d2)
	}
	cf, err := small1.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	if got := cf.Config.Entrypoint; !slices.Equal(got, []string{"/lambda-entrypoint.sh"}) || cf.Config.WorkingDir != "/var/task" {
		t.Errorf("base config: Entrypoint %q WorkingDir %q", got, cf.Config.WorkingDir)
	}
	if !slices.Equal(cf.Config.Env, fixtures.BaseEnv) {
		t.Errorf("base Env %q, want %q", cf.Config.Env, fixtures.BaseEnv)
	}
	layers, _ := small1.Layers()
	nonEmpty := 0
	for _, h := range cf.History {
		if !h.EmptyLayer {
			nonEmpty++
		}
	}
	if len(layers) != 4 || nonEmpty != len(layers) {
		t.Errorf("base: %d layers, %d non-empty history entries; want 4 and 4", len(layers), nonEmpty)
	}
	tree, err := fixtures.FileTree(small1)
	if err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{"lambda-entrypoint.sh", "opt/bref/bin/php", "opt/bootstrap", "opt/bref/etc/php/conf.d/bref.ini", "var/task"} {
		if _, ok := tree[p]; !ok {
			t.Errorf("base: no /%s", p)
		}
	}
	for _, ref := range []string{RedisRef, GmpRef} {
		if a, b := digest(Image(ref)), digest(Image(ref)); a != b {
			t.Errorf("%s differs between two builds", ref)
		}
	}
	gmp, _ := Image(GmpRef)
	tree, err = fixtures.FileTree(gmp)
	if err != nil {
		t.Fatal(err)
	}
	if tree["opt/bref/etc/php/conf.d/ext-gmp.ini"].Content != "extension=/opt/bref-extra/gmp.so\n" || tree["opt/bref/lib64/libgmp.so.10"].Linkname != "libgmp.so" {
		t.Error("gmp image: not the 0.x layout")
	}
	if _, err := Image("bref/php-81-fpm:1"); err == nil {
		t.Error("Image of an unknown name succeeded, want an error")
	}
}
