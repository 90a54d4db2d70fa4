package main

import (
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"

	"github.com/spf13/pflag"
	"go.yaml.in/yaml/v3"

	"github.com/brefimg/brefimg/flagplan"
	"github.com/brefimg/brefimg/plan"
)

// envPrefix + the flag name in upper case, dashes as underscores, sets a flag.
const envPrefix = "BREFIMG_"

// group puts flags under a heading in help output.
func group(fs *pflag.FlagSet, heading string, names ...string) {
	for _, n := range names {
		if err := fs.SetAnnotation(n, "group", []string{heading}); err != nil {
			panic("flag group: " + err.Error()) // a programming error, caught by the help tests
		}
	}
}

// rareGroups are the flag groups build's short --help leaves to --help-all.
var rareGroups = []string{"BuildKit", "Speed", "Amazon ECR", "Registry"}

// groupedUsage renders the flags under their headings, in the order the
// headings were first used; all false leaves out rareGroups (when the
// command has a --help-all to show them).
func groupedUsage(fs *pflag.FlagSet, all ...bool) string {
	short := fs.Lookup("help-all") != nil && !(len(all) > 0 && all[0])
	var order []string
	byGroup := map[string]*pflag.FlagSet{}
	fs.VisitAll(func(f *pflag.Flag) {
		g := "Other"
		if a := f.Annotations["group"]; len(a) > 0 {
			g = a[0]
		}
		if byGroup[g] == nil {
			byGroup[g] = pflag.NewFlagSet(g, pflag.ContinueOnError)
			byGroup[g].SortFlags = false
			order = append(order, g)
		}
		byGroup[g].AddFlag(f)
	})
	var b strings.Builder
	var left []string
	for _, g := range order {
		if short && slices.Contains(rareGroups, g) {
			left = append(left, g)
			continue
		}
		fmt.Fprintf(&b, "%s:\n%s\n", g, byGroup[g].FlagUsages())
	}
	if len(left) > 0 {
		fmt.Fprintf(&b, "--help-all shows every flag (also: %s).\n", strings.Join(left, ", "))
	}
	return strings.TrimRight(b.String(), "\n") + "\n"
}

// envName is the environment variable that sets a flag.
func envName(flag string) string {
	return envPrefix + strings.ToUpper(strings.ReplaceAll(flag, "-", "_"))
}

// configNotFromFile are flags that make no sense in brefimg.yaml or the environment.
var configNotFromFile = map[string]bool{"help": true, "help-all": true, "dry-run": true}

// source says where a flag's value came from.
type source string

// The sources of a flag's value, from the strongest.
const (
	fromFlag    source = "flag"
	fromEnv     source = "env"
	fromFile    source = "file" // brefimg.yaml
	fromDefault source = "default"
)

// applyConfig fills every flag not given on the command line from the
// environment (BREFIMG_<FLAG>), then from APP_DIR/brefimg.yaml, and returns
// where each flag's value came from.
func applyConfig(fs *pflag.FlagSet, appDir string, getenv env) (map[string]source, error) {
	sources := map[string]source{}
	fs.VisitAll(func(f *pflag.Flag) {
		sources[f.Name] = fromDefault
		if f.Changed {
			sources[f.Name] = fromFlag
		}
	})
	var errs []error
	fs.VisitAll(func(f *pflag.Flag) {
		if f.Changed || configNotFromFile[f.Name] {
			return
		}
		v := getenv(envName(f.Name))
		if v == "" {
			return
		}
		if err := setFlag(fs, f, splitList(f, v)); err != nil {
			errs = append(errs, fmt.Errorf("%s=%q: %v", envName(f.Name), v, err))
			return
		}
		sources[f.Name] = fromEnv
	})
	if len(errs) > 0 {
		return nil, errors.Join(errs...)
	}
	values, file, err := readConfigFile(appDir)
	if err != nil || values == nil {
		return sources, err
	}
	keys := make([]string, 0, len(values))
	for k := range values {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var o buildOptions
	all := newBuildFlags(&o, false) // the file serves every command: keys are build's flags
	for _, k := range keys {
		if all.Lookup(k) == nil || configNotFromFile[k] {
			return nil, fmt.Errorf("%s: unknown key %q%s: keys are flag names of brefimg build (ext, php, bref, …)", file, k, suggestFlag(all, k))
		}
		f := fs.Lookup(k)
		if f == nil {
			continue // a build flag this command does not take
		}
		if sources[k] != fromDefault {
			continue // a flag or the environment wins
		}
		if err := setFlag(fs, f, values[k]); err != nil {
			return nil, fmt.Errorf("%s: %s: %v", file, k, err)
		}
		sources[k] = fromFile
	}
	return sources, nil
}

// readConfigFile reads APP_DIR/brefimg.yaml as flag name -> values.
func readConfigFile(appDir string) (map[string][]string, string, error) {
	if appDir == "" {
		appDir = "."
	}
	file := filepath.Join(appDir, flagplan.ConfigFile)
	b, err := os.ReadFile(file)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, file, nil
	}
	if err != nil {
		return nil, file, fmt.Errorf("reading %s: %w", file, err)
	}
	// Decoded as nodes, so values keep their text: php: 8.0 stays "8.0".
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, file, fmt.Errorf("%s is not valid YAML: %v", file, err)
	}
	out := map[string][]string{}
	if len(doc.Content) == 0 {
		return out, file, nil
	}
	m := doc.Content[0]
	if m.Kind != yaml.MappingNode {
		return nil, file, fmt.Errorf("%s: must be a mapping of flag names to values (e.g. ext: [redis, gmp])", file)
	}
	for i := 0; i+1 < len(m.Content); i += 2 {
		k, v := m.Content[i].Value, m.Content[i+1]
		switch v.Kind {
		case yaml.ScalarNode:
			if v.Tag != "!!null" {
				out[k] = []string{v.Value}
			}
		case yaml.SequenceNode:
			for _, item := range v.Content {
				if item.Kind != yaml.ScalarNode {
					return nil, file, fmt.Errorf("%s:%d: %s: list items must be plain values", file, item.Line, k)
				}
				out[k] = append(out[k], item.Value)
			}
		default:
			return nil, file, fmt.Errorf("%s:%d: %s: must be a value or a list, not a mapping", file, v.Line, k)
		}
	}
	return out, file, nil
}

