package main

import (
	"archive/tar"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"sort"
	"strings"
	"text/tabwriter"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/spf13/pflag"

	"github.com/brefimg/brefimg/builder"
	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/imagecheck"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
	"github.com/brefimg/brefimg/registry/ecr"
)

const inspectUsage = `Usage: brefimg inspect [flags] REF|oci:DIR|tar:FILE

Shows what an image is made of: manifest type, platform, config, layers with
their size and the step that added them, the Bref line and extensions it
recognises, and the Lambda checks that need no file contents.

Examples:
  brefimg inspect 123456789012.dkr.ecr.eu-west-1.amazonaws.com/app:1
  brefimg inspect --json oci:out/image
  brefimg inspect --tree /opt/bref-extra tar:image.tar

`

// Inspection is what inspect prints, and its --json form.
type Inspection struct {
	Reference  string              `json:"reference"`
	Digest     string              `json:"digest"`
	MediaType  string              `json:"mediaType"`
	Platform   string              `json:"platform"`
	Entrypoint []string            `json:"entrypoint"`
	Cmd        []string            `json:"cmd"`
	Env        []string            `json:"env"`
	WorkingDir string              `json:"workingDir"`
	Bref       *BrefInfo           `json:"bref,omitempty"`
	Layers     []InspectedLayer    `json:"layers"`
	Checks     []findings.Finding  `json:"checks"`
	Tree       []InspectedTreeItem `json:"tree,omitempty"`
}

// BrefInfo is what inspect recognises of Bref in an image.
type BrefInfo struct {
	Base       string   `json:"base,omitempty"`
	Line       int      `json:"line,omitempty"`
	PHP        string   `json:"php,omitempty"`
	Extensions []string `json:"extensions"`
}

// InspectedLayer is one layer with the history entry that made it.
type InspectedLayer struct {
	Digest    string `json:"digest"`
	Size      int64  `json:"size"`
	MediaType string `json:"mediaType"`
	CreatedBy string `json:"createdBy"`
}

// InspectedTreeItem is one file under --tree.
type InspectedTreeItem struct {
	Path     string `json:"path"`
	Type     string `json:"type"`
	Mode     string `json:"mode"`
	Owner    string `json:"owner"`
	Size     int64  `json:"size"`
	Linkname string `json:"linkname,omitempty"`
}

// inspectFlags declares the flags of inspect.
func inspectFlags() *pflag.FlagSet {
	fs := pflag.NewFlagSet("inspect", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	fs.Bool("json", false, "print JSON")
	fs.String("tree", "", "also list the files under this path (reads the layers, streamed)")
	fs.String("platform", "linux/amd64", "the platform to pick when REF is an index")
	fs.String("mirror", "", "pull Docker Hub images through this registry: HOST[/PREFIX]")
	fs.StringArray("insecure-registry", nil, "allow plain HTTP / unverified TLS for this host (repeatable)")
	return fs
}

func runInspect(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := inspectFlags()
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, inspectUsage+"Flags:\n"+fs.FlagUsages())
			return exitOK
		}
		return usageError(stderr, "inspect", parseError(fs, err))
	}
	asJSON, _ := fs.GetBool("json")
	tree, _ := fs.GetString("tree")
	platform, _ := fs.GetString("platform")
	mirror, _ := fs.GetString("mirror")
	insecure, _ := fs.GetStringArray("insecure-registry")
	if fs.NArg() != 1 {
		return usageError(stderr, "inspect", errors.New("name one image: REF, oci:DIR or tar:FILE"))
	}
	target := fs.Arg(0)
	var img v1.Image
	if strings.HasPrefix(target, "oci:") || strings.HasPrefix(target, "tar:") {
		out, err := registry.ParseOutput(target)
		if err != nil {
			return usageError(stderr, "inspect", err)
		}
		if img, err = out.Read(); err != nil {
			return fail(stderr, plan.AsInput(plan.FieldImage, err))
		}
	} else {
		kc, err := ecr.NewKeychain()
		if err != nil {
			return fail(stderr, err)
		}
		opts := []registry.Option{registry.WithInsecure(insecure...), registry.WithKeychain(kc)}
		if mirror != "" {
			opts = append(opts, registry.WithMirror(mirror))
		}
		client, err := registry.New(opts...)
		if err != nil {
			return usageError(stderr, "inspect", err)
		}
		p, err := v1.ParsePlatform(platform)
		if err != nil {
			return usageError(stderr, "inspect", fmt.Errorf("--platform %q is not OS/ARCH", platform))
		}
		if img, _, err = client.Image(ctx, target, *p); err != nil {
			return fail(stderr, err)
		}
	}
	in, err := inspect(target, img)
	if err != nil {
		return fail(stderr, err)
	}
	if tree != "" {
		if in.Tree, err = listTree(img, tree); err != nil {
			return fail(stderr, err)
		}
	}
	if asJSON {
		b, _ := json.MarshalIndent(in, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
		return exitOK
	}
	printInspection(stdout, in, tree)
	return exitOK
}

