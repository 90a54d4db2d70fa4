package dockerfile

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/moby/buildkit/frontend/dockerfile/instructions"
	"github.com/moby/buildkit/frontend/dockerfile/linter"
	"github.com/moby/buildkit/frontend/dockerfile/parser"
	"github.com/moby/buildkit/frontend/dockerfile/shell"

	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/findings"
	"github.com/brefimg/brefimg/plan"
	"github.com/brefimg/brefimg/registry"
)

// maxDockerfile bounds the size of a Dockerfile Parse reads.
const maxDockerfile = 4 << 20

// defaultPath is the PATH BuildKit gives a Linux image that has none.
const defaultPath = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

// defaultShell is the shell of shell-form CMD and ENTRYPOINT without SHELL.
var defaultShell = []string{"/bin/sh", "-c"}

// Parse reads the Dockerfile r (name is its path, for findings and errors)
// and returns the plan that builds its target stage, with the findings
// about the Dockerfile itself (the build adds its own). Only the stages
// the target needs are read past their FROM line, as BuildKit does.
//
// Every error a Dockerfile can cause is a *plan.InputError naming the
// Dockerfile, the line and what to do.
func Parse(r io.Reader, name string, opts ...Option) (plan.Plan, []findings.Finding, error) {
	o := options{contextDir: ".", buildArgs: map[string]string{}, platform: v1.Platform{OS: "linux", Architecture: "amd64"}}
	for _, opt := range opts {
		if err := opt(&o); err != nil {
			return plan.Plan{}, nil, err
		}
	}
	if name == "" {
		name = "Dockerfile"
	}
	data, err := io.ReadAll(io.LimitReader(r, maxDockerfile+1))
	if err != nil {
		return plan.Plan{}, nil, fmt.Errorf("reading %s: %w", name, err)
	}
	if len(data) > maxDockerfile {
		return plan.Plan{}, nil, &plan.InputError{Field: plan.FieldFile, Err: fmt.Errorf("%s is larger than %d bytes: is it a Dockerfile?", name, maxDockerfile)}
	}
	d := &dispatcher{o: o, file: name, configs: map[string]*v1.ConfigFile{}, data: data}
	pl, err := d.run(data)
	if err != nil {
		return plan.Plan{}, nil, err
	}
	return pl, d.findings, nil
}

// dispatcher follows BuildKit's dockerfile2llb dispatcher, producing plan
// steps instead of LLB.
type dispatcher struct {
	o        options
	file     string
	data     []byte // the Dockerfile as read
	lex      *shell.Lex
	globals  envList
	stages   []instructions.Stage
	bases    []string // expanded FROM names
	baseOf   []int    // index of the stage a stage is built FROM, or -1
	states   []*stageState
	findings []findings.Finding
	configs  map[string]*v1.ConfigFile
	ignore   []string
	ignored  bool
	extTags  []string
	// target is the index of the stage built.
	target int
	// refused are the errors of the instructions refused so far (RUN,
	// ONBUILD): dispatch goes on past them, to report them all.
	refused []error
	// runRefused is true when a RUN is among them.
	runRefused bool
}

// stageState is a stage being dispatched: where it starts, the steps and
// config changes so far, and what expansion sees.
type stageState struct {
	index    int
	key      string // how Plan.Stages names it
	root     string // image or plan.Scratch the chain starts from
	platform v1.Platform
	steps    []plan.Step
	// env is what expansion sees: the image's environment, then ARG and
	// ENV values, in order.
	env     envList
	envOps  []string
	workdir string
	user    string
	shell   []string
	cfg     plan.Config
	// cmdSet is whether this stage set CMD (an ENTRYPOINT clears a CMD
	// it has not set).
	cmdSet bool
	// handler is the CMD handler, when CMD is an exec form of one
	// relative path; entrypoint is the base's ENTRYPOINT, changed says
	// whether the Dockerfile set another.
	handler           string
	handlerLine       int
	baseEntrypoint    []string
	entrypointChanged bool
	uses              []int // stages it copies from
	findings          []findings.Finding
	// runs is true when the stage (or one it is built FROM) RUNs a command.
	runs bool
}

