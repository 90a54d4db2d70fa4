package serverless

import (
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/plan"
)

// ImagePlatform returns the platform to build img for: its platform:,
// else the architecture of the functions using it, else the provider's.
// Serverless passes platform: to docker build and otherwise builds for
// the machine it runs on; brefimg builds for the functions instead.
//
// It is an error, a *plan.InputError, if img is given by URI (plan.FieldFile),
// if the functions using img disagree on the architecture, or if platform:
// is not the one of the functions or not one Lambda runs (plan.FieldPlatform):
// Lambda would fail to start them.
func (p *Project) ImagePlatform(img Image) (v1.Platform, error) {
	where := fmt.Sprintf("%s:%d: provider.ecr.images.%s", p.File, img.Line, img.Name)
	if !img.Built() {
		return v1.Platform{}, plan.Inputf(plan.FieldFile, "%s: is the image %s, which brefimg does not build", where, img.URI)
	}
	arches := map[string][]string{} // architecture → "functions.KEY (line N)"
	var order []string
	for _, fn := range p.Functions {
		if fn.Image != img.Name {
			continue
		}
		if _, seen := arches[fn.Architecture]; !seen {
			order = append(order, fn.Architecture)
		}
		arches[fn.Architecture] = append(arches[fn.Architecture], fmt.Sprintf("functions.%s (line %d)", fn.Key, fn.Line))
	}
	if len(order) > 1 {
		var each []string
		for _, a := range order {
			each = append(each, fmt.Sprintf("%s on %s", strings.Join(arches[a], ", "), a))
		}
		return v1.Platform{}, plan.Inputf(plan.FieldPlatform, "%s: the functions using it run on different architectures (%s): an image runs on one, so define one image per architecture", where, strings.Join(each, "; "))
	}

	if img.Platform != nil {
		pl := *img.Platform
		arch := plan.LambdaArchitecture(pl)
		if arch == "" {
			return v1.Platform{}, plan.Inputf(plan.FieldPlatform, "%s.platform: %s is not a platform Lambda runs: use linux/amd64 (%s) or linux/arm64 (%s)", where, pl.String(), ArchX86, ArchARM)
		}
		if len(order) == 1 && order[0] != arch {
			return v1.Platform{}, plan.Inputf(plan.FieldPlatform, "%s.platform: %s is %s, but %s run on %s: Lambda could not start them; make platform and architecture agree", where, pl.String(), arch, strings.Join(arches[order[0]], ", "), order[0])
		}
		return pl, nil
	}
	arch := p.Architecture
	if len(order) == 1 {
		arch = order[0]
	}
	pl, err := plan.ParsePlatform(arch)
	if err != nil {
		return v1.Platform{}, plan.Inputf(plan.FieldPlatform, "%s: architecture %q: %v", where, arch, err)
	}
	return pl, nil
}
