package checks

import (
	"testing"

	"github.com/brefimg/brefimg/findings"
)

// TestSecretsRegistryAuth: container registry credentials in the app
// (Docker's config.json and .dockercfg, the auth.json of podman, skopeo
// and buildah) are secret-auth-json findings when they hold a login, read
// from the disk; by name when the content cannot be read.
func TestSecretsRegistryAuth(t *testing.T) {
	const (
		login   = `{"auths": {"123456789012.dkr.ecr.eu-west-1.amazonaws.com": {"auth": "QVdTOnRva2Vu"}}}`
		helpers = `{"auths": {"ghcr.io": {}}, "credsStore": "desktop", "credHelpers": {"public.ecr.aws": "ecr-login"}}`
		legacy  = `{"https://index.docker.io/v1/": {"auth": "dXNlcjpwYXNz", "email": "a@example.com"}}`
		token   = `{"auths": {"registry.example.com": {"identitytoken": "eyJ"}}}`
	)
	W := findings.Warning
	tests := []struct {
		name  string
		files map[string]string
		read  bool // the app directory is known
		want  []want
	}{
		{name: "docker config with a login", read: true, files: map[string]string{".docker/config.json": login},
			want: []want{{findings.IDSecretAuthJSON, W, ".docker/config.json", 0, []string{"container registry credentials", ".dockerignore"}}}},
		{name: "docker config with credential helpers only", read: true, files: map[string]string{".docker/config.json": helpers}},
		{name: "legacy .dockercfg", read: true, files: map[string]string{"deploy/.dockercfg": legacy},
			want: []want{{findings.IDSecretAuthJSON, W, "deploy/.dockercfg", 0, []string{"container registry credentials"}}}},
		{name: "containers auth.json", read: true, files: map[string]string{".config/containers/auth.json": token},
			want: []want{{findings.IDSecretAuthJSON, W, ".config/containers/auth.json", 0, []string{"podman login"}}}},
		{name: "podman --authfile auth.json at the root", read: true, files: map[string]string{"auth.json": login},
			want: []want{{findings.IDSecretAuthJSON, W, "auth.json", 0, []string{"container registry credentials"}}}},
		{name: "Composer's auth.json at the root", read: true, files: map[string]string{"auth.json": `{"http-basic": {"repo.example.com": {"username": "u", "password": "p"}}}`},
			want: []want{{findings.IDSecretAuthJSON, W, "auth.json", 0, []string{"Composer's registry credentials"}}}},
		{name: "some other auth.json", read: true, files: map[string]string{"config/packages/auth.json": `{"providers": ["github"]}`}},
		{name: "in vendor", read: true, files: map[string]string{"vendor/acme/tests/.docker/config.json": login}},
		{name: "paths only: by name", files: map[string]string{".docker/config.json": helpers, "containers/auth.json": "", "config/auth.json": login}, want: []want{
			{findings.IDSecretAuthJSON, W, ".docker/config.json", 0, nil},
			{findings.IDSecretAuthJSON, W, "containers/auth.json", 0, nil},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			var paths []string
			for p, content := range tc.files {
				writeFile(t, dir, p, content)
				paths = append(paths, p)
			}
			if !tc.read {
				dir = ""
			}
			app := NewApp(dir, paths, nil)
			checkFindings(t, Secrets(app), tc.want)
		})
	}
}
