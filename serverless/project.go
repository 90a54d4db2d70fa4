package serverless

import (
	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Options are the inputs serverless.yml can read besides itself: the
// command line's --stage and --region, and the environment.
type Options struct {
	// Stage is --stage: ${opt:stage} and ${sls:stage}, and the stage
	// itself, before provider.stage. "" when not given.
	Stage string
	// Region is --region: ${opt:region} and ${aws:region}, and the region
	// itself, before provider.region. "" when not given.
	Region string
	// Getenv reads ${env:NAME}; "" means unset, as nil Getenv does for
	// every name. Pass os.Getenv to read the process's environment.
	Getenv func(string) string
}

// The architectures Lambda runs, as serverless.yml names them.
const (
	ArchX86 = "x86_64" // the default
	ArchARM = "arm64"
)

// Project is what brefimg reads from a serverless.yml.
type Project struct {
	// File is the serverless.yml path as given to Load; errors name it.
	File string
	// Dir is the absolute directory of File: images' paths are relative
	// to it.
	Dir string
	// Service is the service name.
	Service string
	// Stage is --stage, else provider.stage, else "dev".
	Stage string
	// Region is --region, else provider.region, else "us-east-1".
	Region string
	// Architecture is provider.architecture: ArchX86 (the default) or
	// ArchARM.
	Architecture string
	// ScanOnPush is provider.ecr.scanOnPush: the ECR repository Serverless
	// creates scans images on push.
	ScanOnPush bool
	// MaxImages is provider.ecr.maxImages (Serverless v4): the ECR
	// repository keeps that many superseded images; 0 when not set.
	MaxImages int
	// Images are provider.ecr.images, sorted by name.
	Images []Image
	// Functions are the functions with an image, sorted by key.
	Functions []Function
	// ZipFunctions are the keys of the functions without an image (handler
	// and layers), sorted: brefimg leaves them to Serverless.
	ZipFunctions []string
	// Notes are what serverless.yml says that brefimg ignores or reads
	// differently (cacheFrom, buildOptions, images no function uses, …),
	// each "FILE:LINE: path: note".
	Notes []string
}

// Image is one of provider.ecr.images: built from a Dockerfile (Path set)
// or given by URI (URI set), which brefimg leaves alone.
type Image struct {
	// Name is the image's key; Serverless tags the image with it.
	Name string
	// Path is the absolute directory of the build context; "" when URI is
	// set.
	Path string
	// File is the absolute path of the Dockerfile: file: (default
	// "Dockerfile") joined to Path; "" when URI is set.
	File string
	// BuildArgs are buildArgs:, the Dockerfile's ARG values; nil when none.
	BuildArgs map[string]string
	// Platform is platform:, or nil when not set (see
	// Project.ImagePlatform).
	Platform *v1.Platform
	// URI is uri: (or a string value that is an ECR image URI): an image
	// that exists already and that brefimg does not build.
	URI string
	// Functions are the keys of the functions using the image by name,
	// sorted. Serverless builds only images some function uses.
	Functions []string
	// Line is the line of the image's key in serverless.yml.
	Line int
}

// Built reports whether brefimg builds img: it has a Path, not a URI.
func (img Image) Built() bool { return img.URI == "" }

// Function is a function with an image.
type Function struct {
	// Key is the function's key under functions:.
	Key string
	// Name is the Lambda function's name: name:, else
	// "<service>-<stage>-<key>".
	Name string
	// Image is the name of the provider.ecr.images entry the function
	// uses; "" when the function gives an image URI itself.
	Image string
	// ImageURI is the image URI the function gives, or that of the
	// provider.ecr.images entry it names when that entry has a uri; ""
	// when the image is built.
	ImageURI string
	// Command is image.command (the CMD override); nil when not set. A
	// string is read as a one-element list.
	Command []string
	// EntryPoint is image.entryPoint (the ENTRYPOINT override); nil when
	// not set. A string is read as a one-element list.
	EntryPoint []string
	// WorkingDirectory is image.workingDirectory; "" when not set.
	WorkingDirectory string
	// Architecture is the function's architecture: architecture:, else
	// the provider's.
	Architecture string
	// Line is the line of the function's key in serverless.yml.
	Line int
}

// Image returns the image called name and true, or false if there is none.
func (p *Project) Image(name string) (Image, bool) {
	for _, img := range p.Images {
		if img.Name == name {
			return img, true
		}
	}
	return Image{}, false
}
