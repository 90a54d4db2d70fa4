package serverless

import (
	"regexp"
	"strings"
)

// dashes is a run of "-".
var dashes = regexp.MustCompile(`-+`)

// Repository returns the name of the ECR repository Serverless pushes the
// project's images to, each tagged with its image's name:
// "serverless-<service>-<stage>", lowercased, runs of "-" made one, and no
// trailing "-".
//
// This is getEcrRepositoryName in Serverless's
// lib/plugins/aws/lib/naming.js, the same in v3.38.0 (ee7fe48457cb),
// v3.40.0 (19128fadcd30) and v4 (packages/serverless/… at sf-core@4.41.0,
// d20837c20d1f):
//
//	return `serverless-${serviceName}-${stage}`.toLowerCase().replace(/-+/g, '-').replace(/-$/, '');
//
// where serviceName is service: and stage is --stage, else provider.stage,
// else "dev" (provider.getStage).
func (p *Project) Repository() string {
	name := dashes.ReplaceAllString(strings.ToLower("serverless-"+p.Service+"-"+p.Stage), "-")
	return strings.TrimSuffix(name, "-")
}

// ecrURI is isEcrUri of Serverless's lib/plugins/aws/provider.js (v3.40.0
// and v4 alike): how Serverless tells an image URI from an image name in
// functions.*.image and provider.ecr.images.* given as strings. As in
// JavaScript, the "|" splits the whole pattern: an ECR host and path, or
// anything ending in a digest.
var ecrURI = regexp.MustCompile(`^\d+\.dkr\.ecr\.[a-z0-9-]+..amazonaws.com/([^@]+)|([^@:]+@sha256:[a-f0-9]{64})$`)

// isECRURI reports whether Serverless reads s as an image URI.
func isECRURI(s string) bool { return ecrURI.MatchString(s) }

// imageTag matches a valid image tag (the OCI distribution spec's): an
// image's name becomes its tag.
var imageTag = regexp.MustCompile(`^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$`)