func inspect(ref string, img v1.Image) (*Inspection, error) {
	d, err := img.Digest()
	if err != nil {
		return nil, fmt.Errorf("reading %s: %w", ref, err)
	}
	m, err := img.Manifest()
	if err != nil {
		return nil, fmt.Errorf("reading the manifest of %s: %w", ref, err)
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return nil, fmt.Errorf("reading the config of %s: %w", ref, err)
	}
	in := &Inspection{Reference: ref, Digest: d.String(), MediaType: string(m.MediaType),
		Platform: cf.OS + "/" + cf.Architecture, Entrypoint: cf.Config.Entrypoint, Cmd: cf.Config.Cmd,
		Env: cf.Config.Env, WorkingDir: cf.Config.WorkingDir, Layers: []InspectedLayer{}}
	var history []string
	for _, h := range cf.History {
		if !h.EmptyLayer {
			history = append(history, h.CreatedBy)
		}
	}
	for i, l := range m.Layers {
		il := InspectedLayer{Digest: l.Digest.String(), Size: l.Size, MediaType: string(l.MediaType)}
		if i < len(history) {
			il.CreatedBy = history[i]
		}
		in.Layers = append(in.Layers, il)
	}
	in.Bref = recognize(m.Annotations, cf.Config.Labels, history)
	if in.Checks, err = imagecheck.Manifest(img, 0); err != nil {
		return nil, err
	}
	if in.Checks == nil {
		in.Checks = []findings.Finding{}
	}
	return in, nil
}

// recognize finds the Bref base and extensions from what brefimg records
// (annotations or labels) and from the history any Dockerfile build leaves.
func recognize(annotations, labels map[string]string, history []string) *BrefInfo {
	info := &BrefInfo{Extensions: []string{}}
	meta := map[string]string{}
	for k, v := range labels {
		meta[k] = v
	}
	for k, v := range annotations {
		meta[k] = v
	}
	if base := meta[builder.AnnotationBaseName]; base != "" {
		if r, ok := extensions.RecognizeBase(base); ok {
			info.Base, info.Line, info.PHP = base, r.Line, r.PHP
		}
	}
	seen := map[string]bool{}
	addExt := func(s string) {
		if name, _, tag, ok := extensions.RecognizeExtension(s); ok && !seen[name] {
			seen[name] = true
			if tag != "" {
				name += "@" + tag
			}
			info.Extensions = append(info.Extensions, name)
		}
	}
	keys := make([]string, 0, len(meta))
	for k := range meta {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		if strings.HasPrefix(k, builder.AnnotationInputPrefix) {
			addExt(meta[k])
		}
	}
	for _, h := range history {
		addExt(h)
	}
	if info.Base == "" && len(info.Extensions) == 0 {
		return nil
	}
	return info
}

func printInspection(w io.Writer, in *Inspection, treePath string) {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "Reference:\t%s\n", in.Reference)
	fmt.Fprintf(tw, "Digest:\t%s\n", in.Digest)
	fmt.Fprintf(tw, "Manifest:\t%s (single-platform)\n", in.MediaType)
	fmt.Fprintf(tw, "Platform:\t%s\n", in.Platform)
	fmt.Fprintf(tw, "Entrypoint:\t%q\n", in.Entrypoint)
	fmt.Fprintf(tw, "Cmd:\t%q\n", in.Cmd)
	fmt.Fprintf(tw, "WorkingDir:\t%s\n", in.WorkingDir)
	for i, e := range in.Env {
		label := ""
		if i == 0 {
			label = "Env:"
		}
		fmt.Fprintf(tw, "%s\t%s\n", label, e)
	}
	if b := in.Bref; b != nil {
		if b.Base != "" {
			fmt.Fprintf(tw, "Bref:\tline %d, PHP %s (base %s)\n", b.Line, b.PHP, b.Base)
		}
		if len(b.Extensions) > 0 {
			fmt.Fprintf(tw, "Extensions:\t%s\n", strings.Join(b.Extensions, ", "))
		}
	}
	tw.Flush()
	fmt.Fprintln(w, "Layers:")
	tw = tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "  #\tDIGEST\tSIZE\tCREATED BY")
	for i, l := range in.Layers {
		fmt.Fprintf(tw, "  %d\t%s\t%s\t%s\n", i+1, short(l.Digest), humanBytes(l.Size), l.CreatedBy)
	}
	tw.Flush()
	if len(in.Checks) == 0 {
		fmt.Fprintln(w, "Lambda checks: ok (manifest, layers, platform, history)")
	} else {
		fmt.Fprintln(w, "Lambda checks:")
		for _, f := range in.Checks {
			fmt.Fprintf(w, "  %s\n", f)
		}
	}
	if treePath != "" {
		fmt.Fprintf(w, "Files under %s:\n", treePath)
		tw = tabwriter.NewWriter(w, 0, 4, 1, ' ', 0)
		for _, f := range in.Tree {
			link := ""
			if f.Linkname != "" {
				link = " -> " + f.Linkname
			}
			fmt.Fprintf(tw, "  %s\t%s\t%s\t%d\t%s%s\n", f.Type, f.Mode, f.Owner, f.Size, f.Path, link)
		}
		tw.Flush()
	}
}

// listTree streams the image's flattened filesystem and keeps what lies under dir.
func listTree(img v1.Image, dir string) ([]InspectedTreeItem, error) {
	dir = path.Clean("/" + dir)
	rc := mutate.Extract(img)
	defer rc.Close()
	tr := tar.NewReader(rc)
	var out []InspectedTreeItem
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("reading the image's files: %w", err)
		}
		p := path.Clean("/" + h.Name)
		if p != dir && !strings.HasPrefix(p, strings.TrimSuffix(dir, "/")+"/") {
			continue
		}
		out = append(out, InspectedTreeItem{Path: p, Type: typeName(h.Typeflag), Mode: fmt.Sprintf("%04o", h.Mode&0o7777),
			Owner: fmt.Sprintf("%d:%d", h.Uid, h.Gid), Size: h.Size, Linkname: h.Linkname})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Path < out[j].Path })
	return out, nil
}

func typeName(t byte) string {
	switch t {
	case tar.TypeDir:
		return "dir"
	case tar.TypeSymlink:
		return "symlink"
	case tar.TypeLink:
		return "hardlink"
	case tar.TypeReg:
		return "file"
	}
	return fmt.Sprintf("type-%c", t)
}
