// Package pipeline is the one sequence every brefimg command runs on a
// plan: build it (with whichever builder), run every check on the result,
// apply the policy (--skip-check, --strict), then write the outputs and
// push, in that order, stopping before anything is written when a finding
// is an error. It knows nothing of the front end that made the plan: the
// flags, a Dockerfile and serverless.yml all come through [Run].
package pipeline
