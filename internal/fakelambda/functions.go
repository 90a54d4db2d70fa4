package fakelambda

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"slices"
	"strconv"
	"time"
)

// The values of LastUpdateStatus.
const (
	// Successful: the last update is done.
	Successful = "Successful"
	// InProgress: an update is under way; another one is refused.
	InProgress = "InProgress"
	// Failed: the last update failed; the function kept its previous code.
	Failed = "Failed"
)

// Function is a Lambda function of the fake: what AddFunction creates and
// what Server.Function returns.
type Function struct {
	// Name is the function's name (not its ARN).
	Name string
	// PackageType is "Image" (when empty) or "Zip".
	PackageType string
	// Architectures are "x86_64" (when empty) or "arm64".
	Architectures []string
	// ImageUri is the image an Image function runs, by tag or digest.
	ImageUri string

	// The fields below are the fake's state: AddFunction ignores them.

	// ARN is the function's ARN.
	ARN string
	// ResolvedImageUri is ImageUri by digest (repository@sha256:…), "" if
	// the fake could not resolve it.
	ResolvedImageUri string
	// CodeSha256 is the hex of the image's manifest digest.
	CodeSha256 string
	// RevisionId changes with every change of the function.
	RevisionId string
	// LastUpdateStatus is Successful, InProgress or Failed, with
	// LastUpdateStatusReasonCode (e.g. "ImageAccessDenied") and
	// LastUpdateStatusReason when Failed.
	LastUpdateStatus, LastUpdateStatusReason, LastUpdateStatusReasonCode string
	// Versions are the published versions, oldest first.
	Versions []Version
	// Aliases are the aliases by name.
	Aliases map[string]Alias
}

// Version is a published version of a function.
type Version struct {
	// Version is its number, "1", "2", ….
	Version string
	// ImageUri, ResolvedImageUri, CodeSha256 and Architectures are the code
	// it runs, frozen when it was published.
	ImageUri, ResolvedImageUri, CodeSha256 string
	Architectures                          []string
	// Description is the description given to PublishVersion.
	Description string
	// LastUpdateStatus is that of the update that published it, if any.
	LastUpdateStatus string
}

// Alias is an alias of a function.
type Alias struct {
	// Name is the alias's name.
	Name string
	// FunctionVersion is the version it points to ("$LATEST" or a number).
	FunctionVersion string
	// Description is its description.
	Description string
	// RevisionId changes with every change of the alias.
	RevisionId string
}

// code is one state of a function's code and configuration: $LATEST or a
// published version.
type code struct {
	version                    string // "$LATEST", "1", …
	imageURI, resolved, sha    string
	arch                       []string
	description                string
	revisionID                 string
	modified                   time.Time
	status, reason, reasonCode string
}

// failure is how an update fails.
type failure struct{ reasonCode, reason string }

// function is a function's state. The Server's mutex guards it.
type function struct {
	name, packageType string
	latest            code
	versions          []*code
	aliases           map[string]*Alias

	// The update in progress, while latest.status is InProgress.
	before     code     // $LATEST before it, back if it fails
	pollsLeft  int      // polls still answering InProgress
	ending     *failure // how it ends: nil, successfully
	publishing *code    // the version it publishes, if any

	// Scripted by the test.
	failNext  *failure // how the next update ends
	conflicts int      // UpdateFunctionCode calls still to refuse
}

