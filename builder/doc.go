// Package builder is brefimg's own builder: it turns a plan.Plan (plain
// data: a base image, what to copy onto it, config changes) into a
// plan.Result holding the v1.Image and what the build observed (what each
// step wrote, the final file tree of Dockerfile builds). It never runs a
// container, and it runs no checks: package checks reads the result.
//
// The base image is read lazily: its manifest and config, never its layers
// unless a destination needs them. Extension layers that hold only files
// under the copied path are appended as they are (same blobs, so registries
// deduplicate them); anything else is copied into a new deterministic layer.
//
// A plan made from a Dockerfile (StepCopy and StepMkdir steps, earlier
// Stages) is applied with Docker's semantics instead: the build reads the
// base's file tree (the headers of its layers, once, and only when a step
// needs it), applies each step to it as BuildKit would, and adds one layer
// per step that changes something, holding what changed and every parent
// directory as the image has them. COPY --from an image appends the
// image's own blobs when that gives the same file tree.
package builder