func (d *dispatcher) errorf(line int, format string, a ...any) error {
	msg := fmt.Sprintf(format, a...)
	if line > 0 {
		return &plan.InputError{Field: plan.FieldFile, Err: fmt.Errorf("%s:%d: %s", d.file, line, msg)}
	}
	return &plan.InputError{Field: plan.FieldFile, Err: fmt.Errorf("%s: %s", d.file, msg)}
}

// parseError turns an error of BuildKit's parser into an input error at
// its line.
func (d *dispatcher) parseError(err error, hint string) error {
	line := 0
	var le *parser.LocationError
	if errors.As(err, &le) && len(le.Locations) > 0 && len(le.Locations[0]) > 0 {
		line = le.Locations[0][0].Start.Line
	}
	msg := err.Error()
	if i := strings.Index(msg, ": "); strings.HasPrefix(msg, "dockerfile parse error on line ") && i >= 0 {
		msg = msg[i+2:]
	}
	return d.errorf(line, "%s: %s", msg, hint)
}

func lineOf(c instructions.Command) int {
	if loc := c.Location(); len(loc) > 0 {
		return loc[0].Start.Line
	}
	return 0
}

func (d *dispatcher) run(data []byte) (plan.Plan, error) {
	res, err := parser.Parse(bytes.NewReader(data))
	if err != nil {
		return plan.Plan{}, d.parseError(err, "fix the Dockerfile's syntax")
	}
	d.lex = shell.NewLex(res.EscapeToken)
	stages, metaArgs, err := instructions.Parse(res.AST, linter.New(&linter.Config{}))
	if err != nil {
		return plan.Plan{}, d.parseError(err, "fix this instruction")
	}
	if len(stages) == 0 {
		return plan.Plan{}, d.errorf(0, "no FROM instruction: start the Dockerfile with FROM, e.g. FROM bref/php-84:3")
	}
	d.stages = stages
	if err := d.globalArgs(metaArgs); err != nil {
		return plan.Plan{}, err
	}
	if err := d.resolveBases(); err != nil {
		return plan.Plan{}, err
	}
	target := len(stages) - 1
	if d.o.target != "" {
		target = -1
		var names []string
		for i, st := range stages {
			if st.Name == d.o.target {
				target = i
			}
			if st.Name != "" {
				names = append(names, st.Name)
			}
		}
		if target < 0 {
			return plan.Plan{}, d.errorf(0, "--target %s: no stage has that name (stages: %s)", d.o.target, strings.Join(names, ", "))
		}
	}
	deps, err := d.dependencies()
	if err != nil {
		return plan.Plan{}, err
	}
	reachable := map[int]bool{}
	var visit func(i int)
	visit = func(i int) {
		if reachable[i] {
			return
		}
		reachable[i] = true
		if b := d.baseOf[i]; b >= 0 {
			visit(b)
		}
		for _, j := range deps[i] {
			visit(j)
		}
	}
	visit(target)
	d.target = target
	d.states = make([]*stageState, len(stages))
	for i := range stages {
		if !reachable[i] {
			continue
		}
		if err := d.dispatch(i); err != nil {
			return plan.Plan{}, d.refusals(err)
		}
	}
	if err := d.refusals(nil); err != nil {
		return plan.Plan{}, err
	}
	return d.plan(target)
}

// globalArgs sets the values FROM lines see: BuildKit's automatic platform
// args, then the ARGs before the first FROM, with --build-arg values.
func (d *dispatcher) globalArgs(metaArgs []instructions.ArgCommand) error {
	p := d.o.platform
	target := d.o.target
	if target == "" {
		target = "default"
	}
	for _, kv := range [][2]string{
		{"BUILDPLATFORM", platformString(p)}, {"BUILDOS", p.OS}, {"BUILDOSVERSION", ""}, {"BUILDARCH", p.Architecture}, {"BUILDVARIANT", p.Variant},
		{"TARGETPLATFORM", platformString(p)}, {"TARGETOS", p.OS}, {"TARGETOSVERSION", ""}, {"TARGETARCH", p.Architecture}, {"TARGETVARIANT", p.Variant},
		{"TARGETSTAGE", target},
	} {
		v := kv[1]
		if ov, ok := d.o.buildArgs[kv[0]]; ok {
			v = ov
		}
		d.globals.set(kv[0], v)
	}
	for _, cmd := range metaArgs {
		for _, kp := range cmd.Args {
			if v, ok := d.o.buildArgs[kp.Key]; ok {
				d.globals.set(kp.Key, v)
				continue
			}
			if kp.Value == nil {
				continue
			}
			v, _, err := d.lex.ProcessWord(*kp.Value, d.globals.getter())
			if err != nil {
				return d.errorf(lineOf(&cmd), "ARG %s: %v: fix the value", kp.Key, err)
			}
			d.globals.set(kp.Key, v)
		}
	}
	return nil
}