// splitList splits a comma-separated environment value for repeatable flags.
func splitList(f *pflag.Flag, v string) []string {
	if strings.HasSuffix(f.Value.Type(), "Array") || strings.HasSuffix(f.Value.Type(), "Slice") {
		var out []string
		for _, s := range strings.Split(v, ",") {
			if s = strings.TrimSpace(s); s != "" {
				out = append(out, s)
			}
		}
		return out
	}
	return []string{v}
}

func setFlag(fs *pflag.FlagSet, f *pflag.Flag, values []string) error {
	for _, v := range values {
		if err := fs.Set(f.Name, v); err != nil {
			return err
		}
	}
	return nil
}

// suggestFlag returns ` (did you mean "--x"?)` for the flag closest to name.
func suggestFlag(fs *pflag.FlagSet, name string) string {
	name = strings.TrimLeft(name, "-")
	if i := strings.IndexByte(name, '='); i >= 0 {
		name = name[:i]
	}
	best, bestD := "", 3
	fs.VisitAll(func(f *pflag.Flag) {
		if d := levenshtein(name, f.Name); d < bestD {
			best, bestD = f.Name, d
		}
	})
	if best == "" {
		return ""
	}
	return fmt.Sprintf(" (did you mean --%s?)", best)
}

// parseError adds a suggestion to pflag's unknown-flag errors.
func parseError(fs *pflag.FlagSet, err error) error {
	msg := err.Error()
	if strings.HasPrefix(msg, "unknown flag: ") {
		return fmt.Errorf("%s%s", msg, suggestFlag(fs, strings.TrimPrefix(msg, "unknown flag: ")))
	}
	return err
}

// fieldFlags are the flags that set the input fields library errors name.
var fieldFlags = map[plan.Field]string{
	plan.FieldLine:     "bref",
	plan.FieldPHP:      "php",
	plan.FieldRuntime:  "runtime",
	plan.FieldPlatform: "platform",
	plan.FieldExt:      "ext",
	plan.FieldBase:     "base",
	plan.FieldHandler:  "cmd",
	plan.FieldSplit:    "split",
	plan.FieldLocked:   "locked",
}

// inputName renders the input field an error is about where the user set
// it: "--php 8.5", "BREFIMG_PHP=8.5", "app/brefimg.yaml: php: 8.5", or
// "--php" for a default. It returns "" for fields no flag sets (a
// Dockerfile names its own file and line).
func (o *buildOptions) inputName(field plan.Field) string {
	name, ok := fieldFlags[field]
	if !ok || o.fs == nil {
		return ""
	}
	f := o.fs.Lookup(name)
	if f == nil {
		return ""
	}
	v := f.Value.String()
	if sv, ok := f.Value.(pflag.SliceValue); ok {
		v = strings.Join(sv.GetSlice(), ",")
	}
	isBool := f.Value.Type() == "bool"
	switch o.sources[name] {
	case fromFlag:
		if isBool {
			return "--" + name
		}
		return "--" + name + " " + v
	case fromEnv:
		return envName(name) + "=" + v
	case fromFile:
		dir := o.flags.AppDir
		if dir == "" {
			dir = "."
		}
		return fmt.Sprintf("%s: %s: %s", filepath.Join(dir, flagplan.ConfigFile), name, v)
	}
	return "--" + name
}
