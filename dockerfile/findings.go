package dockerfile

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/moby/patternmatcher/ignorefile"

	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/findings"
)

// dockerHubRepo returns the Docker Hub repository ref names ("bref/php-80")
// and whether ref gives a tag or digest; ok is false for other registries.
func dockerHubRepo(ref string) (repo string, pinned bool, ok bool) {
	r, err := name.ParseReference(ref)
	if err != nil || r.Context().RegistryStr() != name.DefaultRegistry {
		return "", false, false
	}
	repo = r.Context().RepositoryStr()
	if _, isDigest := r.(name.Digest); isDigest {
		return repo, true, true
	}
	last := ref[strings.LastIndex(ref, "/")+1:]
	return repo, strings.Contains(last, ":"), true
}

// brefExtensionTag returns the tag of a bref/extra-* reference, if it has one.
func brefExtensionTag(ref string) (string, bool) {
	_, pinned, ok := dockerHubRepo(ref)
	if !ok || !pinned || extensionName(ref) == "" || strings.Contains(ref, "@") {
		return "", false
	}
	return ref[strings.LastIndex(ref, ":")+1:], true
}

// checkTag warns when ref is a bref/ image without a tag.
func (d *dispatcher) checkTag(ref string, line int) {
	repo, pinned, ok := dockerHubRepo(ref)
	if !ok || pinned || !strings.HasPrefix(repo, "bref/") {
		return
	}
	msg := fmt.Sprintf("%s has no tag, so it pulls :latest, which moved from Bref 1 to Bref 2 in March 2023 (brefphp/bref#1458) and will move again", ref)
	if r, ok := extensions.RecognizeBase(repo); ok {
		var lines []int
		suffixed := strings.HasSuffix(repo, "-fpm") || strings.HasSuffix(repo, "-console")
		for _, l := range extensions.Lines() {
			versions, err := extensions.PHPVersions(l)
			if err != nil || !slices.Contains(versions, r.PHP) || (suffixed && l == 3) || (r.Arch == "arm64" && l == 1) {
				continue
			}
			lines = append(lines, l)
		}
		var choices []string
		for _, l := range lines {
			choices = append(choices, fmt.Sprintf("%s:%d (Bref %d)", ref, l, l))
		}
		if len(choices) > 0 {
			msg += ": pin the major tag, " + strings.Join(choices, " or ")
		} else {
			msg += ": pin a tag"
		}
		if hint := d.lineFromExtensions(); hint != 0 && slices.Contains(lines, hint) {
			msg += fmt.Sprintf("; the extension images this Dockerfile copies are for Bref %d, so %s:%d", hint, ref, hint)
		}
	} else if ext, php, _, ok := extensions.RecognizeExtension(repo); ok {
		var choices []string
		for _, l := range extensions.Lines() {
			if t := extensions.DefaultTag(l, ext, php); t != "" {
				choices = append(choices, fmt.Sprintf(":%s (Bref %d)", t, l))
			}
		}
		msg += ": pin the tag of your Bref line"
		if len(choices) > 0 {
			msg += ", " + strings.Join(choices, " or ")
		}
	} else {
		msg += ": pin a tag"
	}
	d.findings = append(d.findings, findings.Finding{ID: findings.IDUntagged, Severity: findings.Warning, Path: d.file, Line: line, Message: msg})
}

// lineFromExtensions returns the Bref line every tagged extension image of
// the Dockerfile belongs to, or 0 when they do not agree.
func (d *dispatcher) lineFromExtensions() int {
	line := 0
	for _, t := range d.extTags {
		l := extensions.LineOfTag(t)
		if l == 0 || (line != 0 && l != line) {
			return 0
		}
		line = l
	}
	return line
}

// imageName is a short name for an image a step copies from: the
// extension's name for bref/extra-* images, else the repository's last
// path element.
func imageName(ref string) string {
	if n := extensionName(ref); n != "" {
		return n
	}
	r, err := name.ParseReference(ref)
	if err != nil {
		return ref
	}
	return path.Base(r.Context().RepositoryStr())
}

// extensionName returns the extension a bref/extra-* image of Docker Hub
// provides, or "" for any other image.
func extensionName(ref string) string {
	repo, _, ok := dockerHubRepo(ref)
	if !ok {
		return ""
	}
	if n, _, _, ok := extensions.RecognizeExtension(repo); ok {
		return n
	}
	return ""
}

// readOwnIgnore reads <dockerfile>.dockerignore next to the Dockerfile;
// nil when there is none.
func readOwnIgnore(dockerfile string) ([]string, error) {
	f, err := os.Open(dockerfile + ".dockerignore")
	if errors.Is(err, fs.ErrNotExist) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("reading %s.dockerignore: %w", dockerfile, err)
	}
	defer f.Close()
	patterns, err := ignorefile.ReadAll(f)
	if err != nil {
		return nil, fmt.Errorf("reading %s.dockerignore: %w", dockerfile, err)
	}
	if patterns == nil {
		patterns = []string{}
	}
	return patterns, nil
}
