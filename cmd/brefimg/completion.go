package main

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/spf13/pflag"

	"github.com/brefimg/brefimg/extensions"
)

const completionUsage = `Usage: brefimg completion bash|zsh|fish

Prints a shell completion script: commands, flags, and the values of --ext,
--bref, --runtime, --platform and --progress.

Examples:
  source <(brefimg completion bash)
  brefimg completion zsh > "${fpath[1]}/_brefimg"
  brefimg completion fish > ~/.config/fish/completions/brefimg.fish
`

// commandFlags lists the flags of each command, for completion.
func commandFlags() map[string][]string {
	out := map[string][]string{}
	collect := func(cmd string, fs *pflag.FlagSet) {
		fs.VisitAll(func(f *pflag.Flag) { out[cmd] = append(out[cmd], "--"+f.Name) })
		out[cmd] = append(out[cmd], "--help")
	}
	var o buildOptions
	collect("build", newBuildFlags(&o, false))
	collect("check", newBuildFlags(&o, false))
	collect("lock", newBuildFlags(&o, true))
	collect("deploy", newDeployFlags(&o))
	out["inspect"] = []string{"--json", "--tree", "--platform", "--mirror", "--insecure-registry", "--help"}
	out["extensions"] = []string{"--bref", "--php", "--json", "--help"}
	out["completion"] = []string{"bash", "zsh", "fish"}
	out["help"] = commands
	return out
}

// flagValues are the completions of flags that take a fixed set of values.
func flagValues() map[string][]string {
	names := map[string]bool{}
	for _, l := range extensions.Lines() {
		for _, n := range extensions.Names(l) {
			names[n] = true
		}
	}
	exts := make([]string, 0, len(names))
	for n := range names {
		exts = append(exts, n)
	}
	sort.Strings(exts)
	return map[string][]string{
		"--ext":      exts,
		"--bref":     {"1", "2", "3"},
		"--runtime":  {"fpm", "function", "console"},
		"--platform": {"linux/amd64", "linux/arm64"},
		"--progress": {"auto", "plain", "none"},
	}
}

func runCompletion(args []string, stdout, stderr io.Writer) int {
	if len(args) == 1 && (args[0] == "-h" || args[0] == "--help") {
		fmt.Fprint(stdout, completionUsage)
		return exitOK
	}
	if len(args) != 1 {
		fmt.Fprint(stderr, "brefimg: name one shell: bash, zsh or fish\n"+completionUsage)
		return exitUsage
	}
	switch args[0] {
	case "bash":
		fmt.Fprint(stdout, bashCompletion())
	case "zsh":
		fmt.Fprint(stdout, "#compdef brefimg\nautoload -U +X bashcompinit && bashcompinit\n"+bashCompletion())
	case "fish":
		fmt.Fprint(stdout, fishCompletion())
	default:
		fmt.Fprintf(stderr, "brefimg: unknown shell %q: use bash, zsh or fish\n", args[0])
		return exitUsage
	}
	return exitOK
}

func sortedKeys(m map[string][]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

func bashCompletion() string {
	var b strings.Builder
	b.WriteString("# bash completion for brefimg\n_brefimg() {\n")
	b.WriteString("  local cur=\"${COMP_WORDS[COMP_CWORD]}\" prev=\"${COMP_WORDS[COMP_CWORD-1]}\"\n")
	b.WriteString("  case \"$prev\" in\n")
	values := flagValues()
	for _, f := range sortedKeys(values) {
		if f == "--ext" {
			// a comma-separated list: complete the item after the last comma
			fmt.Fprintf(&b, "    --ext) local head=\"\"; [[ \"$cur\" == *,* ]] && head=\"${cur%%,*},\"\n")
			fmt.Fprintf(&b, "      COMPREPLY=($(compgen -P \"$head\" -W %q -- \"${cur##*,}\")); return;;\n", strings.Join(values[f], " "))
			continue
		}
		fmt.Fprintf(&b, "    %s) COMPREPLY=($(compgen -W %q -- \"$cur\")); return;;\n", f, strings.Join(values[f], " "))
	}
	b.WriteString("  esac\n")
	fmt.Fprintf(&b, "  if [[ $COMP_CWORD -eq 1 ]]; then COMPREPLY=($(compgen -W %q -- \"$cur\")); return; fi\n", strings.Join(commands, " "))
	b.WriteString("  case \"${COMP_WORDS[1]}\" in\n")
	flags := commandFlags()
	for _, cmd := range sortedKeys(flags) {
		fmt.Fprintf(&b, "    %s) COMPREPLY=($(compgen -W %q -- \"$cur\"));;\n", cmd, strings.Join(flags[cmd], " "))
	}
	b.WriteString("  esac\n}\ncomplete -o default -F _brefimg brefimg\n")
	return b.String()
}

func fishCompletion() string {
	var b strings.Builder
	b.WriteString("# fish completion for brefimg\ncomplete -c brefimg -f\n")
	fmt.Fprintf(&b, "complete -c brefimg -n __fish_use_subcommand -a %q\n", strings.Join(commands, " "))
	values := flagValues()
	flags := commandFlags()
	for _, cmd := range sortedKeys(flags) {
		for _, f := range flags[cmd] {
			if !strings.HasPrefix(f, "--") {
				fmt.Fprintf(&b, "complete -c brefimg -n '__fish_seen_subcommand_from %s' -a %s\n", cmd, f)
				continue
			}
			line := fmt.Sprintf("complete -c brefimg -n '__fish_seen_subcommand_from %s' -l %s", cmd, strings.TrimPrefix(f, "--"))
			if v, ok := values[f]; ok {
				line += fmt.Sprintf(" -xa %q", strings.Join(v, " "))
			}
			b.WriteString(line + "\n")
		}
	}
	return b.String()
}
