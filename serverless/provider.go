package serverless

import (
	"fmt"

	"go.yaml.in/yaml/v3"

	"github.com/brefimg/brefimg/plan"
)

// Serverless's defaults (provider.getStage and getRegion in
// lib/plugins/aws/provider.js).
const (
	defaultStage  = "dev"
	defaultRegion = "us-east-1"
)

// getStage returns the stage as Serverless's provider.getStage and
// ${sls:stage} do: --stage, else provider.stage, else "dev".
func (r *reader) getStage() (string, error) {
	if r.stage == nil {
		s, err := r.optionOr(r.opts.Stage, "provider.stage", "--stage", defaultStage)
		if err != nil {
			return "", err
		}
		r.stage = &s
	}
	return *r.stage, nil
}

// getRegion returns the region as Serverless's provider.getRegion and
// ${aws:region} do: --region, else provider.region, else "us-east-1".
func (r *reader) getRegion() (string, error) {
	if r.region == nil {
		s, err := r.optionOr(r.opts.Region, "provider.region", "--region", defaultRegion)
		if err != nil {
			return "", err
		}
		r.region = &s
	}
	return *r.region, nil
}

// optionOr returns opt if set, else the string at path, else def; an
// error at path says that flag avoids reading it.
func (r *reader) optionOr(opt, path, flag, def string) (string, error) {
	if opt != "" {
		return opt, nil
	}
	f, err := r.at(path, true)
	if err == nil {
		var s string
		if s, err = r.text(f); err == nil {
			if s == "" {
				s = def
			}
			return s, nil
		}
	}
	return "", &plan.InputError{Field: plan.FieldFile, Err: fmt.Errorf("%w (or pass %s)", err, flag)}
}

// readProvider reads provider: its name (which must be aws), stage,
// region, architecture and the ECR settings. It returns provider.ecr.
func (r *reader) readProvider(p *Project) (field, error) {
	prov, err := r.child(r.rootField(), "provider")
	if err != nil {
		return field{}, err
	}
	name := prov // provider: aws, the v1 form
	if prov.n == nil || prov.n.Kind == yaml.MappingNode {
		if name, err = r.child(prov, "name"); err != nil {
			return field{}, err
		}
	}
	s, err := r.text(name)
	if err != nil {
		return field{}, err
	}
	switch s {
	case "aws":
	case "":
		return field{}, r.errorf(name, "is not set: brefimg deploys to AWS Lambda (name: aws)")
	default:
		return field{}, r.errorf(name, "is %q: brefimg deploys to AWS Lambda only (name: aws)", s)
	}

	if p.Stage, err = r.getStage(); err != nil {
		return field{}, err
	}
	if p.Region, err = r.getRegion(); err != nil {
		return field{}, err
	}
	arch, err := r.childOf(prov, "architecture", true)
	if err != nil {
		return field{}, err
	}
	if p.Architecture, err = r.architecture(arch, ArchX86); err != nil {
		return field{}, err
	}

	ecr, err := r.childOf(prov, "ecr", true)
	if err != nil {
		return field{}, err
	}
	scan, err := r.child(ecr, "scanOnPush")
	if err != nil {
		return field{}, err
	}
	if p.ScanOnPush, err = r.boolean(scan); err != nil {
		return field{}, err
	}
	maxImages, err := r.child(ecr, "maxImages")
	if err != nil {
		return field{}, err
	}
	if p.MaxImages, err = r.integer(maxImages); err != nil {
		return field{}, err
	}
	return ecr, nil
}

// architecture returns f, an architecture Lambda runs, or def when f is
// absent.
func (r *reader) architecture(f field, def string) (string, error) {
	s, err := r.text(f)
	if err != nil {
		return "", err
	}
	switch s {
	case "":
		return def, nil
	case ArchX86, ArchARM:
		return s, nil
	}
	return "", r.fail(f, plan.Inputf(plan.FieldPlatform, "is %q: Lambda runs %s or %s", s, ArchX86, ArchARM))
}
