package dockerfile

import (
	"errors"
	"fmt"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/moby/buildkit/frontend/dockerfile/instructions"

	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/plan"
)

// refuse records the error of an instruction brefimg cannot run; dispatch
// goes on, so that every one is reported at once.
func (d *dispatcher) refuse(err error) {
	d.refused = append(d.refused, err)
}

// refusals returns the refused instructions, followed by err when it is
// the input's fault too, as one input error with a line per instruction;
// err alone when nothing was refused or err is not the input's fault.
func (d *dispatcher) refusals(err error) error {
	if len(d.refused) == 0 || (err != nil && !plan.IsInput(err)) {
		return err
	}
	errs := slices.Clone(d.refused)
	if err != nil {
		errs = append(errs, err)
	}
	if d.runRefused {
		errs = append(errs, errors.New("or have a BuildKit daemon run the RUN steps: "+plan.RunHint))
	}
	if len(errs) == 1 {
		return errs[0]
	}
	return &plan.InputError{Field: plan.FieldFile, Err: errors.Join(errs...)}
}

// refuseRun explains why RUN cannot run, and what to do instead, for the
// commands it runs and the stage it is in.
func (d *dispatcher) refuseRun(s *stageState, c *instructions.RunCommand, line int) error {
	script := strings.Join(c.CmdLine, " ")
	for _, f := range c.Files {
		script += "\n" + f.Data
	}
	var advice []string
	for _, k := range runCommands(script) {
		if a := d.runAdvice(s, k); !slices.Contains(advice, a) {
			advice = append(advice, a)
		}
	}
	if len(advice) == 0 {
		advice = []string{d.runAdvice(s, runCommand{kind: runOther})}
	}
	d.runRefused = true
	return d.errorf(line, "%s: brefimg builds images without running containers, so it cannot RUN commands: %s", c.String(), strings.Join(advice, "; "))
}

// runKind is what a command of a RUN does, as far as the advice goes.
type runKind int

const (
	runOther    runKind = iota
	runComposer         // composer install, update, dump-autoload
	runPackages         // pecl, docker-php-ext-*, yum, apt-get, …
	runChmod            // chmod
	runChown            // chown, chgrp
	runWrite            // echo … > FILE, printf … >> FILE, tee FILE
	runAssets           // npm, yarn, …
	runMkdir            // mkdir
	runDownload         // curl, wget
)

// runCommand is one simple command of a RUN: its kind and, for runWrite,
// the file it writes ("" when not found) and whether it appends.
type runCommand struct {
	kind    runKind
	target  string
	appends bool
}

// commandKinds maps a command name to its kind.
var commandKinds = map[string]runKind{
	"composer": runComposer, "composer.phar": runComposer,
	"pecl": runPackages, "pie": runPackages, "docker-php-ext-install": runPackages, "docker-php-ext-enable": runPackages,
	"docker-php-ext-configure": runPackages, "install-php-extensions": runPackages, "yum": runPackages, "dnf": runPackages,
	"microdnf": runPackages, "apt": runPackages, "apt-get": runPackages, "apk": runPackages, "rpm": runPackages,
	"chmod": runChmod, "chown": runChown, "chgrp": runChown,
	"npm": runAssets, "npx": runAssets, "yarn": runAssets, "pnpm": runAssets, "bun": runAssets, "node": runAssets,
	"mkdir": runMkdir, "curl": runDownload, "wget": runDownload,
}

// fdRedirection matches a redirection to a file descriptor (2>&1, >&2),
// whose & does not end a command.
var fdRedirection = regexp.MustCompile(`\d*[<>]&\d*-?`)

// assignment matches a shell variable assignment before a command.
var assignment = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*=`)

// runCommands splits a shell script into its simple commands (at &&, ||, ;,
// | and new lines; quotes are not parsed, the advice needs no more) and
// returns what each does, in order, leaving out those with no advice of
// their own.
func runCommands(script string) []runCommand {
	var out []runCommand
	script = fdRedirection.ReplaceAllString(script, " ")
	parts := strings.FieldsFunc(script, func(r rune) bool { return r == ';' || r == '|' || r == '&' || r == '\n' })
	for _, part := range parts {
		words := strings.Fields(part)
		for len(words) > 0 && (assignment.MatchString(words[0]) || words[0] == "sudo" || words[0] == "exec" || words[0] == "then" || words[0] == "do") {
			words = words[1:]
		}
		if len(words) == 0 {
			continue
		}
		name := path.Base(strings.Trim(words[0], `"'`))
		if name == "php" && len(words) > 1 && strings.Contains(words[1], "composer") {
			name = "composer"
		}
		switch {
		case name == "echo" || name == "printf" || name == "cat":
			if target, appending, ok := redirect(part); ok {
				out = append(out, runCommand{kind: runWrite, target: target, appends: appending})
			}
		case name == "tee":
			out = append(out, runCommand{kind: runWrite, target: teeTarget(words[1:]), appends: slices.Contains(words, "-a")})
		case strings.HasPrefix(name, "docker-php-ext-"):
			out = append(out, runCommand{kind: runPackages})
		default:
			if k, ok := commandKinds[name]; ok {
				out = append(out, runCommand{kind: k})
			}
		}
	}
	return out
}

