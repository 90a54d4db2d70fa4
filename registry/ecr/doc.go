// Package ecr makes pushes to private Amazon ECR registries work without
// `docker login` or `aws ecr create-repository`:
//
//   - ParseHost recognises ECR registry hosts in every partition (FIPS and
//     dual-stack included) and reads the account and region from them;
//     Host.Warning flags FIPS hosts, which Lambda cannot deploy from.
//   - Keychain gets registry tokens from ECR's GetAuthorizationToken with
//     the AWS SDK's default credential chain, one per registry per run,
//     refreshed before they expire; docker config entries for a host come
//     first, and every other registry is left to the docker config.
//   - EnsureRepository creates a missing repository (scan on push,
//     immutable tags, and Serverless Framework's maxImages lifecycle rule).
//   - Repositories ties it together for a registry.Client: its Hooks create
//     repositories before a push, retry with a longer backoff on 5xx answers
//     and dropped connections, and explain ECR's refusals (an immutable tag,
//     a missing repository, the IAM action denied).
//
// Wiring, as the CLI does it:
//
//	kc, _ := ecr.NewKeychain()
//	repos, _ := ecr.NewRepositories(ecr.Options{Create: true, MaxImages: 10})
//	client, _ := registry.New(registry.WithKeychain(kc), registry.WithHooks(repos.Hooks()),
//		registry.WithJobs(ecr.DefaultJobs))
//
// Errors about the user's setup (no credentials, access denied, no region,
// an immutable tag) report IsInput true, also once wrapped by a
// registry.Client (registry.IsInput). Nothing in this package writes, logs
// or returns an ECR token or an AWS secret.
//
// Uploads themselves are go-containerregistry's, which suit ECR as they are:
// each blob is sent in one PATCH (so the 5 MiB minimum of ECR's chunks never
// applies), a PATCH answered 201 is accepted like 202, and the Range header
// is never read.
package ecr
