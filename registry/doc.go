// Package registry talks to container registries and writes images out: it
// resolves references (pulling Docker Hub names through a mirror when asked),
// finds credentials, reads images lazily, pushes to one or more tags, and
// writes OCI image layouts and `docker load` tarballs atomically.
//
// It knows nothing about Bref: it moves images, it does not make them.
package registry
