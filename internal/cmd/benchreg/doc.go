// Command benchreg is the fixture side of `make bench` (scripts/bench.sh),
// the side-by-side benchmark of brefimg, buildah and a crane script.
//
// Subcommands:
//
//	benchreg serve -state DIR [-app DIR -scale N]
//	    Starts two distribution registries on loopback ports, a source
//	    seeded with the benchmark's Bref-like images (package
//	    internal/benchfix) and an empty target, both with filesystem storage
//	    under DIR; writes the app if -app is given; prints SOURCE=, TARGET=,
//	    CONTROL=, APP= and SEED_BYTES= (bytes of the seeded blobs) lines,
//	    then READY, and serves until SIGINT or SIGTERM.
//	benchreg ctl -addr CONTROL reset|mark|stats
//	    reset empties the target registry (new storage, same address) and
//	    zeroes the counters; mark zeroes the counters; stats prints
//	    "uploads=N upload_bytes=N source_blob_gets=N source_blob_bytes=N":
//	    blob uploads started on the target (mounts excluded) and the bytes
//	    sent to it, blobs downloaded from the source and their bytes.
//	benchreg app -dir DIR -scale N
//	    Writes the Laravel-like app at scale N into DIR and prints its size.
//	benchreg change -dir DIR -n N
//	    Rewrites one file of the app in DIR with variant N (0 restores it).
//	benchreg digest REF
//	    Prints the digest of the manifest REF names (plain HTTP on loopback).
//	benchreg report -results FILE -env FILE [-out FILE]
//	    Turns the measurements the script recorded into the markdown report
//	    (BENCHMARKS.md): medians, ratios to brefimg, digests, blobs, memory,
//	    the Dockerfile builds against the flag builds, the Dockerfiles that
//	    RUN (brefimg with BuildKit against buildah), where a rebuild's
//	    time goes, and the goals of issues 6 and 19 met or missed.
//	benchreg registry -root DIR -addr HOST:PORT [-access-log FILE]
//	    Serves one distribution registry, alone in this process, with the
//	    configuration distribution's registry binary ships: the registry
//	    "in its own process" when Debian's docker-registry is unavailable.
//	benchreg extstats -log FILE -offset N
//	    Prints "uploads=N upload_bytes=-1": the blob uploads an access log
//	    (combined log format) records after offset N.
//	benchreg freeport
//	    Prints a loopback address whose port is free.
//	benchreg wait -addr HOST:PORT
//	    Waits until the registry there answers.
//	benchreg seedshell -source HOST:PORT [-prefix shell]
//	    Pushes the seeded images again under HOST:PORT/shell/, the base
//	    with a shell (benchfix.SeedShell): the images of the Dockerfiles
//	    that RUN, which brefimg pulls with --mirror HOST:PORT/shell.
//	benchreg bkwait -addr unix://SOCKET [-timeout 1m] [-pid PID]
//	    Waits until the BuildKit daemon there lists a worker (or process
//	    PID has exited).
//	benchreg stamp -out FILE
//	    Copies standard input to standard output and writes each line to
//	    FILE after the time it was read (Unix seconds, a tab): the
//	    timeline of a build's progress, which the report splits into
//	    phases.
//
// The registries use distribution's filesystem storage driver rather than
// the in-memory one package internal/testregistry uses: the in-memory driver
// grows a blob being written by copying it whole on every write, which makes
// pushing a 70 MB layer take seconds and would dominate every figure.
package main
