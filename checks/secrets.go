package checks

import (
	"bytes"
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
// auth.json at the app root (findings.IDSecretAuthJSON), private keys
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
		case base == ".env" || strings.HasPrefix(base, ".env.") && !slices.Contains(dotenvTemplates, base):
			add(findings.IDSecretDotenv, p, fmt.Sprintf("%s is in the app: %s, and set its secrets as Lambda environment variables or SSM parameters", p, fix))
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

// underGit reports whether p lies inside a .git directory.
func underGit(p string) bool {
	return slices.Contains(strings.Split(path.Dir(p), "/"), ".git")
}
