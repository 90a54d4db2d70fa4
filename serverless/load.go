package serverless

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"

	"go.yaml.in/yaml/v3"

	"github.com/brefimg/brefimg/plan"
)

// maxFile bounds the size of serverless.yml.
const maxFile = 4 << 20

// Load reads the serverless.yml at path (serverless.yaml alike) with o's
// stage, region and environment. It checks what Serverless would refuse
// when deploying the images (provider.name not aws, a function naming an
// image provider.ecr.images lacks, an image with both uri and path, …)
// and that the Dockerfile of every image a function uses exists.
//
// Every error the file causes is a *plan.InputError whose message names
// the file, the line and the field.
func Load(path string, o Options) (*Project, error) {
	data, err := readFile(path)
	if err != nil {
		return nil, err
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, plan.Inputf(plan.FieldFile, "%s: %v", path, err)
	}
	if len(doc.Content) == 0 {
		return nil, plan.Inputf(plan.FieldFile, "%s is empty: is it a serverless.yml?", path)
	}
	root := deref(doc.Content[0])
	if root.Kind != yaml.MappingNode {
		return nil, plan.Inputf(plan.FieldFile, "%s:%d: the file is %s: want a serverless.yml mapping (service:, provider:, functions:)", path, root.Line, kindName(root))
	}
	dir, err := filepath.Abs(filepath.Dir(path))
	if err != nil {
		return nil, fmt.Errorf("serverless.yml's directory: %w", err)
	}

	r := &reader{file: path, root: root, opts: o, active: map[*yaml.Node]bool{}}
	p := &Project{File: path, Dir: dir}
	if p.Service, err = r.readService(); err != nil {
		return nil, err
	}
	ecr, err := r.readProvider(p)
	if err != nil {
		return nil, err
	}
	if p.Images, err = r.readImages(dir, ecr); err != nil {
		return nil, err
	}
	if err := r.readFunctions(p); err != nil {
		return nil, err
	}
	if err := r.link(p); err != nil {
		return nil, err
	}
	p.Notes = r.sortedNotes()
	return p, nil
}

// readFile reads path, a serverless.yml of at most maxFile bytes.
func readFile(path string) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		if errors.Is(err, fs.ErrNotExist) {
			return nil, plan.Inputf(plan.FieldFile, "%s does not exist: pass the path of your serverless.yml", path)
		}
		return nil, plan.AsInput(plan.FieldFile, fmt.Errorf("reading %w", err))
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFile+1))
	if err != nil {
		return nil, plan.AsInput(plan.FieldFile, fmt.Errorf("reading %w", err))
	}
	if len(data) > maxFile {
		return nil, plan.Inputf(plan.FieldFile, "%s is larger than %d bytes: is it a serverless.yml?", path, maxFile)
	}
	return data, nil
}

// readService reads service: a name, or v1's {name: …}, which Serverless
// v3 and v4 refuse (SERVICE_OBJECT_NOTATION) but brefimg reads with a
// note.
func (r *reader) readService() (string, error) {
	f, err := r.child(r.rootField(), "service")
	if err != nil {
		return "", err
	}
	if f.n != nil && f.n.Kind == yaml.MappingNode {
		r.note(f, "is a mapping, v1's form, which Serverless v3 and v4 refuse: write service: <name>")
		if f, err = r.child(f, "name"); err != nil {
			return "", err
		}
	}
	s, err := r.text(f)
	if err != nil {
		return "", err
	}
	if s == "" {
		return "", r.errorf(f, "is not set: name the service (service: my-app)")
	}
	return s, nil
}

// link records which functions use each image, notes the images no
// function uses, and checks that the images functions use have a
// Dockerfile.
func (r *reader) link(p *Project) error {
	for _, fn := range p.Functions {
		if fn.Image == "" {
			continue
		}
		for i := range p.Images {
			if p.Images[i].Name == fn.Image {
				p.Images[i].Functions = append(p.Images[i].Functions, fn.Key)
			}
		}
	}
	for _, img := range p.Images {
		f := field{path: join("provider.ecr.images", img.Name), line: img.Line}
		switch {
		case len(img.Functions) == 0:
			r.note(f, "no function uses it: Serverless does not build it")
		case img.Built():
			if err := checkDockerfile(img.File); err != nil {
				return r.fail(f, err)
			}
		}
	}
	return nil
}

// checkDockerfile checks that the Dockerfile at path is a file, as
// Serverless does before building (DOCKERFILE_NOT_AVAILABLE_ERROR).
func checkDockerfile(path string) error {
	st, err := os.Stat(path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		return fmt.Errorf("the Dockerfile %s does not exist: check path and file", path)
	case err != nil:
		return fmt.Errorf("the Dockerfile: %w", err)
	case st.IsDir():
		return fmt.Errorf("the Dockerfile %s is a directory: file names the Dockerfile inside path", path)
	}
	return nil
}
