package dockerfile_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/brefimg/brefimg/build"
	"github.com/brefimg/brefimg/dockerfile"
)

// TestOptVariantEqualsFlagBuild checks that the seed's Dockerfile, written
// with COPY --from=… /opt /opt and a pinned base, gives exactly the image
// of `brefimg build --bref 1 --php 8.0 --ext redis,gmp --split none` on the
// same app and epoch (one COPY . /var/task is one layer; flag builds give
// vendor/ a layer of its own unless --split none).
func TestOptVariantEqualsFlagBuild(t *testing.T) {
	_, client := goldenRegistry(t)
	ctx := context.Background()
	dir := filepath.Join("..", "testdata", "dockerfiles", "seed-opt")
	app := prepareContext(t, dir)
	epoch := time.Unix(goldenEpoch, 0)

	flagPlan, err := build.NewPlan(build.Flags{Line: 1, PHP: "8.0", Exts: []string{"redis,gmp"}, AppDir: app, Epoch: epoch, Split: []string{"none"}})
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
	dfPlan.Epoch = epoch

	digest := func(p build.Plan) string {
		res, err := build.Build(ctx, client, p, build.WithTempDir(t.TempDir()))
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
