// Package layers makes the deterministic, gzip-compressed tar layers brefimg
// appends to a Bref base image, and reads the entries of any layer.
//
// Two kinds of layer are made:
//
//   - [FromDir] packs a directory of the host (the PHP app) under an image
//     path such as /var/task, honouring .dockerignore patterns
//     ([ReadIgnoreFile], [WithIgnorePatterns]).
//   - [Subtree] packs the flattened filesystem of another image at and under
//     a prefix such as /opt, as `COPY --from=img /opt /opt` would.
//
// Both return a [Layer]: a [v1.Layer] backed by a gzip file in a temporary
// directory, written exactly once. Its digest and diffID are computed while
// it is written. Call [Layer.Close] to remove the file once the image has been
// written.
//
// For Dockerfile builds, a [Tree] models a file tree as an image holds it:
// an image's flattened filesystem read from its layers' headers only
// ([ReadTree]), a build context as BuildKit sends it ([ContextTree]), or
// an empty one for FROM scratch ([NewTree]). [Tree.Copy] applies COPY and
// ADD with BuildKit's exact file semantics (directory contents, trailing
// slashes, globs, symbolic links followed in paths, parents kept or
// created, --chown, --chmod, --link, --parents, --exclude, archives),
// [Tree.Mkdir] applies WORKDIR, [Tree.OverlayLayer] stacks an existing
// layer, and [Tree.WriteLayer] writes what a step changed as a layer with
// every parent directory, reading contents (from the disk, or from the
// one image layer that holds them) only then. These layers follow the
// order and header rules below, but keep the modes and owners the copy
// gives instead of normalising them.
//
// # Rebuilds
//
// A [Cache] ([WithCache]) makes a rebuild read, of what did not change,
// nothing but stats: a layer of a directory ([FromDirSplit]) or of a
// Dockerfile step ([Tree.WriteLayer]) is found by a key of its entries and
// contents, each file of the host known by its stat (see [Cache]), each
// file of an image by the layer's digest and its path; when no stat
// changed, by the stats alone, without loading the per-file hashes. The
// listing of an image layer [ReadTree] reads (its headers, and the small
// files it captures) is kept by the layer's digest, so that a base image's
// file tree is read once. Directories are walked once, in parallel with
// the lstat of their files, in the order of [filepath.WalkDir].
//
// # The digest contract
//
// The same inputs give byte-identical layers, hence the same digests. The
// inputs are: the paths, types, contents and owner-executable bits of the
// files (for FromDir), or the flattened entries of the image (for Subtree);
// the destination or prefix; the ignore patterns; the epoch ([WithEpoch]).
// Everything else is fixed:
//
//   - entries are written depth-first, the children of each directory in
//     byte order of their names, so every directory comes before its
//     contents; the explicit parent directories of the destination come first;
//   - tar names are relative ("var/task/index.php"), directories end with "/";
//   - every header has uid and gid 0, empty user and group names, ModTime set
//     to the epoch, zero access and change times, no extended attributes, and
//     the format archive/tar picks for it (USTAR when it fits);
//   - FromDir modes are normalised, as Lambda runs code as a non-root user:
//     directories 0755, files 0644 or 0755 when the owner may execute them,
//     symbolic links 0777; hard links are stored as independent files;
//   - the compression is klauspost/pgzip at level [GzipLevel] in blocks of
//     [GzipBlockSize] bytes, compressed in parallel but each with the tail
//     of the block before as its dictionary, so the bytes do not depend on
//     the number of CPUs; the gzip header is empty (no name, zero
//     modification time). That compressor is part of the contract: a
//     version that changes its output changes digests.
//
// Mtimes, owners, umask, inode numbers, hard-link layout and the order in
// which files were created never change the digest.
//
// Lambda accepts gzip layers only (Docker or OCI media type) and requires an
// explicit entry for every parent directory; layers made here satisfy both.
package layers
