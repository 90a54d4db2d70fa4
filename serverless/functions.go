package serverless

import (
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"
)

// functionImageKeys are the keys of a function's image: mapping
// (Serverless's schema, lib/plugins/aws/provider.js).
var functionImageKeys = []string{"name", "uri", "command", "entryPoint", "workingDirectory"}

// functionRef is a function's key and the mapping holding it.
type functionRef struct {
	key    string
	parent field
}

// readFunctions reads functions: a mapping, or a list of mappings that
// Serverless merges (Service.mergeArrays). It needs p's images, service,
// stage and architecture.
func (r *reader) readFunctions(p *Project) error {
	fns, err := r.child(r.rootField(), "functions")
	if err != nil {
		return err
	}
	parents := []field{fns}
	if fns.n != nil && fns.n.Kind == yaml.SequenceNode {
		parents = parents[:0]
		for i := range fns.n.Content {
			e, err := r.child(fns, strconv.Itoa(i))
			if err != nil {
				return err
			}
			parents = append(parents, e)
		}
	}
	byKey := map[string]functionRef{}
	for _, parent := range parents {
		ms, err := r.keys(parent)
		if err != nil {
			return err
		}
		for _, m := range ms {
			byKey[m.key] = functionRef{key: m.key, parent: parent} // the last wins, as in Object.assign
		}
	}
	keys := make([]string, 0, len(byKey))
	for k := range byKey {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	for _, k := range keys {
		f, err := r.child(byKey[k].parent, k)
		if err != nil {
			return err
		}
		fn, ok, err := r.readFunction(p, k, f)
		if err != nil {
			return err
		}
		if ok {
			p.Functions = append(p.Functions, fn)
		} else {
			p.ZipFunctions = append(p.ZipFunctions, k)
		}
	}
	return nil
}

// readFunction reads the function key, f; false for a function without
// an image.
func (r *reader) readFunction(p *Project, key string, f field) (Function, bool, error) {
	fn := Function{Key: key, Line: f.line}
	if f.n == nil {
		return fn, false, nil
	}
	if f.n.Kind != yaml.MappingNode {
		return fn, false, r.errorf(f, "is %s: want a mapping", kindName(f.n))
	}
	img, err := r.child(f, "image")
	if err != nil || img.n == nil {
		return fn, false, err
	}
	if r.has(f, "handler") {
		// Serverless's FUNCTION_BOTH_HANDLER_AND_IMAGE_DEFINED_ERROR
		return fn, false, r.errorf(img, "is set with handler: a function has one or the other")
	}
	ref, err := r.functionImage(&fn, img)
	if err != nil {
		return fn, false, err
	}
	if fn.Image != "" {
		i, ok := p.Image(fn.Image)
		if !ok {
			names := make([]string, 0, len(p.Images))
			for _, i := range p.Images {
				names = append(names, i.Name)
			}
			defined := "none is"
			if len(names) > 0 {
				defined = strings.Join(names, ", ") + " are"
			}
			return fn, false, r.errorf(ref, "%q is not in provider.ecr.images (%s defined): define it there, or give an image URI", fn.Image, defined)
		}
		fn.ImageURI = i.URI
	}

	name, err := r.child(f, "name")
	if err != nil {
		return fn, false, err
	}
	if fn.Name, err = r.text(name); err != nil {
		return fn, false, err
	}
	if fn.Name == "" {
		fn.Name = p.Service + "-" + p.Stage + "-" + key // Service.setFunctionNames
	}
	arch, err := r.child(f, "architecture")
	if err != nil {
		return fn, false, err
	}
	if fn.Architecture, err = r.architecture(arch, p.Architecture); err != nil {
		return fn, false, err
	}
	return fn, true, nil
}

// functionImage reads a function's image, img, into fn, as Serverless's
// resolveImageUriAndSha does: a string is an image URI if it looks like
// one, else an image's name; a mapping has name or uri. It returns the
// field that names the image.
func (r *reader) functionImage(fn *Function, img field) (field, error) {
	if img.n.Kind == yaml.ScalarNode {
		s, err := r.text(img)
		if err != nil {
			return img, err
		}
		if isECRURI(s) {
			fn.ImageURI = s
		} else {
			fn.Image = s
		}
		return img, nil
	}
	ms, err := r.keys(img)
	if err != nil {
		return img, err
	}
	for _, m := range ms {
		if !slices.Contains(functionImageKeys, m.key) {
			r.note(field{path: join(img.path, m.key), line: m.line}, "is not a key Serverless knows: ignored")
		}
	}
	get := func(key string) (string, field, error) {
		c, err := r.child(img, key)
		if err != nil {
			return "", c, err
		}
		s, err := r.text(c)
		return s, c, err
	}
	name, nameField, err := get("name")
	if err != nil {
		return img, err
	}
	uri, uriField, err := get("uri")
	if err != nil {
		return img, err
	}
	switch {
	case name != "" && uri != "":
		// FUNCTION_IMAGE_BOTH_URI_AND_NAME_DEFINED_ERROR
		return img, r.errorf(img, "has both name (%s) and uri (%s): keep one", name, uri)
	case name == "" && uri == "":
		return img, r.errorf(img, "has neither name (an image of provider.ecr.images) nor uri: set one")
	case uri != "" && !isECRURI(uri):
		return img, r.errorf(uriField, "is %q: want an ECR image, <account>.dkr.ecr.<region>.amazonaws.com/<repository>@<digest> or :<tag>", uri)
	}
	fn.Image, fn.ImageURI = name, uri
	for _, l := range []struct {
		key string
		dst *[]string
	}{{"command", &fn.Command}, {"entryPoint", &fn.EntryPoint}} {
		c, err := r.child(img, l.key)
		if err != nil {
			return img, err
		}
		if *l.dst, err = r.list(c); err != nil {
			return img, err
		}
	}
	if fn.WorkingDirectory, _, err = get("workingDirectory"); err != nil {
		return img, err
	}
	if name != "" {
		return nameField, nil
	}
	return uriField, nil
}
