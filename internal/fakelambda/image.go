package fakelambda

import (
	"fmt"
	"regexp"
	"strings"
)

// ecrImage is an image URI in an ECR registry: account, region, repository,
// tag, digest.
var ecrImage = regexp.MustCompile(`^(\d{12})\.dkr\.ecr\.([a-z0-9-]+)\.amazonaws\.com(?:\.cn)?/` +
	`((?:[a-z0-9]+(?:[._-][a-z0-9]+)*/)*[a-z0-9]+(?:[._-][a-z0-9]+)*)` +
	`(?::([A-Za-z0-9_][A-Za-z0-9_.-]{0,127}))?(?:@(sha256:[a-f0-9]{64}))?$`)

// image is an image URI Lambda accepted, with its manifest digest.
type image struct {
	uri            string // as given
	registryRegion string
	repository     string // registry host/repository
	digest         string // "sha256:…"
}

// resolved is the image URI by digest, as Code.ResolvedImageUri gives it.
func (i image) resolved() string { return i.repository + "@" + i.digest }

// sha is the function's CodeSha256 for the image: the digest's hex.
func (i image) sha() string { return strings.TrimPrefix(i.digest, "sha256:") }

// resolve parses an ECR image URI and finds its digest: the one it names, or
// the one SetImageDigest gave its tag. It refuses what Lambda refuses, with
// Lambda's error. s.mu must be held.
func (s *Server) resolve(uri string) (image, *apiError) {
	m := ecrImage.FindStringSubmatch(uri)
	if m == nil || (m[4] == "" && m[5] == "") {
		return image{}, notValidImage(uri)
	}
	img := image{uri: uri, registryRegion: m[2], repository: uri[:strings.Index(uri, "/")] + "/" + m[3], digest: m[5]}
	if img.digest == "" {
		d, ok := s.digests[uri]
		if !ok {
			return image{}, invalidParameter(fmt.Sprintf("Source image %s does not exist. Provide a valid source image.", uri))
		}
		img.digest = d
	}
	return img, nil
}

// notValidImage is Lambda's answer to an image URI it cannot use: not in
// ECR, or in a registry of another region.
func notValidImage(uri string) *apiError {
	return invalidParameter(fmt.Sprintf("Source image %s is not valid. Provide a valid source image.", uri))
}