// resolveBases expands every FROM name and finds the stages built FROM an
// earlier stage.
func (d *dispatcher) resolveBases() error {
	d.bases = make([]string, len(d.stages))
	d.baseOf = make([]int, len(d.stages))
	byName := map[string]int{}
	for i, st := range d.stages {
		line := 0
		if len(st.Location) > 0 {
			line = st.Location[0].Start.Line
		}
		base, _, err := d.lex.ProcessWord(st.BaseName, d.globals.getter())
		if err != nil {
			return d.errorf(line, "FROM %s: %v: fix the image name", st.BaseName, err)
		}
		if base == "" {
			return d.errorf(line, "FROM %s: the image name is empty once ARGs are expanded: give the ARG a value (ARG NAME=value before FROM, or --build-arg NAME=value)", st.BaseName)
		}
		d.bases[i] = base
		d.baseOf[i] = -1
		if j, ok := byName[base]; ok {
			d.baseOf[i] = j
		}
		if st.Name != "" {
			byName[st.Name] = i
		}
	}
	return nil
}

// stageIndex returns the stage a --from value names (an AS name, case
// insensitive, or an index), or -1 for an image.
func (d *dispatcher) stageIndex(from string, line int) (int, error) {
	if n, err := strconv.Atoi(from); err == nil {
		if n < 0 || n >= len(d.stages) {
			return 0, d.errorf(line, "--from=%d: the Dockerfile has %d stages, numbered from 0", n, len(d.stages))
		}
		return n, nil
	}
	for i, st := range d.stages {
		if st.Name != "" && st.Name == strings.ToLower(from) {
			return i, nil
		}
	}
	return -1, nil
}

// dependencies returns, for each stage, the stages its COPY --from name.
func (d *dispatcher) dependencies() (map[int][]int, error) {
	deps := map[int][]int{}
	for i, st := range d.stages {
		for _, c := range st.Commands {
			cc, ok := c.(*instructions.CopyCommand)
			if !ok || cc.From == "" {
				continue
			}
			if res, err := d.lex.ProcessWordWithMatches(cc.From, shell.EnvsFromSlice(nil)); err != nil || res.Result != cc.From {
				return nil, d.errorf(lineOf(cc), "COPY --from=%s: variables cannot be used in --from (BuildKit does not expand them): define a stage with FROM ${VAR} AS name before, and COPY --from=name", cc.From)
			}
			j, err := d.stageIndex(cc.From, lineOf(cc))
			if err != nil {
				return nil, err
			}
			if j >= 0 {
				deps[i] = append(deps[i], j)
			} else if tag, ok := brefExtensionTag(cc.From); ok {
				d.extTags = append(d.extTags, tag)
			}
		}
	}
	return deps, nil
}

// config returns the config of the image ref for platform.
func (d *dispatcher) config(ref string, p v1.Platform, line int) (*v1.ConfigFile, error) {
	key := ref + "\x00" + platformString(p)
	if cf, ok := d.configs[key]; ok {
		return cf, nil
	}
	if d.o.configs == nil {
		return nil, d.errorf(line, "FROM %s: cannot read the image's config: the parser was given no way to read image configs (dockerfile.WithImageConfigs)", ref)
	}
	cf, err := d.o.configs(ref, platformString(p))
	if err != nil {
		var in *plan.InputError
		if errors.As(err, &in) {
			return nil, d.errorf(line, "FROM %s: %v", ref, in.Err)
		}
		err = fmt.Errorf("%s:%d: FROM %s: %w", d.file, line, ref, err)
		if d.o.unreachable == nil || plan.IsInput(err) || !d.o.unreachable(ref, err) {
			return nil, err
		}
		cf = unreadConfig(ref)
	}
	if cf == nil {
		cf = &v1.ConfigFile{}
	}
	d.configs[key] = cf
	return cf, nil
}

