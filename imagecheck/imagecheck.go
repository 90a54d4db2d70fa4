// Package imagecheck checks a built image against what AWS Lambda accepts
// (FACTS §3): one single-platform manifest, gzip layers, at most 127 layers
// and 10 GB, an amd64 or arm64 architecture, a history entry per layer, a
// parent directory entry for every path, files the non-root runtime user
// can read. Lambda reports most of these only at deploy or first invoke.
package imagecheck

import (
	"archive/tar"
	"fmt"
	"path"
	"sort"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/layers"
)

// Finding IDs.
const (
	MaxLayers       = 127
	MaxUncompressed = 10 << 30 // bytes: Lambda's 10 GB image limit
)

// Manifest checks what the manifest and config say, without reading layers.
// uncompressed is the total uncompressed size when known (else 0: not checked).
func Manifest(img v1.Image, uncompressed int64) ([]findings.Finding, error) {
	var out []findings.Finding
	add := func(id string, sev findings.Severity, format string, a ...any) {
		out = append(out, findings.Finding{ID: id, Severity: sev, Message: fmt.Sprintf(format, a...)})
	}
	mt, err := img.MediaType()
	if err != nil {
		return nil, fmt.Errorf("reading the manifest media type: %w", err)
	}
	if mt != types.DockerManifestSchema2 && mt != types.OCIManifestSchema1 {
		add(findings.IDMediaType, findings.Error, "manifest media type %s: Lambda takes only a single-platform Docker v2 schema 2 or OCI image manifest, never an index", mt)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading the manifest: %w", err)
	}
	for i, l := range m.Layers {
		if l.MediaType != types.DockerLayer && l.MediaType != types.OCILayer {
			add(findings.IDCompression, findings.Error, "layer %d (%s) has media type %s: Lambda rejects layers that are not gzip (UnsupportedImageLayerDetected)", i+1, l.Digest, l.MediaType)
		}
	}
	if len(m.Layers) > MaxLayers {
		add(findings.IDLayerCount, findings.Error, "%d layers: Lambda takes at most %d", len(m.Layers), MaxLayers)
	}
	if uncompressed > MaxUncompressed {
		add(findings.IDSize, findings.Error, "%d bytes uncompressed: Lambda's limit is 10 GB", uncompressed)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the config: %w", err)
	}
	if cf.OS != "linux" || (cf.Architecture != "amd64" && cf.Architecture != "arm64") {
		add(findings.IDArchitecture, findings.Error, "platform %s/%s: Lambda runs linux/amd64 (x86_64) or linux/arm64 only", cf.OS, cf.Architecture)
	}
	withLayer := 0
	for _, h := range cf.History {
		if !h.EmptyLayer {
			withLayer++
		}
	}
	if withLayer < len(m.Layers) {
		add(findings.IDHistory, findings.Warning, "%d history entries for %d layers: give every layer a history entry (tools that read history, and Lambda's, expect one)", withLayer, len(m.Layers))
	}
	return out, nil
}

// Files checks the entries of the given layers, in order, as one tree:
// every path needs a directory entry for each parent in some layer, and
// every file must be readable (directories enterable) by Lambda's non-root
// user. Only the first max problems of each kind are named.
func Files(layerEntries [][]layers.Entry, max int) []findings.Finding {
	dirs := map[string]bool{"/": true}
	final := map[string]layers.Entry{}
	for _, es := range layerEntries {
		for _, e := range es {
			if strings.Contains(path.Base(e.Path), ".wh.") {
				continue
			}
			if e.Type == '5' {
				dirs[e.Path] = true
			}
			final[e.Path] = e
		}
	}
	paths := make([]string, 0, len(final))
	for p := range final {
		paths = append(paths, p)
	}
	sort.Strings(paths)
	var missing, unreadable []string
	seen := map[string]bool{}
	for _, p := range paths {
		for d := path.Dir(p); d != "/" && d != "."; d = path.Dir(d) {
			if !dirs[d] && !seen[d] {
				seen[d] = true
				missing = append(missing, d)
			}
		}
		if why := Unreadable(final[p]); why != "" {
			unreadable = append(unreadable, p+" ("+why+")")
		}
	}
	sort.Strings(missing)
	var out []findings.Finding
	if len(missing) > 0 {
		out = append(out, findings.Finding{ID: findings.IDParentDir, Severity: findings.Error,
			Message: fmt.Sprintf("no directory entry for %s: Lambda fails with MissingParentDirectory; rebuild the layer with explicit parent directories", findings.Summarize(missing, max))})
	}
	if len(unreadable) > 0 {
		out = append(out, findings.Finding{ID: findings.IDLambdaUnreadable, Severity: findings.Warning,
			Message: fmt.Sprintf("not readable by Lambda's non-root user: %s; make files world-readable (0644) and directories world-executable (0755)", findings.Summarize(unreadable, max))})
	}
	return out
}

// Unreadable says why Lambda's non-root user (neither the owner nor in
// the group of a root-owned file) cannot use e, or "" when it can:
// directories must be world-readable and -executable, files
// world-readable, and executables world-executable.
func Unreadable(e layers.Entry) string {
	switch e.Type {
	case tar.TypeDir:
		if e.Mode&0o005 != 0o005 {
			return fmt.Sprintf("directory %04o, others cannot list or enter it", e.Mode)
		}
	case tar.TypeReg, 0:
		if e.Mode&0o004 == 0 {
			return fmt.Sprintf("%04o, others cannot read it", e.Mode)
		}
		if e.Mode&0o110 != 0 && e.Mode&0o001 == 0 {
			return fmt.Sprintf("%04o, others cannot execute it", e.Mode)
		}
	}
	return ""
}
