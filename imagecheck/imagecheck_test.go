package imagecheck

import (
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/layers"
)

func ids(fs []findings.Finding) string {
	var out []string
	for _, f := range fs {
		out = append(out, f.ID)
	}
	return strings.Join(out, ",")
}

func TestManifest(t *testing.T) {
	base, err := fixtures.Get("bref/php-80-fpm:1")
	if err != nil {
		t.Fatal(err)
	}
	withConfig := func(img v1.Image, f func(*v1.ConfigFile)) v1.Image {
		cf, err := img.ConfigFile()
		if err != nil {
			t.Fatal(err)
		}
		cf = cf.DeepCopy()
		f(cf)
		out, err := mutate.ConfigFile(img, cf)
		if err != nil {
			t.Fatal(err)
		}
		return out
	}
	uncompressed, err := mutate.Append(base, mutate.Addendum{Layer: static(t), MediaType: types.OCIUncompressedLayer,
		History: v1.History{CreatedBy: "COPY x /x"}})
	if err != nil {
		t.Fatal(err)
	}
	many, err := random.Image(8, MaxLayers+1)
	if err != nil {
		t.Fatal(err)
	}
	many = withConfig(many, func(cf *v1.ConfigFile) { cf.OS, cf.Architecture, cf.History = "linux", "amd64", nil })
	tests := []struct {
		name         string
		img          v1.Image
		uncompressed int64
		want         string
	}{
		{name: "a Bref base", img: base},
		{name: "an index media type", img: mutate.MediaType(base, types.OCIImageIndex), want: findings.IDMediaType},
		{name: "uncompressed layer", img: uncompressed, want: findings.IDCompression},
		{name: "too many layers, no history", img: many, want: findings.IDLayerCount + "," + findings.IDHistory},
		{name: "too big", img: base, uncompressed: MaxUncompressed + 1, want: findings.IDSize},
		{name: "386", img: withConfig(base, func(cf *v1.ConfigFile) { cf.Architecture = "386" }), want: findings.IDArchitecture},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Manifest(tc.img, tc.uncompressed)
			if err != nil {
				t.Fatal(err)
			}
			if ids(got) != tc.want {
				t.Errorf("findings %v, want %s", got, tc.want)
			}
		})
	}
}

func static(t *testing.T) v1.Layer {
	t.Helper()
	l, err := fixtures.NewLayer(types.OCILayer, fixtures.Reg("x", 0o644, "x"))
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func TestFiles(t *testing.T) {
	dir := func(p string, mode int64) layers.Entry { return layers.Entry{Path: p, Type: '5', Mode: mode} }
	file := func(p string, mode int64) layers.Entry { return layers.Entry{Path: p, Type: '0', Mode: mode} }
	tests := []struct {
		name   string
		layers [][]layers.Entry
		want   string
		text   string
	}{
		{name: "complete", layers: [][]layers.Entry{{dir("/var", 0o755), dir("/var/task", 0o755), file("/var/task/index.php", 0o644)}}},
		{name: "parent in an earlier layer", layers: [][]layers.Entry{{dir("/opt", 0o755)}, {dir("/opt/bref", 0o755), file("/opt/bref/x.so", 0o755)}}},
		{name: "missing parents", layers: [][]layers.Entry{{file("/var/task/index.php", 0o644)}}, want: findings.IDParentDir, text: "/var, /var/task"},
		{name: "unreadable", layers: [][]layers.Entry{{dir("/app", 0o700), file("/app/key", 0o600)}}, want: findings.IDLambdaUnreadable, text: "/app (directory 0700, others cannot list or enter it), /app/key (0600, others cannot read it)"},
		{name: "whiteouts are not paths", layers: [][]layers.Entry{{dir("/opt", 0o755)}, {file("/opt/.wh.old", 0)}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got := Files(tc.layers, 10)
			if ids(got) != tc.want {
				t.Fatalf("findings %v, want %s", got, tc.want)
			}
			if tc.text != "" && !strings.Contains(got[0].Message, tc.text) {
				t.Errorf("message %q lacks %q", got[0].Message, tc.text)
			}
		})
	}
}