// lambdaEnv is the environment of AWS's Lambda base images
// (public.ecr.aws/lambda/provided), which every Bref base image keeps.
var lambdaEnv = []string{
	"LANG=en_US.UTF-8",
	"TZ=:/etc/localtime",
	"PATH=/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin",
	"LD_LIBRARY_PATH=/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib",
	"LAMBDA_TASK_ROOT=/var/task",
	"LAMBDA_RUNTIME_DIR=/var/runtime",
}

// unreadConfig stands for the config of an image that could not be read
// (see WithUnreachableImages): a Lambda base's for a Bref base image, an
// empty one for any other.
func unreadConfig(ref string) *v1.ConfigFile {
	if _, ok := extensions.RecognizeBase(ref); !ok {
		return &v1.ConfigFile{}
	}
	return &v1.ConfigFile{Config: v1.Config{WorkingDir: plan.AppDest, Env: slices.Clone(lambdaEnv),
		Entrypoint: []string{"/lambda-entrypoint.sh"}}}
}

// dispatch applies the instructions of stage i.
func (d *dispatcher) dispatch(i int) error {
	st := d.stages[i]
	line := 0
	if len(st.Location) > 0 {
		line = st.Location[0].Start.Line
	}
	s := &stageState{index: i, key: st.Name}
	if s.key == "" {
		s.key = strconv.Itoa(i)
	}
	platform := d.o.platform
	if st.Platform != "" {
		v, _, err := d.lex.ProcessWord(st.Platform, d.globals.getter())
		if err != nil {
			return d.errorf(line, "FROM --platform=%s: %v", st.Platform, err)
		}
		if platform, err = plan.ParsePlatform(v); err != nil {
			return d.errorf(line, "FROM --platform=%s: %v", v, err)
		}
	}
	base := d.bases[i]
	if r, ok := extensions.RecognizeBase(base); ok && r.Arch == "arm64" && st.Platform == "" && !d.o.platformSet {
		// FROM bref/arm-php-84:3 names Bref's arm64 image: build for arm64.
		platform = v1.Platform{OS: "linux", Architecture: "arm64"}
	}
	switch {
	case d.baseOf[i] >= 0:
		b := d.states[d.baseOf[i]]
		if b == nil {
			return d.errorf(line, "FROM %s: the stage is not built", base)
		}
		s.inherit(b)
	case base == plan.Scratch:
		s.root, s.platform = plan.Scratch, platform
		s.env.set("PATH", strings.TrimPrefix(defaultPath, "PATH="))
		s.envOps = []string{defaultPath}
		s.workdir, s.cfg.WorkingDir = "/", "/"
	default:
		if _, err := registry.ParseReference(base); err != nil {
			return d.errorf(line, "FROM %s: not an image reference (%v): name an image such as bref/php-84:3, or an earlier stage", base, err)
		}
		d.checkTag(base, line)
		cf, err := d.config(base, platform, line)
		if err != nil {
			return err
		}
		if len(cf.Config.OnBuild) > 0 {
			d.refuse(d.errorf(line, "FROM %s: the image has ONBUILD triggers (%s), which would run commands: brefimg runs no container; use a base image without ONBUILD", base, strings.Join(cf.Config.OnBuild, "; ")))
		}
		s.root, s.platform = base, platform
		for _, kv := range cf.Config.Env {
			k, v, _ := strings.Cut(kv, "=")
			s.env.set(k, v)
		}
		if _, ok := s.env.get("PATH"); !ok {
			s.env.set("PATH", strings.TrimPrefix(defaultPath, "PATH="))
			s.envOps = []string{defaultPath}
		}
		s.workdir = cf.Config.WorkingDir
		if s.workdir == "" {
			s.workdir = "/"
		}
		s.user = cf.Config.User
		s.shell = slices.Clone(cf.Config.Shell)
		s.baseEntrypoint = slices.Clone(cf.Config.Entrypoint)
	}
	d.states[i] = s
	for _, c := range st.Commands {
		if err := d.command(s, c); err != nil {
			return err
		}
	}
	return nil
}

