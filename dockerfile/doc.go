// Package dockerfile turns a Bref-style Dockerfile into a [plan.Plan],
// with BuildKit's own parser and instruction types
// (github.com/moby/buildkit/frontend/dockerfile/parser and .../instructions)
// and BuildKit's variable expansion (.../shell): heredocs, escapes, parser
// directives, ARG before FROM, --build-arg, ARG and ENV expansion in the
// words and flags of every instruction BuildKit expands.
//
// [Parse] follows BuildKit's dispatcher instruction by instruction:
//
//   - FROM an image, FROM scratch, or FROM an earlier stage; --platform;
//     only the stages the target stage needs are looked at, as BuildKit
//     does, so that an unused stage with a RUN does not stop the build;
//   - COPY and ADD from the build context (its .dockerignore applied), from
//     an image or from an earlier stage (--from), with --chown, --chmod
//     (octal or symbolic), --link, --parents and --exclude; ADD extracts
//     local tar archives; heredocs become files. The steps keep BuildKit's
//     file semantics (see layers.Tree.Copy); the build applies them;
//   - WORKDIR (relative to the previous one; it creates the directory as
//     BuildKit does), ENV (a variable already set stays in its place),
//     LABEL, CMD and ENTRYPOINT (the shell form runs under SHELL, by
//     default ["/bin/sh", "-c"]; an ENTRYPOINT clears a CMD the stage has
//     not set), MAINTAINER;
//   - USER, EXPOSE, VOLUME, HEALTHCHECK, STOPSIGNAL and SHELL are kept in
//     the config where Docker keeps them, with a warning: Lambda ignores
//     them.
//
// Refused, with an error naming the Dockerfile, the line and what to do
// instead (a *plan.InputError, exit code 2 in the CLI): RUN and ONBUILD
// (brefimg runs no container), base images with ONBUILD triggers, ADD of a
// URL or a Git repository (no network fetch during a build), a COPY or ADD
// source outside the build context (COPY .. /var/task: Docker's classic
// builder refuses it, BuildKit copies the context's root instead), and ADD
// of an xz or zstd archive (at build time). Every RUN and ONBUILD of the
// stages the target needs is reported at once, a line each, with advice
// that fits the command and the stage: a builder stage on another image
// (FROM composer, FROM node) is told to do the work in CI and COPY the
// result from the build context, a Bref stage installing packages to copy
// a Bref extension image, chmod and chown to use COPY --chmod and
// --chown, echo > FILE to write the file with a heredoc.
//
// Expanding variables needs the environment, working directory and user
// of every FROM image: [WithImageConfigs] says where to read image
// configs ([RegistryConfigs] reads them from a registry, honouring
// brefimg.lock); [WithUnreachableImages] lets a run that builds nothing go
// on when the registry cannot be reached. Findings (see the Finding*
// constants) are returned with the plan; the build adds its own.
package dockerfile
