package serverless

import (
	"path/filepath"
	"slices"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/brefimg/brefimg/plan"
)

// The keys of an image in provider.ecr.images, as Serverless's schema has
// them (lib/plugins/aws/provider.js, v4 at sf-core@4.41.0): those brefimg
// reads, and those it ignores with a note saying why.
var (
	imageKeys     = []string{"uri", "path", "file", "buildArgs", "platform"}
	ignoredImages = map[string]string{
		"cacheFrom":    "ignored: brefimg builds without Docker, so without its cache images",
		"buildOptions": "ignored: brefimg builds without Docker and takes no docker build options",
		"provenance":   "ignored: brefimg attaches no provenance attestation",
	}
)

// readImages reads provider.ecr.images from ecr, provider.ecr.
func (r *reader) readImages(dir string, ecr field) ([]Image, error) {
	imgs, err := r.child(ecr, "images")
	if err != nil {
		return nil, err
	}
	ms, err := r.keys(imgs)
	if err != nil {
		return nil, err
	}
	out := make([]Image, 0, len(ms))
	for _, m := range ms {
		f, err := r.child(imgs, m.key)
		if err != nil {
			return nil, err
		}
		img, err := r.readImage(dir, m.key, f)
		if err != nil {
			return nil, err
		}
		out = append(out, img)
	}
	slices.SortFunc(out, func(a, b Image) int { return strings.Compare(a.Name, b.Name) })
	return out, nil
}

// readImage reads the image called name: a mapping, or a string that is
// an image URI or else the build context's path (Serverless's
// resolveImageUriAndSha).
func (r *reader) readImage(dir, name string, f field) (Image, error) {
	img := Image{Name: name, Line: f.line}
	if !imageTag.MatchString(name) {
		return img, r.errorf(f, "%q cannot be an image tag, which Serverless tags the image with: use letters, digits, -, _ and .", name)
	}
	if f.n == nil {
		return img, r.errorf(f, "is empty: set path (the build context, with a Dockerfile) or uri")
	}
	if f.n.Kind == yaml.ScalarNode {
		s, err := r.text(f)
		if err != nil {
			return img, err
		}
		if isECRURI(s) {
			img.URI = s
			r.note(f, "is the image %s: brefimg does not build it", s)
			return img, nil
		}
		img.Path, img.File = resolvePaths(dir, s, "Dockerfile")
		return img, nil
	}
	ms, err := r.keys(f)
	if err != nil {
		return img, err
	}
	for _, m := range ms {
		if why, ok := ignoredImages[m.key]; ok {
			r.note(field{path: join(f.path, m.key), line: m.line}, "%s", why)
		} else if !slices.Contains(imageKeys, m.key) {
			r.note(field{path: join(f.path, m.key), line: m.line}, "is not a key Serverless knows: ignored")
		}
	}
	get := func(key string) (string, field, error) {
		c, err := r.child(f, key)
		if err != nil {
			return "", c, err
		}
		s, err := r.text(c)
		return s, c, err
	}
	uri, uriField, err := get("uri")
	if err != nil {
		return img, err
	}
	path, _, err := get("path")
	if err != nil {
		return img, err
	}
	if uri != "" {
		// Serverless's ECR_IMAGE_BOTH_URI_AND_*_DEFINED_ERROR
		for _, k := range []string{"path", "file", "buildArgs", "platform", "cacheFrom", "buildOptions", "provenance"} {
			if r.has(f, k) {
				return img, r.errorf(uriField, "is set with %s, which only images built from a path take: keep one", k)
			}
		}
		if !isECRURI(uri) {
			return img, r.errorf(uriField, "is %q: want an ECR image, <account>.dkr.ecr.<region>.amazonaws.com/<repository>@<digest> or :<tag>", uri)
		}
		img.URI = uri
		r.note(uriField, "is the image %s: brefimg does not build it", uri)
		return img, nil
	}
	if path == "" {
		return img, r.errorf(f, "has neither path (the build context, with a Dockerfile) nor uri: set one")
	}
	file, _, err := get("file")
	if err != nil {
		return img, err
	}
	img.Path, img.File = resolvePaths(dir, path, file)

	args, err := r.child(f, "buildArgs")
	if err != nil {
		return img, err
	}
	if img.BuildArgs, err = r.stringMap(args); err != nil {
		return img, err
	}

	platform, pf, err := get("platform")
	if err != nil || platform == "" {
		return img, err
	}
	pl, err := plan.ParsePlatform(platform)
	if err != nil {
		return img, r.fail(pf, plan.Inputf(plan.FieldPlatform, "%q: %v", platform, err))
	}
	img.Platform = &pl
	return img, nil
}

// resolvePaths returns the absolute build context and Dockerfile of an
// image, as Serverless's resolveImageUriAndShaFromPath does:
// path.resolve(serviceDir, path) and path.resolve(context, file).
func resolvePaths(dir, path, file string) (string, string) {
	if file == "" {
		file = "Dockerfile"
	}
	context := path
	if !filepath.IsAbs(context) {
		context = filepath.Join(dir, context)
	}
	context = filepath.Clean(context)
	if !filepath.IsAbs(file) {
		file = filepath.Join(context, file)
	}
	return context, filepath.Clean(file)
}