// inherit starts s where the stage b ended (FROM b).
func (s *stageState) inherit(b *stageState) {
	s.root, s.platform = b.root, b.platform
	s.steps = slices.Clone(b.steps)
	s.env = envList{kv: slices.Clone(b.env.kv)}
	s.envOps = slices.Clone(b.envOps)
	s.workdir, s.user, s.shell = b.workdir, b.user, slices.Clone(b.shell)
	s.cfg = b.cfg
	s.cfg.Labels = cloneMap(b.cfg.Labels)
	s.cfg.ExposedPorts = cloneMap(b.cfg.ExposedPorts)
	s.cfg.Volumes = cloneMap(b.cfg.Volumes)
	s.handler, s.handlerLine, s.baseEntrypoint, s.entrypointChanged = b.handler, b.handlerLine, b.baseEntrypoint, b.entrypointChanged
	s.uses = slices.Clone(b.uses)
	s.findings = slices.Clone(b.findings)
	s.runs = b.runs
}

func cloneMap[V any](m map[string]V) map[string]V {
	if m == nil {
		return nil
	}
	out := make(map[string]V, len(m))
	for k, v := range m {
		out[k] = v
	}
	return out
}

// plan returns the plan of the target stage.
func (d *dispatcher) plan(target int) (plan.Plan, error) {
	s := d.states[target]
	p := plan.Plan{
		Base:     s.root,
		Platform: s.platform,
		Steps:    s.steps,
		Config:   s.cfg,
		File:     d.file,
	}
	p.Config.Env = s.envOps
	if s.handler != "" && !s.entrypointChanged {
		p.Handler, p.HandlerLine = s.handler, s.handlerLine
	}
	used := map[int]bool{}
	var visit func(i int)
	visit = func(i int) {
		for _, j := range d.states[i].uses {
			if !used[j] {
				used[j] = true
				visit(j)
			}
		}
	}
	visit(target)
	for i, st := range d.states {
		if !used[i] || st == nil {
			continue
		}
		p.Stages = append(p.Stages, plan.Stage{Name: st.key, Base: st.root, Platform: ptr(st.platform), Steps: st.steps, Solve: st.runs})
	}
	var err error
	if p.Solve, err = d.solve(s, p.Stages); err != nil {
		return plan.Plan{}, err
	}
	d.findings = append(d.findings, s.findings...)
	slices.SortStableFunc(d.findings, func(a, b findings.Finding) int { return a.Line - b.Line })
	return p, nil
}

// solve returns what a build engine needs when the plan RUNs commands
// (target is the target stage, stages the earlier ones it uses); nil when
// it does not. Only the stages that RUN are solved when the target does
// not and each has an AS name (BuildKit builds a stage by its name);
// otherwise the engine builds the whole image.
func (d *dispatcher) solve(target *stageState, stages []plan.Stage) (*plan.Solve, error) {
	whole, runs := target.runs, target.runs
	for _, st := range stages {
		if st.Solve {
			runs = true
			if _, err := strconv.Atoi(st.Name); err == nil {
				whole = true
			}
		}
	}
	if !runs {
		return nil, nil
	}
	ignore, err := d.ignorePatterns()
	if err != nil {
		return nil, err
	}
	var names []string
	for _, st := range d.stages {
		if st.Name != "" {
			names = append(names, st.Name)
		}
	}
	return &plan.Solve{
		Stages:     names,
		Dockerfile: d.data,
		ContextDir: d.o.contextDir,
		Ignore:     ignore,
		BuildArgs:  cloneMap(d.o.buildArgs),
		Target:     d.o.target,
		Whole:      whole,
	}, nil
}

// envList is an ordered environment: setting a variable it holds keeps its
// place, as BuildKit's does.
type envList struct {
	kv []string
}

func (e *envList) set(k, v string) {
	for i, kv := range e.kv {
		if key, _, _ := strings.Cut(kv, "="); shell.EqualEnvKeys(key, k) {
			e.kv[i] = k + "=" + v
			return
		}
	}
	e.kv = append(e.kv, k+"="+v)
}

func (e *envList) get(k string) (string, bool) {
	for _, kv := range e.kv {
		if key, v, _ := strings.Cut(kv, "="); shell.EqualEnvKeys(key, k) {
			return v, true
		}
	}
	return "", false
}

func (e *envList) getter() shell.EnvGetter { return shell.EnvsFromSlice(e.kv) }

func platformString(p v1.Platform) string {
	s := p.OS + "/" + p.Architecture
	if p.Variant != "" {
		s += "/" + p.Variant
	}
	return s
}

// ptr returns a pointer to a copy of p.
func ptr(p v1.Platform) *v1.Platform { return &p }
