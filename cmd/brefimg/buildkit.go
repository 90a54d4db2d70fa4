package main

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/spf13/pflag"
	"github.com/vbauerster/mpb/v8"
	"github.com/vbauerster/mpb/v8/decor"

	"github.com/brefimg/brefimg/buildkit"
	"github.com/brefimg/brefimg/plan"
)

// buildkitOptions are the flags of the BuildKit daemon that RUN steps go to.
type buildkitOptions struct {
	addr    string
	tls     buildkit.TLS
	secrets []string
}

// addBuildKitFlags declares --buildkit and its TLS flags.
func addBuildKitFlags(fs *pflag.FlagSet, o *buildkitOptions) {
	fs.StringVar(&o.addr, "buildkit", "", "run the Dockerfile's RUN steps on this BuildKit daemon: "+buildkit.Addresses+" (default $"+buildkit.EnvHost+")")
	fs.StringVar(&o.tls.CA, "buildkit-tls-ca", "", "CA certificate of a tcp:// BuildKit daemon")
	fs.StringVar(&o.tls.Cert, "buildkit-tls-cert", "", "client certificate for a tcp:// BuildKit daemon")
	fs.StringVar(&o.tls.Key, "buildkit-tls-key", "", "client key for a tcp:// BuildKit daemon")
	fs.StringVar(&o.tls.ServerName, "buildkit-tls-server-name", "", "server name the daemon's certificate must have")
	fs.StringArrayVar(&o.secrets, "secret", nil, "a secret RUN --mount=type=secret,id=ID reads: id=ID[,env=VAR|,src=FILE] (default: $ID, else the file ID) (repeatable)")
	group(fs, "Dockerfile", "buildkit")
	group(fs, "BuildKit", "secret", "buildkit-tls-ca", "buildkit-tls-cert", "buildkit-tls-key", "buildkit-tls-server-name")
}

// secretValues reads the value of each --secret: id=ID with env=VAR or
// src=FILE, or, with neither, $ID when it is set and else the file ID.
// Errors name the flag, never a value.
func secretValues(flags []string, getenv env) (map[string][]byte, error) {
	out := map[string][]byte{}
	for _, f := range flags {
		fields := map[string]string{}
		for _, kv := range strings.Split(f, ",") {
			k, v, ok := strings.Cut(kv, "=")
			if !ok || (k != "id" && k != "env" && k != "src") || v == "" {
				return nil, fmt.Errorf("--secret %s: use id=ID, with env=VAR or src=FILE", f)
			}
			fields[k] = v
		}
		id := fields["id"]
		switch {
		case id == "":
			return nil, fmt.Errorf("--secret %s: name the secret: id=ID", f)
		case fields["env"] != "" && fields["src"] != "":
			return nil, fmt.Errorf("--secret %s: give env= or src=, not both", f)
		}
		env, src := fields["env"], fields["src"]
		if env == "" && src == "" {
			if getenv(id) != "" {
				env = id
			} else {
				src = id
			}
		}
		if env != "" {
			v := getenv(env)
			if v == "" {
				return nil, fmt.Errorf("--secret %s: $%s is not set", f, env)
			}
			out[id] = []byte(v)
			continue
		}
		v, err := os.ReadFile(src)
		if err != nil {
			return nil, fmt.Errorf("--secret %s: %w", f, unwrapPath(err))
		}
		out[id] = v
	}
	return out, nil
}

// address is the daemon's address: --buildkit (or $BREFIMG_BUILDKIT, or
// brefimg.yaml's buildkit), else $BUILDKIT_HOST; "" for none.
func (o *buildkitOptions) address(getenv env) string {
	if o.addr != "" {
		return o.addr
	}
	return strings.TrimSpace(getenv(buildkit.EnvHost))
}

// solver returns the BuildKit solver the flags ask for, reporting its
// progress with rep; nil when no daemon is named. Input images are kept
// in the cache directory's OCI layout, when there is one.
func (o *buildOptions) solver(rep *reporter) (*buildkit.Solver, error) {
	addr := o.buildkit.address(o.getenv)
	if addr == "" {
		return nil, nil
	}
	secrets, err := secretValues(o.buildkit.secrets, o.getenv)
	if err != nil {
		return nil, err
	}
	opts := []buildkit.Option{buildkit.WithTLS(o.buildkit.tls), buildkit.WithSecrets(secrets)}
	if rep != nil {
		opts = append(opts, buildkit.WithStatus(rep.buildkit))
	}
	if dir := o.cacheDirectory(); dir != "" && !o.noCache {
		opts = append(opts, buildkit.WithStore(filepath.Join(dir, "buildkit-store")))
	}
	s, err := buildkit.New(addr, opts...)
	if err != nil {
		return nil, fmt.Errorf("--buildkit %s: %w", addr, err)
	}
	return s, nil
}

// solvePath says what BuildKit builds of a plan that RUNs commands.
func solvePath(pl plan.Plan) string {
	if pl.Solve.Whole {
		return "BuildKit builds the whole image (the final stage RUNs commands)"
	}
	var names []string
	for _, st := range pl.Stages {
		if st.Solve {
			names = append(names, st.Name)
		}
	}
	return "BuildKit builds stage " + strings.Join(names, ", ") + " (it RUNs commands); brefimg builds the final stage"
}

// buildkit renders what the BuildKit daemon reports: a line per step
// started, cached or failed, and what RUN steps print, indented; on a
// terminal, a spinner with its time for each step running.
func (r *reporter) buildkit(s buildkit.Status) {
	switch s.Kind {
	case buildkit.StepStarted:
		r.linef("buildkit: %s", s.Step)
		r.startStep(s.Step)
	case buildkit.StepDone:
		r.endStep(s.Step)
		if s.Cached {
			r.linef("buildkit: %s: cached", s.Step)
		}
	case buildkit.StepFailed:
		r.endStep(s.Step)
		r.linef("buildkit: %s: %s", s.Step, s.Err)
	case buildkit.StepLog:
		r.linef("  | %s", s.Log)
	}
}

// maxStepName bounds the name of a step's spinner.
const maxStepName = 60

// startStep shows a spinner for the BuildKit step name, in bars mode.
func (r *reporter) startStep(name string) {
	if r.mode != "bars" {
		return
	}
	label := name
	if len(label) > maxStepName {
		label = label[:maxStepName-1] + "…"
	}
	bar := r.bars.New(0, mpb.SpinnerStyle(), mpb.BarRemoveOnComplete(),
		mpb.PrependDecorators(decor.Name(label, decor.WC{C: decor.DindentRight | decor.DextraSpace})),
		mpb.AppendDecorators(decor.Elapsed(decor.ET_STYLE_GO)))
	r.mu.Lock()
	if old := r.steps[name]; old != nil {
		old.Abort(true)
	}
	r.steps[name] = bar
	r.mu.Unlock()
}

// endStep removes the spinner of step name, if it has one.
func (r *reporter) endStep(name string) {
	r.mu.Lock()
	bar := r.steps[name]
	delete(r.steps, name)
	r.mu.Unlock()
	if bar != nil {
		bar.Abort(true)
	}
}

// endSteps removes every spinner left (a build that stopped).
func (r *reporter) endSteps() {
	r.mu.Lock()
	bars := r.steps
	r.steps = map[string]*mpb.Bar{}
	r.mu.Unlock()
	for _, b := range bars {
		b.Abort(true)
	}
}
