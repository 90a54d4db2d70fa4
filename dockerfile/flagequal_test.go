package dockerfile_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/brefimg/brefimg/dockerfile"
	"github.com/brefimg/brefimg/flagplan"
	"github.com/brefimg/brefimg/plan"
)

// TestOptVariantEqualsFlagBuild checks that the seed's Dockerfile, written
// with COPY --from=… /opt /opt and a pinned base, gives exactly the image
// of `brefimg build --bref 1 --php 8.0 --ext redis@0.10,gmp@0.10 --split
// none` on the same app and epoch (one COPY . /var/task is one layer; flag
// builds give vendor/ a layer of its own unless --split none). The seed
// names tag 0.10; without @0.10 the flags take the newest 0.x tag, 0.12.
func TestOptVariantEqualsFlagBuild(t *testing.T) {
	_, client := goldenRegistry(t)
	ctx := context.Background()
	dir := filepath.Join("..", "testdata", "dockerfiles", "seed-opt")
	app := prepareContext(t, dir)
	flagPlan, err := flagplan.Plan(flagplan.Flags{Line: 1, PHP: "8.0", Exts: []string{"redis@0.10,gmp@0.10"}, AppDir: app, Split: []string{"none"}})
	if err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(filepath.Join(dir, "Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	dfPlan, _, err := dockerfile.Parse(f, "Dockerfile", dockerfile.WithContextDir(app),
		dockerfile.WithImageConfigs(dockerfile.RegistryConfigs(ctx, client, nil)))
	if err != nil {
		t.Fatal(err)
	}

	digest := func(p plan.Plan) string {
		res, err := buildPlan(t, client, p)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Close()
		d, err := res.Image.Digest()
		if err != nil {
			t.Fatal(err)
		}
		return d.String()
	}
	flagDigest, dfDigest := digest(flagPlan), digest(dfPlan)
	if dfDigest != flagDigest {
		t.Errorf("the Dockerfile gives %s, the flags %s", dfDigest, flagDigest)
	}
}