// AddFunction creates a function as if someone had deployed it before, with
// its last update Successful. It replaces a function of the same name. An
// ImageUri by tag resolves through SetImageDigest if it was set before;
// otherwise ResolvedImageUri is empty and CodeSha256 made up. It panics on a
// PackageType other than Image or Zip.
func (s *Server) AddFunction(fn Function) {
	if fn.PackageType == "" {
		fn.PackageType = "Image"
	}
	if fn.PackageType != "Image" && fn.PackageType != "Zip" {
		panic(fmt.Sprintf("fakelambda: AddFunction %q: PackageType %q is neither Image nor Zip", fn.Name, fn.PackageType))
	}
	if len(fn.Architectures) == 0 {
		fn.Architectures = []string{"x86_64"}
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	c := code{version: latest, arch: slices.Clone(fn.Architectures), revisionID: newUUID(),
		modified: time.Now(), status: Successful}
	if fn.PackageType == "Image" && fn.ImageUri != "" {
		c.imageURI = fn.ImageUri
		if img, aerr := s.resolve(fn.ImageUri); aerr == nil {
			c.resolved, c.sha = img.resolved(), img.sha()
		} else {
			sum := sha256.Sum256([]byte(fn.ImageUri))
			c.sha = fmt.Sprintf("%x", sum)
		}
	} else if fn.PackageType == "Zip" {
		sum := sha256.Sum256([]byte(fn.Name))
		c.sha = base64.StdEncoding.EncodeToString(sum[:])
	}
	s.functions[fn.Name] = &function{name: fn.Name, packageType: fn.PackageType, latest: c, aliases: map[string]*Alias{}}
}

// Function returns the state of a function.
func (s *Server) Function(name string) (Function, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	f, ok := s.functions[name]
	if !ok {
		return Function{}, false
	}
	out := Function{
		Name: f.name, PackageType: f.packageType, Architectures: slices.Clone(f.latest.arch),
		ImageUri: f.latest.imageURI, ARN: s.functionARN(f.name, ""), ResolvedImageUri: f.latest.resolved,
		CodeSha256: f.latest.sha, RevisionId: f.latest.revisionID, LastUpdateStatus: f.latest.status,
		LastUpdateStatusReason: f.latest.reason, LastUpdateStatusReasonCode: f.latest.reasonCode,
		Aliases: map[string]Alias{},
	}
	for _, v := range f.versions {
		out.Versions = append(out.Versions, Version{Version: v.version, ImageUri: v.imageURI, ResolvedImageUri: v.resolved,
			CodeSha256: v.sha, Architectures: slices.Clone(v.arch), Description: v.description, LastUpdateStatus: v.status})
	}
	for name, a := range f.aliases {
		out.Aliases[name] = *a
	}
	return out, true
}

// FailNextUpdate makes the next UpdateFunctionCode of the function end
// Failed, with LastUpdateStatusReasonCode reasonCode (e.g.
// "ImageAccessDenied") and LastUpdateStatusReason reason.
func (s *Server) FailNextUpdate(name, reasonCode, reason string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustFunction("FailNextUpdate", name).failNext = &failure{reasonCode, reason}
}

// ConflictNext makes the next n UpdateFunctionCode calls of the function
// answer ResourceConflictException, as when someone else's update is under
// way.
func (s *Server) ConflictNext(name string, n int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.mustFunction("ConflictNext", name).conflicts = n
}

// mustFunction returns a function a test control names; s.mu must be held.
func (s *Server) mustFunction(control, name string) *function {
	f, ok := s.functions[name]
	if !ok {
		panic(fmt.Sprintf("fakelambda: %s: no function %q (AddFunction it first)", control, name))
	}
	return f
}

// latest is the version name of the unpublished code.
const latest = "$LATEST"

// inProgress reports whether an update is under way.
func (f *function) inProgress() bool { return f.latest.status == InProgress }

// poll counts one GetFunction or GetFunctionConfiguration of the function:
// the update in progress ends once its polls are spent.
func (f *function) poll() {
	if !f.inProgress() {
		return
	}
	if f.pollsLeft > 0 {
		f.pollsLeft--
		return
	}
	status, reasonCode, reason := Successful, "", ""
	if f.ending != nil {
		status, reasonCode, reason = Failed, f.ending.reasonCode, f.ending.reason
		f.latest = f.before
	}
	f.latest.status, f.latest.reasonCode, f.latest.reason = status, reasonCode, reason
	f.latest.revisionID, f.latest.modified = newUUID(), time.Now()
	if f.publishing != nil {
		f.publishing.status, f.publishing.reasonCode, f.publishing.reason = status, reasonCode, reason
	}
	f.ending, f.publishing = nil, nil
}

// update starts an update of $LATEST to img, which ends after polls polls;
// with publish, it publishes a version of the new code, which it returns.
func (f *function) update(img image, arch []string, polls int, publish bool) *code {
	f.before = f.latest
	f.latest.imageURI, f.latest.resolved, f.latest.sha = img.uri, img.resolved(), img.sha()
	if len(arch) > 0 {
		f.latest.arch = slices.Clone(arch)
	}
	f.latest.status, f.latest.reason, f.latest.reasonCode = InProgress, "", ""
	f.latest.revisionID, f.latest.modified = newUUID(), time.Now()
	f.pollsLeft, f.ending, f.failNext = polls, f.failNext, nil
	if !publish {
		return nil
	}
	v, created := f.publish("")
	if created {
		f.publishing = v
	}
	return v
}

// publish publishes $LATEST as a new version, or returns the newest version
// if it has the same code, as Lambda does; created tells which.
func (f *function) publish(description string) (v *code, created bool) {
	if n := len(f.versions); n > 0 {
		if last := f.versions[n-1]; last.sha == f.latest.sha && slices.Equal(last.arch, f.latest.arch) {
			return last, false
		}
	}
	c := f.latest
	c.version = strconv.Itoa(len(f.versions) + 1)
	c.description = description
	c.arch = slices.Clone(f.latest.arch)
	c.revisionID = newUUID()
	if c.status != InProgress {
		c.status, c.reason, c.reasonCode = Successful, "", ""
	}
	f.versions = append(f.versions, &c)
	return &c, true
}

// version returns $LATEST or a published version.
func (f *function) version(name string) (*code, bool) {
	if name == "" || name == latest {
		return &f.latest, true
	}
	for _, v := range f.versions {
		if v.version == name {
			return v, true
		}
	}
	return nil, false
}
