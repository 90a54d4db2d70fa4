// Package build turns a Plan (plain data: a base image, what to copy onto
// it, config changes) into a v1.Image plus findings about what would break
// on Lambda. Front ends (flags, a Dockerfile) only make Plans; only this
// package assembles images.
//
// The base image is read lazily: its manifest and config, never its layers
// unless a destination needs them. Extension layers that hold only files
// under the copied path are appended as they are (same blobs, so registries
// deduplicate them); anything else is copied into a new deterministic layer.
package build
