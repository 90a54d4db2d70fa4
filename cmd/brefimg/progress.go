package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/mattn/go-isatty"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/pipeline"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

// reporter renders a build's progress: live bars on a terminal, one plain
// line per event otherwise (CI logs), or nothing.
type reporter struct {
	mode string // "bars", "plain" or "none"
	w    io.Writer
	// printFindings renders the findings; nil prints none.
	printFindings func([]findings.Finding)
	bars          *mpb.Progress
	total         *mpb.Bar // bytes read for uploads and outputs, of the image's total

	waited sync.Once

	mu       sync.Mutex
	sizes    map[string]int64 // blob digest -> size, for event lines
	names    map[string]string
	uploaded int64
	counts   map[registry.EventKind]int
	start    time.Time
	steps    map[string]*mpb.Bar // BuildKit steps running, in bars mode
}

// newReporter picks the mode: --progress auto means bars when w is a
// terminal and plain lines otherwise; -q means none.
func newReporter(w io.Writer, progress string, quiet bool) *reporter {
	mode := progress
	if quiet {
		mode = "none"
	}
	if mode == "auto" {
		mode = "plain"
		if f, ok := w.(*os.File); ok && isatty.IsTerminal(f.Fd()) {
			mode = "bars"
		}
	}
	r := &reporter{mode: mode, w: w, sizes: map[string]int64{}, names: map[string]string{},
		counts: map[registry.EventKind]int{}, start: time.Now(), steps: map[string]*mpb.Bar{}}
	if mode == "bars" {
		r.bars = mpb.New(mpb.WithOutput(w), mpb.WithWidth(32), mpb.WithRefreshRate(120*time.Millisecond))
	}
	return r
}

// linef prints a line above the bars, or plainly; nothing in mode none.
func (r *reporter) linef(format string, a ...any) {
	switch r.mode {
	case "bars":
		fmt.Fprintf(r.bars, format+"\n", a...)
	case "plain":
		r.mu.Lock()
		fmt.Fprintf(r.w, format+"\n", a...)
		r.mu.Unlock()
	}
}

// know records the size and a label of every blob of img, for the event lines.
func (r *reporter) know(img v1.Image, label func(i int) string) {
	m, err := img.Manifest()
	if err != nil {
		return
	}
	r.mu.Lock()
	defer r.mu.Unlock()
	r.sizes[m.Config.Digest.String()] = m.Config.Size
	r.names[m.Config.Digest.String()] = "config"
	for i, l := range m.Layers {
		r.sizes[l.Digest.String()] = l.Size
		r.names[l.Digest.String()] = label(i)
	}
}

// event is called by the registry client for every blob and manifest.
func (r *reporter) event(e registry.Event) {
	r.mu.Lock()
	r.counts[e.Kind]++
	size, name := r.sizes[e.Digest], r.names[e.Digest]
	if e.Kind == registry.BlobPushed {
		r.uploaded += size
	}
	r.mu.Unlock()
	if name != "" {
		name = " (" + name + ")"
	}
	switch e.Kind {
	case registry.BlobPushed:
		r.linef("pushed blob %s %s%s", short(e.Digest), humanBytes(size), name)
	case registry.BlobExisting:
		r.linef("existing blob %s%s", short(e.Digest), name)
	case registry.BlobMounted:
		r.linef("mounted blob %s%s", short(e.Digest), name)
	case registry.ManifestPushed:
		r.linef("pushed manifest %s/%s:%s", e.Registry, e.Repository, e.Digest)
	}
}

// track wraps the layers brefimg made (not those a registry can mount) so
// that reading them for an upload or an output moves a bar.
// Layers in a registry that is a target stay unwrapped: that registry may
// mount them, and a wrapper would hide that they can be mounted. Layers
// from another registry are streamed through brefimg anyway: they get a bar.
func (r *reporter) track(img v1.Image, targets []name.Reference) v1.Image {
	if r.mode != "bars" {
		return img
	}
	t := &trackedImage{Image: img, r: r, targets: map[string]bool{}}
	for _, ref := range targets {
		t.targets[ref.Context().RegistryStr()] = true
	}
	if m, err := img.Manifest(); err == nil {
		var total int64
		for _, l := range m.Layers {
			total += l.Size
		}
		if total > 0 {
			t.r.total = r.bar("total", total, mpb.BarPriority(1<<20)) // drawn last
		}
	}
	return t
}

func (r *reporter) bar(name string, total int64, opts ...mpb.BarOption) *mpb.Bar {
	return r.bars.AddBar(total, append([]mpb.BarOption{
		mpb.PrependDecorators(decor.Name(name, decor.WC{C: decor.DindentRight | decor.DextraSpace})),
		// Sizes as the event lines and the summary write them (kB, MB).
		mpb.AppendDecorators(decor.Any(func(st decor.Statistics) string {
			return humanBytes(st.Current) + " / " + humanBytes(st.Total)
		}), decor.Name(" "), decor.OnComplete(decor.Name(""), "done")),
	}, opts...)...)
}

