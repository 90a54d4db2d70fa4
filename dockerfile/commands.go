package dockerfile

import (
	"fmt"
	"path"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/layers"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

// command dispatches one instruction of stage s.
func (d *dispatcher) command(s *stageState, c instructions.Command) error {
	line := lineOf(c)
	switch c := c.(type) {
	case *instructions.RunCommand:
		if d.o.run {
			s.runs = true
			s.steps = append(s.steps, plan.Step{Kind: plan.StepRun, Name: "run", Line: line, CreatedBy: c.String()})
			return nil
		}
		d.refuse(d.refuseRun(s, c, line))
		return nil
	case *instructions.OnbuildCommand:
		d.refuse(d.errorf(line, "%s: ONBUILD records instructions for images built FROM this one, which brefimg, building without containers, would have to run: remove it (brefimg builds the final image only)", c.String()))
		return nil
	}
	if err := d.expand(s, c, line); err != nil {
		return err
	}
	switch c := c.(type) {
	case *instructions.EnvCommand:
		for _, kv := range c.Env {
			s.env.set(kv.Key, kv.Value)
			s.envOps = append(s.envOps, kv.Key+"="+kv.Value)
		}
	case *instructions.ArgCommand:
		return d.arg(s, c, line)
	case *instructions.LabelCommand:
		if s.cfg.Labels == nil {
			s.cfg.Labels = map[string]string{}
		}
		for _, kv := range c.Labels {
			s.cfg.Labels[kv.Key] = kv.Value
		}
	case *instructions.MaintainerCommand:
		s.cfg.Author = c.Maintainer
	case *instructions.WorkdirCommand:
		return d.workdir(s, c, line)
	case *instructions.CopyCommand:
		return d.copy(s, copyArgs{cmd: c, line: line, sd: c.SourcesAndDest, from: c.From, chown: c.Chown, chmod: c.Chmod,
			link: c.Link, parents: c.Parents, exclude: c.ExcludePatterns})
	case *instructions.AddCommand:
		return d.copy(s, copyArgs{cmd: c, line: line, sd: c.SourcesAndDest, chown: c.Chown, chmod: c.Chmod,
			link: c.Link, exclude: c.ExcludePatterns, add: true, unpack: c.Unpack, checksum: c.Checksum})
	case *instructions.CmdCommand:
		s.cmd(c, line)
	case *instructions.EntrypointCommand:
		s.entrypoint(c)
	default:
		return d.lambdaIgnores(s, c, line)
	}
	return nil
}

// expand expands variables as BuildKit does, with the stage's environment:
// words of every instruction but ARG (expanded when dispatched), and
// heredoc bodies whose delimiter is not quoted.
func (d *dispatcher) expand(s *stageState, c instructions.Command, line int) error {
	if _, isArg := c.(*instructions.ArgCommand); isArg {
		return nil
	}
	if ex, ok := c.(instructions.SupportsSingleWordExpansion); ok {
		err := ex.Expand(func(word string) (string, error) {
			v, _, err := d.lex.ProcessWord(word, s.env.getter())
			return v, err
		})
		if err != nil {
			return d.errorf(line, "%s: %v: fix the variable reference", c.Name(), err)
		}
	}
	if ex, ok := c.(instructions.SupportsSingleWordExpansionRaw); ok {
		err := ex.ExpandRaw(func(word string) (string, error) {
			lex := shell.NewLex('\\')
			lex.SkipProcessQuotes = true
			v, _, err := lex.ProcessWord(word, s.env.getter())
			return v, err
		})
		if err != nil {
			return d.errorf(line, "%s: %v: fix the variable reference in the heredoc", c.Name(), err)
		}
	}
	return nil
}

// cmd sets CMD, and the handler when it is one relative path.
func (s *stageState) cmd(c *instructions.CmdCommand, line int) {
	s.cfg.Cmd = s.shellForm(c.CmdLine, c.PrependShell)
	s.cmdSet = true
	s.handler, s.handlerLine = "", 0
	if !c.PrependShell && len(c.CmdLine) == 1 && c.CmdLine[0] != "" && !path.IsAbs(c.CmdLine[0]) {
		s.handler, s.handlerLine = c.CmdLine[0], line
	}
}

// entrypoint sets ENTRYPOINT, which resets a CMD inherited from the base.
func (s *stageState) entrypoint(c *instructions.EntrypointCommand) {
	args := s.shellForm(c.CmdLine, c.PrependShell)
	s.cfg.Entrypoint = args
	if !s.cmdSet {
		s.cfg.Cmd = []string{}
		s.handler = ""
	}
	s.entrypointChanged = !slices.Equal(args, s.baseEntrypoint)
}

// shellForm is the command line of CMD or ENTRYPOINT: prefixed with the
// stage's SHELL for the shell form, and never nil.
func (s *stageState) shellForm(args []string, prependShell bool) []string {
	if prependShell {
		args = withShell(s.shell, args)
	}
	if args == nil {
		args = []string{}
	}
	return args
}

// lambdaIgnores records the instructions whose settings go into the image
// config but that Lambda ignores, with a finding saying so.
func (d *dispatcher) lambdaIgnores(s *stageState, c instructions.Command, line int) error {
	switch c := c.(type) {
	case *instructions.UserCommand:
		s.user = c.User
		s.cfg.User = c.User
		d.ignoredByLambda(s, c, line, "Lambda runs the function as its own non-root user")
	case *instructions.ExposeCommand:
		if err := d.expose(s, c, line); err != nil {
			return err
		}
		d.ignoredByLambda(s, c, line, "Lambda invokes the function through its runtime API, not through ports")
	case *instructions.VolumeCommand:
		if s.cfg.Volumes == nil {
			s.cfg.Volumes = map[string]struct{}{}
		}
		for _, v := range c.Volumes {
			if v == "" {
				return d.errorf(line, "VOLUME with an empty path: name a directory")
			}
			s.cfg.Volumes[v] = struct{}{}
		}
		d.ignoredByLambda(s, c, line, "Lambda mounts no volumes; only /tmp is writable")
	case *instructions.HealthCheckCommand:
		h := c.Health
		s.cfg.Healthcheck = &v1.HealthConfig{Test: h.Test, Interval: h.Interval, Timeout: h.Timeout, StartPeriod: h.StartPeriod, Retries: h.Retries}
		d.ignoredByLambda(s, c, line, "Lambda runs no health checks")
	case *instructions.StopSignalCommand:
		if !validSignal(c.Signal) {
			return d.errorf(line, "STOPSIGNAL %s: not a signal: use a name such as SIGTERM or a number", c.Signal)
		}
		s.cfg.StopSignal = c.Signal
		d.ignoredByLambda(s, c, line, "Lambda stops the runtime itself")
	case *instructions.ShellCommand:
		s.shell = c.Shell
		s.cfg.Shell = c.Shell
		d.ignoredByLambda(s, c, line, "Lambda runs no shell; only shell-form CMD and ENTRYPOINT written after it use it")
	default:
		return d.errorf(line, "%s is not supported by brefimg: remove it", strings.ToUpper(c.Name()))
	}
	return nil
}

// expose adds EXPOSE's ports to the config.
func (d *dispatcher) expose(s *stageState, c *instructions.ExposeCommand, line int) error {
	if s.cfg.ExposedPorts == nil {
		s.cfg.ExposedPorts = map[string]struct{}{}
	}
	for _, p := range c.Ports {
		words, err := d.lex.ProcessWords(p, s.env.getter())
		if err != nil {
			return d.errorf(line, "EXPOSE %s: %v", p, err)
		}
		for _, w := range words {
			ports, err := parsePort(w)
			if err != nil {
				return d.errorf(line, "EXPOSE %s: %v: use PORT[/tcp|udp|sctp] or a range such as 8000-8010", w, err)
			}
			for _, port := range ports {
				s.cfg.ExposedPorts[port] = struct{}{}
			}
		}
	}
	return nil
}

// withShell turns a shell-form command into the exec form Docker stores.
func withShell(sh, args []string) []string {
	if len(sh) == 0 {
		sh = defaultShell
	}
	return append(append([]string(nil), sh...), strings.Join(args, " "))
}

// ignoredByLambda warns about an instruction kept in the config that
// Lambda ignores.
func (d *dispatcher) ignoredByLambda(s *stageState, c instructions.Command, line int, why string) {
	s.findings = append(s.findings, findings.Finding{ID: findings.IDIgnored, Severity: findings.Warning, Path: d.file, Line: line,
		Message: fmt.Sprintf("Lambda ignores %s (%s): the image config keeps it, as Docker does, but it has no effect on Lambda", strings.ToUpper(c.Name()), why)})
}

// arg dispatches ARG inside a stage, as BuildKit does: a --build-arg value
// wins, then the default (expanded), then the value of the same ARG before
// the first FROM.
func (d *dispatcher) arg(s *stageState, c *instructions.ArgCommand, line int) error {
	for _, a := range c.Args {
		bv, hasValue := d.o.buildArgs[a.Key]
		var v *string
		switch {
		case hasValue:
			v = &bv
		case a.Value != nil:
			w, _, err := d.lex.ProcessWord(*a.Value, s.env.getter())
			if err != nil {
				return d.errorf(line, "ARG %s: %v: fix the default value", a.Key, err)
			}
			v = &w
		default:
			if g, ok := d.globals.get(a.Key); ok {
				v = &g
			}
		}
		if v != nil {
			s.env.set(a.Key, *v)
		}
	}
	return nil
}

// workdir dispatches WORKDIR: a path relative to the previous one, made
// (0755, owned by USER) when missing, as BuildKit does.
func (d *dispatcher) workdir(s *stageState, c *instructions.WorkdirCommand, line int) error {
	if c.Path == "" {
		return d.errorf(line, "WORKDIR with an empty path: name a directory")
	}
	wd := c.Path
	if !path.IsAbs(wd) {
		wd = path.Join(s.workdir, wd)
	}
	wd = path.Clean(wd)
	s.workdir, s.cfg.WorkingDir = wd, wd
	if wd != "/" {
		s.steps = append(s.steps, plan.Step{Kind: plan.StepMkdir, Name: "workdir", Dest: wd, Chown: s.user, Line: line, CreatedBy: c.String()})
	}
	if wd == "/tmp" || strings.HasPrefix(wd, "/tmp/") {
		s.findings = append(s.findings, findings.Finding{ID: findings.IDTmp, Severity: findings.Warning, Path: d.file, Line: line,
			Message: fmt.Sprintf("WORKDIR %s: /tmp is empty at every cold start on Lambda: what the image puts there will not be there; use a directory under /var/task", wd)})
	}
	return nil
}

// copyArgs are the parts of COPY and ADD a step needs.
type copyArgs struct {
	cmd      fmt.Stringer
	line     int
	sd       instructions.SourcesAndDest
	from     string
	chown    string
	chmod    string
	link     bool
	parents  bool
	exclude  []string
	add      bool
	unpack   *bool
	checksum string
}

func (d *dispatcher) copy(s *stageState, a copyArgs) error {
	if err := d.checkCopy(a); err != nil {
		return err
	}
	step := plan.Step{
		Kind:      plan.StepCopy,
		Sources:   a.sd.SourcePaths,
		Dest:      destPath(s.workdir, a.sd.DestPath),
		Chown:     a.chown,
		Chmod:     a.chmod,
		Parents:   a.parents,
		Exclude:   a.exclude,
		Link:      a.link,
		Line:      a.line,
		CreatedBy: a.cmd.String(),
	}
	for _, sc := range a.sd.SourceContents {
		step.Files = append(step.Files, layers.InlineFile{Name: sc.Path, Data: []byte(sc.Data)})
	}
	switch {
	case a.from != "":
		if err := d.copyFrom(s, a, &step); err != nil {
			return err
		}
	case len(a.sd.SourcePaths) > 0:
		step.Dir, step.Name = d.o.contextDir, "context"
		ignore, err := d.ignorePatterns()
		if err != nil {
			return err
		}
		step.Ignore = ignore
		step.Unpack = a.add && (a.unpack == nil || *a.unpack)
	default:
		step.Name = "heredoc"
	}
	s.steps = append(s.steps, step)
	return nil
}

// checkCopy refuses the COPY and ADD flags and sources brefimg cannot honour.
func (d *dispatcher) checkCopy(a copyArgs) error {
	text := a.cmd.String()
	if a.chmod != "" {
		if err := layers.ParseChmod(a.chmod); err != nil {
			return d.errorf(a.line, "%s: %v", text, err)
		}
	}
	if a.chown != "" && a.link && chownByName(a.chown) {
		return d.errorf(a.line, "%s: --chown=%s: user and group names cannot be resolved with --link (BuildKit refuses them too): use a numeric uid[:gid]", text, a.chown)
	}
	if a.checksum != "" {
		return d.errorf(a.line, "%s: --checksum applies to downloads (URLs and Git), which brefimg does not make: remove it", text)
	}
	if a.from != "" {
		return nil
	}
	for _, src := range a.sd.SourcePaths {
		if isGitSource(src) {
			return d.errorf(a.line, "%s: %s is a Git repository: brefimg does not fetch anything over the network during a build, so that the same inputs give the same image; clone it in CI before brefimg and COPY the files", text, src)
		}
		if strings.HasPrefix(src, "http://") || strings.HasPrefix(src, "https://") {
			return d.errorf(a.line, "%s: %s is a URL: brefimg does not download anything during a build, so that the same inputs give the same image; download it in CI before brefimg (e.g. curl -fLo FILE %s) and COPY the file", text, src, src)
		}
		if ups, rest, ok := outsideContext(src); ok {
			return d.outsideContextError(a, src, ups, rest)
		}
	}
	return nil
}

// outsideContext reports whether the context source src leaves the build
// context ("..", "../x"), with the number of leading ".." and the rest
// ("." when none).
func outsideContext(src string) (ups int, rest string, ok bool) {
	p := path.Clean(src)
	for p == ".." || strings.HasPrefix(p, "../") {
		ups++
		p = strings.TrimPrefix(strings.TrimPrefix(p, ".."), "/")
	}
	if p == "" {
		p = "."
	}
	return ups, p, ups > 0
}

// outsideContextError refuses a source outside the build context, and
// says which context would hold it.
func (d *dispatcher) outsideContextError(a copyArgs, src string, ups int, rest string) error {
	ctx := d.o.contextDir
	for range ups {
		ctx = filepath.Join(ctx, "..")
	}
	return d.errorf(a.line, "%s: %s is outside the build context (%s), and a COPY reads the build context only: Docker's classic builder refuses this "+
		"and BuildKit silently copies from the context's root instead (moby/buildkit#2131); to copy it, pass a build context that holds it "+
		"(brefimg build -f %s %s) and COPY %s, with the other sources relative to that context",
		a.cmd.String(), src, d.o.contextDir, d.file, ctx, rest)
}

// copyFrom fills in where COPY --from copies from: an earlier stage, or an
// image (a stage that is only an image counts as the image, so that its
// layers can be appended as they are).
func (d *dispatcher) copyFrom(s *stageState, a copyArgs, step *plan.Step) error {
	text := a.cmd.String()
	j, err := d.stageIndex(a.from, a.line)
	if err != nil {
		return err
	}
	if j >= 0 {
		if j >= s.index || d.states[j] == nil {
			return d.errorf(a.line, "%s: stage %s is not defined before this one: COPY --from can only name an earlier stage", text, a.from)
		}
		if st := d.states[j]; len(st.steps) == 0 && st.root != plan.Scratch {
			// FROM bref/extra-redis-php-80:0.10 AS redis
			step.Image, step.Name, step.Platform = st.root, imageName(st.root), ptr(st.platform)
			step.Extension = extensionName(st.root)
			return nil
		}
		step.Stage, step.Name = d.states[j].key, d.states[j].key
		s.uses = append(s.uses, j)
		return nil
	}
	if strings.EqualFold(a.from, plan.Scratch) {
		return d.errorf(a.line, "%s: scratch holds no files: name an image or an earlier stage", text)
	}
	if _, err := registry.ParseReference(a.from); err != nil {
		return d.errorf(a.line, "%s: --from=%s is neither an earlier stage nor an image reference (%v)", text, a.from, err)
	}
	d.checkTag(a.from, a.line)
	step.Image, step.Name, step.Extension = a.from, imageName(a.from), extensionName(a.from)
	step.Platform = ptr(d.o.platform)
	return nil
}

// ignorePatterns reads the build context's .dockerignore once. A
// <Dockerfile>.dockerignore next to the Dockerfile wins, as with BuildKit.
func (d *dispatcher) ignorePatterns() ([]string, error) {
	if d.ignored {
		return d.ignore, nil
	}
	d.ignored = true
	patterns, err := layers.ReadIgnoreFile(d.o.contextDir)
	if err != nil {
		return nil, &plan.InputError{Field: plan.FieldFile, Err: err}
	}
	if own, err := readOwnIgnore(d.file); err != nil {
		return nil, &plan.InputError{Field: plan.FieldFile, Err: err}
	} else if own != nil {
		patterns = own
	}
	d.ignore = patterns
	return patterns, nil
}

// destPath returns COPY's destination, relative to the working directory,
// with its trailing slash kept, as BuildKit's pathRelativeToWorkingDir.
func destPath(workdir, p string) string {
	if p == "" || p == "." {
		p = "./"
	}
	trailing := strings.HasSuffix(p, "/") || strings.HasSuffix(p, "/.")
	if !path.IsAbs(p) {
		p = path.Join(workdir, p)
	}
	p = path.Clean(p)
	if trailing && p != "/" {
		p += "/"
	}
	return p
}

// chownByName reports whether a --chown value names a user or group.
func chownByName(s string) bool {
	u, g, _ := strings.Cut(s, ":")
	for _, part := range []string{u, g} {
		if part == "" || part == "root" {
			continue
		}
		if _, err := strconv.ParseInt(part, 10, 32); err != nil {
			return true
		}
	}
	return false
}

// isGitSource reports whether an ADD source names a Git repository.
func isGitSource(s string) bool {
	switch {
	case strings.HasPrefix(s, "git@"), strings.HasPrefix(s, "git://"), strings.HasPrefix(s, "ssh://"):
		return true
	case strings.HasPrefix(s, "http://"), strings.HasPrefix(s, "https://"):
		u, _, _ := strings.Cut(s, "#")
		return strings.HasSuffix(u, ".git")
	}
	return false
}

var signalName = regexp.MustCompile(`^(SIG)?[A-Z][A-Z0-9]*([+-][0-9]+)?$`)

// validSignal accepts a signal number or name (SIGTERM, TERM, SIGRTMIN+3).
func validSignal(s string) bool {
	if n, err := strconv.Atoi(s); err == nil {
		return n > 0
	}
	return signalName.MatchString(strings.ToUpper(s))
}

// parsePort turns an EXPOSE word ([ip:][host:]port[-port][/proto]) into
// "port/proto" entries, as BuildKit does.
func parsePort(raw string) ([]string, error) {
	spec := raw
	if i := strings.LastIndex(spec, ":"); i >= 0 {
		spec = spec[i+1:]
	}
	port, proto, _ := strings.Cut(spec, "/")
	if proto == "" {
		proto = "tcp"
	}
	proto = strings.ToLower(proto)
	switch proto {
	case "tcp", "udp", "sctp":
	default:
		return nil, fmt.Errorf("protocol %q", proto)
	}
	lo, hi, isRange := strings.Cut(port, "-")
	start, err := strconv.Atoi(lo)
	if err != nil || start < 0 || start > 65535 {
		return nil, fmt.Errorf("port %q", lo)
	}
	end := start
	if isRange {
		if end, err = strconv.Atoi(hi); err != nil || end < start || end > 65535 {
			return nil, fmt.Errorf("port range %q", port)
		}
	}
	if end-start > 65535 {
		return nil, fmt.Errorf("port range %q", port)
	}
	out := make([]string, 0, end-start+1)
	for p := start; p <= end; p++ {
		out = append(out, strconv.Itoa(p)+"/"+proto)
	}
	return out, nil
}
