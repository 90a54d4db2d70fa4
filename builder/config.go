package builder

import (
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/plan"
)

// applyConfig sets the Dockerfile's config changes (other than Cmd and Env).
func applyConfig(cf *v1.ConfigFile, c plan.Config) {
	if c.Entrypoint != nil {
		cf.Config.Entrypoint = c.Entrypoint
	}
	if c.WorkingDir != "" {
		cf.Config.WorkingDir = c.WorkingDir
	}
	if c.User != "" {
		cf.Config.User = c.User
	}
	if len(c.Labels) > 0 {
		if cf.Config.Labels == nil {
			cf.Config.Labels = map[string]string{}
		}
		for k, v := range c.Labels {
			cf.Config.Labels[k] = v
		}
	}
	if len(c.ExposedPorts) > 0 {
		if cf.Config.ExposedPorts == nil {
			cf.Config.ExposedPorts = map[string]struct{}{}
		}
		for k := range c.ExposedPorts {
			cf.Config.ExposedPorts[k] = struct{}{}
		}
	}
	if len(c.Volumes) > 0 {
		if cf.Config.Volumes == nil {
			cf.Config.Volumes = map[string]struct{}{}
		}
		for k := range c.Volumes {
			cf.Config.Volumes[k] = struct{}{}
		}
	}
	if c.Healthcheck != nil {
		h := *c.Healthcheck
		cf.Config.Healthcheck = &h
	}
	if c.StopSignal != "" {
		cf.Config.StopSignal = c.StopSignal
	}
	if c.Shell != nil {
		cf.Config.Shell = c.Shell
	}
	if c.Author != "" {
		cf.Author = c.Author
	}
}

// mergeEnv sets each KEY=VALUE of add on top of env, keeping env's order.
func mergeEnv(env, add []string) []string {
	out := append([]string(nil), env...)
	for _, kv := range add {
		k, _, _ := strings.Cut(kv, "=")
		replaced := false
		for i, e := range out {
			if ek, _, _ := strings.Cut(e, "="); ek == k {
				out[i], replaced = kv, true
			}
		}
		if !replaced {
			out = append(out, kv)
		}
	}
	return out
}

// baseNameOf returns the fully qualified name of a base reference
// ("docker.io/bref/php-80-fpm:1"), as the OCI annotation wants.
func baseNameOf(ref string) string {
	if r, err := name.ParseReference(ref); err == nil {
		return r.Name()
	}
	return ref
}
