// Package plan holds the plain data that passes between brefimg's stages:
// a [Plan] is what a front end (flags, a Dockerfile, later serverless.yml)
// makes and a builder turns into an image; a [Result] is what the builder
// returns; an [InputError] is how any stage says that the user's input is
// at fault, naming the input field so that each front end can render it
// in its own terms. The package does no I/O.
package plan
