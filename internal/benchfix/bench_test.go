package benchfix

import (
	"context"
	"fmt"
	"testing"

	"github.com/brefimg/brefimg/layers"
)

// BenchmarkFromDirLaravel packs the generated Laravel-like app with the
// layer writer, as brefimg does for /var/task; the app is written once,
// outside the timer. Run it with
//
//	go test -run '^$' -bench FromDirLaravel ./internal/benchfix/
//
// (the 4x case writes 230 MB; select the 1x one with -bench 'FromDirLaravel/1x').
func BenchmarkFromDirLaravel(b *testing.B) {
	for _, scale := range []int{1, 4} {
		b.Run(fmt.Sprintf("%dx", scale), func(b *testing.B) {
			dir := b.TempDir()
			a, err := WriteApp(dir, scale)
			if err != nil {
				b.Fatal(err)
			}
			tmp := b.TempDir()
			b.SetBytes(a.Bytes)
			b.ReportAllocs()
			b.ResetTimer()
			for b.Loop() {
				l, err := layers.FromDir(context.Background(), dir, "/var/task", layers.WithTempDir(tmp))
				if err != nil {
					b.Fatal(err)
				}
				if err := l.Close(); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}

// BenchmarkAppContent generates the content of the 1x app in memory.
func BenchmarkAppContent(b *testing.B) {
	a, err := NewApp(1)
	if err != nil {
		b.Fatal(err)
	}
	b.SetBytes(a.Bytes)
	for b.Loop() {
		for _, f := range a.Files {
			_ = f.Content()
		}
	}
}

// BenchmarkBaseImage generates the 150 MB base image's layers.
func BenchmarkBaseImage(b *testing.B) {
	for b.Loop() {
		if _, err := Image(BaseRef); err != nil {
			b.Fatal(err)
		}
	}
}
