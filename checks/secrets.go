package checks

import (
	"bytes"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"

	"github.com/brefimg/brefimg/findings"
)

// dotenvTemplates are .env files that hold no secrets by convention.
var dotenvTemplates = []string{".env.example", ".env.dist", ".env.sample", ".env.template"}

// privateKeyNames are OpenSSH's default private key files.
var privateKeyNames = []string{"id_rsa", "id_dsa", "id_ecdsa", "id_ed25519", "id_ecdsa_sk", "id_ed25519_sk"}

// Secrets warns about files of the app layer that would bake secrets into
// the image: .env files (findings.IDSecretDotenv; .env.example, .env.dist,
// .env.sample and .env.template are templates and left alone), Composer's
// auth.json at the app root and container registry credentials (Docker's
// .docker/config.json and .dockercfg, the auth.json of podman, skopeo and
// buildah) that hold a login (findings.IDSecretAuthJSON), private keys
// (findings.IDSecretKey: id_rsa, id_ed25519 and the other OpenSSH names, and .pem or
// .key files holding a "PRIVATE KEY" block; without app.Dir every .pem and
// .key counts), and .git directories (findings.IDSecretGit). vendor/ is not
// searched: it holds third-party files such as CA bundles and test keys.
func Secrets(app App) []findings.Finding {
	var out []findings.Finding
	add := func(id, p, msg string) {
		out = append(out, findings.Finding{ID: id, Severity: findings.Warning, Path: p, Message: msg})
	}
	const fix = "it would be baked into the image; add it to .dockerignore"
	for _, p := range app.Paths {
		if p == "vendor/" || strings.HasPrefix(p, "vendor/") {
			continue
		}
		if d, ok := strings.CutSuffix(p, "/"); ok {
			if path.Base(d) == ".git" {
				add(findings.IDSecretGit, d, fmt.Sprintf("%s/ is in the app: the repository history, with any secret ever committed, would be baked into the image; add %s to .dockerignore", d, d))
			}
			continue
		}
		if underGit(p) {
			continue
		}
		base := path.Base(p)
		switch {
		case base == ".env.local.php" && emptyDumpedEnv(app, p):
			// composer dump-env prod with no secrets, as Bref's Symfony guide
			// has it: `<?php return [];` holds nothing to leak.
		case base == ".env" || strings.HasPrefix(base, ".env.") && !slices.Contains(dotenvTemplates, base):
			add(findings.IDSecretDotenv, p, fmt.Sprintf("%s is in the app: %s, and set its secrets as Lambda environment variables or SSM parameters", p, fix))
		case registryAuthFile(app, p):
			add(findings.IDSecretAuthJSON, p, fmt.Sprintf("%s holds container registry credentials (docker login, podman login): %s, and log in only where images are pulled or pushed", p, fix))
		case p == "auth.json":
			add(findings.IDSecretAuthJSON, p, fmt.Sprintf("auth.json (Composer's registry credentials) is in the app: %s", fix))
		case slices.Contains(privateKeyNames, base):
			add(findings.IDSecretKey, p, fmt.Sprintf("%s is a private key in the app: %s", p, fix))
		case strings.HasSuffix(base, ".pem") || strings.HasSuffix(base, ".key"):
			if app.Dir != "" {
				data, err := app.read(p)
				if err == nil && !bytes.Contains(data, []byte("PRIVATE KEY-----")) {
					continue
				}
			}
			add(findings.IDSecretKey, p, fmt.Sprintf("%s holds a private key: %s, and load the key from AWS Secrets Manager or SSM at run time", p, fix))
		}
	}
	return out
}

// emptyDumpedEnv reports whether the .env.local.php at p returns an empty
// array (what `composer dump-env prod` writes when .env holds no value).
func emptyDumpedEnv(app App, p string) bool {
	if app.Dir == "" {
		return false
	}
	data, err := app.read(p)
	if err != nil {
		return false
	}
	var code strings.Builder
	for _, line := range strings.Split(string(data), "\n") {
		if l := strings.TrimSpace(line); !strings.HasPrefix(l, "//") && !strings.HasPrefix(l, "#") {
			code.WriteString(strings.Join(strings.Fields(l), ""))
		}
	}
	c := strings.TrimSuffix(strings.TrimPrefix(code.String(), "<?php"), "?>")
	return c == "return[];" || c == "returnarray();"
}

// underGit reports whether p lies inside a .git directory.
func underGit(p string) bool {
	return slices.Contains(strings.Split(path.Dir(p), "/"), ".git")
}

// registryAuthFile reports whether p is a container registry auth file
// that holds credentials: .docker/config.json, .dockercfg or an auth.json
// (containers-auth.json) with a login in it. Without app.Dir the content
// cannot be read: the Docker files and containers/auth.json count by
// name, other auth.json files (Composer's, at the root) do not.
func registryAuthFile(app App, p string) bool {
	base, parent := path.Base(p), path.Base(path.Dir(p))
	byName := base == ".dockercfg" || base == "config.json" && parent == ".docker" || base == "auth.json" && parent == "containers"
	if !byName && base != "auth.json" {
		return false
	}
	if app.Dir == "" {
		return byName
	}
	data, err := app.read(p)
	if err != nil {
		return byName
	}
	return holdsRegistryLogin(data, base == ".dockercfg")
}

// holdsRegistryLogin reports whether data, a Docker config or a
// containers-auth.json ({"auths": {"host": {"auth": "…"}}}; with legacy,
// a .dockercfg, whose hosts are at the top), holds a login: a non-empty
// auth, password or token for some registry. Credential helpers
// (credsStore, credHelpers) keep the secret elsewhere and do not count.
func holdsRegistryLogin(data []byte, legacy bool) bool {
	var cfg map[string]json.RawMessage
	if json.Unmarshal(data, &cfg) != nil {
		return false
	}
	var hosts map[string]json.RawMessage
	if raw, ok := cfg["auths"]; ok {
		if json.Unmarshal(raw, &hosts) != nil {
			return false
		}
	} else if legacy {
		hosts = cfg
	}
	for _, raw := range hosts {
		var login struct {
			Auth          string `json:"auth"`
			Password      string `json:"password"`
			IdentityToken string `json:"identitytoken"`
			RegistryToken string `json:"registrytoken"`
		}
		if json.Unmarshal(raw, &login) == nil && login.Auth+login.Password+login.IdentityToken+login.RegistryToken != "" {
			return true
		}
	}
	return false
}
