package layers

import (
	"context"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkFromDir packs a generated app of 3,000 files (a Composer vendor
// tree's shape: 150 directories, files of 0 to 16 KiB, fixed seed).
func BenchmarkFromDir(b *testing.B) {
	dir := b.TempDir()
	rng := rand.New(rand.NewPCG(42, 42))
	var total int64
	buf := make([]byte, 16<<10)
	for i := range 3000 {
		name := filepath.Join(dir, "vendor", fmt.Sprintf("pkg%02d", i%30), fmt.Sprintf("src%d", i%5), fmt.Sprintf("File%04d.php", i))
		if err := os.MkdirAll(filepath.Dir(name), 0o755); err != nil {
			b.Fatal(err)
		}
		n := rng.IntN(len(buf))
		for j := range n {
			buf[j] = "abcdefghijklmnopqrstuvwxyz<?php ;{}()\n"[rng.IntN(38)]
		}
		if err := os.WriteFile(name, buf[:n], 0o644); err != nil {
			b.Fatal(err)
		}
		total += int64(n)
	}
	tmp := b.TempDir()
	b.SetBytes(total)
	b.ReportAllocs()
	for b.Loop() {
		l, err := FromDir(context.Background(), dir, "/var/task", WithTempDir(tmp))
		if err != nil {
			b.Fatal(err)
		}
		if err := l.Close(); err != nil {
			b.Fatal(err)
		}
	}
}