// redirection matches an output redirection: the file descriptor, > or
// >>, and the target.
var redirection = regexp.MustCompile(`(\d*)(>>?)\s*("[^"]*"|'[^']*'|[^\s;&|<>]+)`)

// redirect returns the file a command's standard output is redirected
// to, and whether it is appended to (>>); ok is false when there is none
// (a redirection to another descriptor or to /dev/null is none).
func redirect(part string) (target string, appending bool, ok bool) {
	for _, m := range redirection.FindAllStringSubmatch(part, -1) {
		target := strings.Trim(m[3], `"'`)
		if (m[1] != "" && m[1] != "1") || strings.HasPrefix(target, "&") || target == "/dev/null" || target == "" {
			continue
		}
		return target, m[2] == ">>", true
	}
	return "", false, false
}

// teeTarget returns the first file tee writes to, "" when none is named.
func teeTarget(args []string) string {
	for _, a := range args {
		if !strings.HasPrefix(a, "-") {
			return strings.Trim(a, `"'`)
		}
	}
	return ""
}

// runAdvice says what to do instead of a command of kind k.Kind in stage s:
// a stage on a Bref image is pointed at Bref's extension images, another
// one (a builder stage such as FROM composer or FROM node) at doing the
// work in CI and copying the result from the build context.
func (d *dispatcher) runAdvice(s *stageState, k runCommand) string {
	bref := isBrefImage(s.root)
	instead := ""
	if s.index != d.target {
		instead = fmt.Sprintf(" instead of COPY --from=%s", s.key)
	}
	switch k.kind {
	case runComposer:
		if !bref {
			return "run composer install in CI before brefimg, in the app directory (e.g. composer install --no-dev --optimize-autoloader --classmap-authoritative), and COPY vendor/ from the build context (COPY . /var/task copies it)" + instead
		}
		return "run it in CI before brefimg, in the app directory (e.g. composer install --no-dev --optimize-autoloader --classmap-authoritative), and COPY the result (COPY . /var/task copies vendor/)"
	case runPackages:
		if !bref {
			return "install and prepare what you need in CI before brefimg, and COPY the resulting files from the build context" + instead
		}
		return "for a PHP extension, copy a Bref extension image instead (COPY --from=bref/extra-NAME-php-XX:TAG /opt /opt, or brefimg build --ext NAME); for other files, prepare them in CI before brefimg and COPY them"
	case runChmod:
		return "set the modes as the files are copied, with COPY --chmod (e.g. COPY --chmod=0755 SRC DEST, or --chmod=a+rX), or fix them in the checkout before brefimg (chmod -R a+rX)"
	case runChown:
		return "set the owner as the files are copied, with COPY --chown=UID[:GID] SRC DEST (Lambda runs the function as its own user, which needs files readable by all, not owned by it: see COPY --chmod)"
	case runWrite:
		return d.writeAdvice(s, k)
	case runAssets:
		return "build the assets in CI before brefimg (e.g. npm ci && npm run build) and COPY the result from the build context" + instead
	case runMkdir:
		return "COPY creates the directories it copies into, and WORKDIR DIR creates one; nothing else needs making (on Lambda only /tmp is writable at run time)"
	case runDownload:
		return "download the file in CI before brefimg (e.g. curl -fLo FILE URL) and COPY it: brefimg fetches nothing during a build, so that the same inputs give the same image"
	}
	if !bref {
		return "run the command in CI before brefimg and COPY its result from the build context" + instead
	}
	return "run the command in CI before brefimg and COPY its result (e.g. composer install in the app directory), or, for PHP extensions, use brefimg build --ext NAME or COPY --from=bref/extra-NAME-php-XX:TAG /opt /opt"
}

// writeAdvice points a command that writes a file (an ini file, most
// often) at a heredoc, which brefimg writes without running anything.
// The file is named as the shell would name it, with the stage's
// variables and working directory.
func (d *dispatcher) writeAdvice(s *stageState, k runCommand) string {
	target, _, err := d.lex.ProcessWord(k.target, s.env.getter())
	switch {
	case err != nil || target == "" || strings.Contains(target, "$"):
		target = "/path/to/file"
	case !path.IsAbs(target):
		target = path.Join(s.workdir, target)
	}
	advice := fmt.Sprintf("write the file with a heredoc, which brefimg supports: COPY <<EOF %s, then the file's lines, then a line EOF", target)
	if k.appends {
		advice += " (COPY writes the whole file: put every line it must hold in the heredoc)"
	}
	return advice
}

// isBrefImage reports whether ref is one of Bref's images (a base or an
// extension image): Bref's advice applies to its stages.
func isBrefImage(ref string) bool {
	if _, ok := extensions.RecognizeBase(ref); ok {
		return true
	}
	repo, _, ok := dockerHubRepo(ref)
	return ok && strings.HasPrefix(repo, "bref/")
}