// wait lets the bars finish drawing; the total bar ends where it got, as
// blobs the registry had already were never read.
func (r *reporter) wait() {
	r.waited.Do(func() {
		r.endSteps()
		if r.total != nil && !r.total.Completed() {
			r.total.SetTotal(-1, true)
		}
		if r.bars != nil {
			r.bars.Wait()
		}
	})
}

// summary prints the closing lines of a build.
func (r *reporter) summary(ref string, img v1.Image, added int) {
	if r.mode == "none" {
		return
	}
	r.wait()
	m, err := img.Manifest()
	if err != nil {
		return
	}
	total := m.Config.Size
	for _, l := range m.Layers {
		total += l.Size
	}
	r.mu.Lock()
	present := r.counts[registry.BlobExisting] + r.counts[registry.BlobMounted]
	line := fmt.Sprintf("built %s\n  %s compressed in %d layers (%d added); blobs: %d uploaded (%s), %d already present (%d mounted); %s",
		ref, humanBytes(total), len(m.Layers), added, r.counts[registry.BlobPushed], humanBytes(r.uploaded),
		present, r.counts[registry.BlobMounted], time.Since(r.start).Round(10*time.Millisecond))
	r.mu.Unlock()
	fmt.Fprintln(r.w, line)
}

type trackedImage struct {
	v1.Image
	r       *reporter
	targets map[string]bool // registries pushed to
}

func (t *trackedImage) Layers() ([]v1.Layer, error) {
	ls, err := t.Image.Layers()
	if err != nil {
		return nil, err
	}
	out := make([]v1.Layer, len(ls))
	for i, l := range ls {
		out[i] = t.wrap(l)
	}
	return out, nil
}

func (t *trackedImage) LayerByDigest(h v1.Hash) (v1.Layer, error) {
	l, err := t.Image.LayerByDigest(h)
	if err != nil {
		return nil, err
	}
	return t.wrap(l), nil
}

func (t *trackedImage) wrap(l v1.Layer) v1.Layer {
	if ml, mountable := l.(*remote.MountableLayer); mountable && t.targets[ml.Reference.Context().RegistryStr()] {
		return l // the registry may mount it: never read it just to draw a bar
	}
	return &trackedLayer{Layer: l, r: t.r}
}

type trackedLayer struct {
	v1.Layer
	r *reporter
}

func (t *trackedLayer) Compressed() (io.ReadCloser, error) {
	rc, err := t.Layer.Compressed()
	if err != nil {
		return nil, err
	}
	d, _ := t.Layer.Digest()
	size, _ := t.Layer.Size()
	t.r.mu.Lock()
	label := t.r.names[d.String()]
	t.r.mu.Unlock()
	bar := t.r.bar(fmt.Sprintf("%s %s", short(d.String()), label), size)
	return &barReader{ReadCloser: rc, bar: bar, total: t.r.total}, nil
}

type barReader struct {
	io.ReadCloser
	bar, total *mpb.Bar
}

func (b *barReader) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	b.bar.IncrBy(n)
	if b.total != nil {
		b.total.IncrBy(n)
	}
	return n, err
}

func (b *barReader) Close() error {
	if !b.bar.Completed() {
		b.bar.Abort(false)
	}
	return b.ReadCloser.Close()
}

// short abbreviates a digest for display: "sha256:0123456789ab".
func short(d string) string {
	if len(d) > 19 {
		return d[:19]
	}
	return d
}

// humanBytes renders a size as "12.3 MB".
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// Built notes the images a build read, and names its layers for the bars.
func (r *reporter) Built(res *plan.Result) {
	if res.Base.Ref == plan.Scratch {
		r.linef("base scratch (empty)")
	} else {
		r.linef("base %s -> %s", res.Base.Ref, res.Base.Digest)
	}
	for _, in := range res.Inputs {
		r.linef("extension %s: %s -> %s", in.Name, in.Ref, in.Digest)
	}
	r.know(res.Image, func(i int) string {
		if i < len(res.Origins) {
			if o := res.Origins[i]; o.Name != "" {
				return o.Name
			}
			return "base"
		}
		return ""
	})
}

// Checked prints the findings, once the policy applied.
func (r *reporter) Checked(fs []findings.Finding) {
	if r.printFindings != nil {
		r.printFindings(fs)
	}
}

// Track wraps img to show its layers being written and pushed.
func (r *reporter) Track(img v1.Image, targets []name.Reference) v1.Image {
	return r.track(img, targets)
}

var _ pipeline.Observer = (*reporter)(nil)
