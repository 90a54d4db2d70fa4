package layers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// TestParallelGzipIsDeterministic: a layer of several gzip blocks is the
// same byte for byte whatever the number of CPUs compressing it.
func TestParallelGzipIsDeterministic(t *testing.T) {
	dir := t.TempDir()
	rng := rand.New(rand.NewPCG(1, 2))
	words := []string{"function", "return", "$this->", "namespace", "class", "public", "array", "=>", "null", "\n"}
	for i := 0; i < 40; i++ {
		var b strings.Builder
		for b.Len() < 200<<10 {
			b.WriteString(words[rng.IntN(len(words))])
			b.WriteString(fmt.Sprint(rng.IntN(1000)))
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%02d.php", i)), []byte(b.String()), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	digest := func(procs int) string {
		prev := runtime.GOMAXPROCS(procs)
		defer runtime.GOMAXPROCS(prev)
		l, err := FromDir(context.Background(), dir, "/var/task", WithTempDir(t.TempDir()))
		if err != nil {
			t.Fatal(err)
		}
		defer l.Close()
		if size, _ := l.Size(); size < 2*GzipBlockSize/4 {
			t.Fatalf("the layer is %d bytes: too small to span several gzip blocks", size)
		}
		d, _ := l.Digest()
		return d.String()
	}
	want := digest(1)
	for _, procs := range []int{2, 3, 8} {
		if got := digest(procs); got != want {
			t.Errorf("GOMAXPROCS=%d gives %s, GOMAXPROCS=1 %s", procs, got, want)
		}
	}
}
