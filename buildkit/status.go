package buildkit

import (
	"bytes"
	"strings"

	"github.com/moby/buildkit/client"
	digest "github.com/opencontainers/go-digest"
)

// StatusKind says what a [Status] reports.
type StatusKind int

// The kinds of [Status].
const (
	// StepStarted: the daemon started the step.
	StepStarted StatusKind = iota
	// StepDone: the step finished, or was found in the daemon's cache
	// (Cached).
	StepDone
	// StepFailed: the step failed with Err.
	StepFailed
	// StepLog: the step printed Log (one line, without its new line).
	StepLog
)

// Status is one thing the daemon reports about a build.
type Status struct {
	// Kind says what happened.
	Kind StatusKind
	// Step is the step's name as BuildKit gives it, e.g.
	// "[stage-1 2/3] RUN composer install".
	Step string
	// Cached is true for a StepDone the daemon took from its cache.
	Cached bool
	// Log is a line a StepLog step printed.
	Log string
	// Err is the error of a StepFailed.
	Err string
}

// statusReader turns the daemon's status stream into Status values: each
// step started and finished once, and its output split into lines.
type statusReader struct {
	f       func(Status)
	names   map[digest.Digest]string
	started map[digest.Digest]bool
	done    map[digest.Digest]bool
	partial map[digest.Digest][]byte
}

func newStatusReader(f func(Status)) *statusReader {
	return &statusReader{f: f, names: map[digest.Digest]string{}, started: map[digest.Digest]bool{},
		done: map[digest.Digest]bool{}, partial: map[digest.Digest][]byte{}}
}

// read reports what ss says that was not reported yet.
func (r *statusReader) read(ss *client.SolveStatus) {
	if r.f == nil {
		return
	}
	for _, v := range ss.Vertexes {
		if v.Name != "" {
			r.names[v.Digest] = v.Name
		}
		if v.Started != nil && !r.started[v.Digest] && !v.Cached {
			r.started[v.Digest] = true
			r.f(Status{Kind: StepStarted, Step: v.Name})
		}
		if (v.Completed != nil || v.Cached) && !r.done[v.Digest] {
			r.done[v.Digest] = true
			r.flush(v.Digest)
			if v.Error != "" {
				r.f(Status{Kind: StepFailed, Step: v.Name, Err: v.Error})
			} else {
				r.f(Status{Kind: StepDone, Step: v.Name, Cached: v.Cached})
			}
		}
	}
	for _, l := range ss.Logs {
		buf := append(r.partial[l.Vertex], l.Data...)
		for {
			i := bytes.IndexByte(buf, '\n')
			if i < 0 {
				break
			}
			r.f(Status{Kind: StepLog, Step: r.names[l.Vertex], Log: strings.TrimRight(string(buf[:i]), "\r")})
			buf = buf[i+1:]
		}
		r.partial[l.Vertex] = buf
	}
}

// flush reports what step d printed after its last new line.
func (r *statusReader) flush(d digest.Digest) {
	if b := r.partial[d]; len(b) > 0 {
		r.f(Status{Kind: StepLog, Step: r.names[d], Log: string(b)})
	}
	delete(r.partial, d)
}

// cause is err's message without gRPC's wrapping.
func cause(err error) string {
	msg := err.Error()
	if i := strings.Index(msg, " desc = "); strings.HasPrefix(msg, "rpc error: ") && i >= 0 {
		msg = msg[i+len(" desc = "):]
	}
	return msg
}
