package fakelambda

import (
	"fmt"
	"net/http"
	"regexp"
	"slices"

	"github.com/brefimg/brefimg/internal/fakeecr"
)

// functionConfiguration is Lambda's FunctionConfiguration, as far as the
// fake keeps it.
type functionConfiguration struct {
	FunctionName               string
	FunctionArn                string
	Runtime                    string `json:",omitempty"`
	Handler                    string `json:",omitempty"`
	Role                       string
	CodeSize                   int64
	Description                string
	Timeout                    int
	MemorySize                 int
	LastModified               string
	CodeSha256                 string
	Version                    string
	RevisionId                 string
	State                      string
	LastUpdateStatus           string
	LastUpdateStatusReason     string `json:",omitempty"`
	LastUpdateStatusReasonCode string `json:",omitempty"`
	PackageType                string
	Architectures              []string
}

// functionCodeLocation is Lambda's FunctionCodeLocation.
type functionCodeLocation struct {
	RepositoryType   string
	ImageUri         string `json:",omitempty"`
	ResolvedImageUri string `json:",omitempty"`
	Location         string `json:",omitempty"`
}

// aliasConfiguration is Lambda's AliasConfiguration.
type aliasConfiguration struct {
	AliasArn        string
	Name            string
	FunctionVersion string
	Description     string
	RevisionId      string
}

// configuration renders c, a state of f's code, as Lambda does; qualifier
// is how the call named it ("" for the unqualified function).
func (s *Server) configuration(f *function, c *code, qualifier string) functionConfiguration {
	out := functionConfiguration{
		FunctionName: f.name, FunctionArn: s.functionARN(f.name, qualifier),
		Role:    "arn:aws:iam::" + fakeecr.Account + ":role/" + f.name + "-role",
		Timeout: 3, MemorySize: 128, Description: c.description,
		LastModified: c.modified.UTC().Format("2006-01-02T15:04:05.000-0700"),
		CodeSha256:   c.sha, Version: c.version, RevisionId: c.revisionID, State: "Active",
		LastUpdateStatus: c.status, LastUpdateStatusReason: c.reason, LastUpdateStatusReasonCode: c.reasonCode,
		PackageType: f.packageType, Architectures: slices.Clone(c.arch),
	}
	if f.packageType == "Zip" {
		out.Runtime, out.Handler = "provided.al2023", "index.php"
	}
	return out
}

// qualified finds the state a qualifier names: $LATEST, a version or an
// alias's version.
func (s *Server) qualified(f *function, qualifier string) (*code, *apiError) {
	if c, ok := f.version(qualifier); ok {
		return c, nil
	}
	if a, ok := f.aliases[qualifier]; ok {
		if c, ok := f.version(a.FunctionVersion); ok {
			return c, nil
		}
	}
	return nil, resourceNotFound("Function not found: " + s.functionARN(f.name, qualifier))
}

// getFunction serves GetFunction: a poll.
func (s *Server) getFunction(req *request) (int, any, *apiError) {
	req.fn.poll()
	c, aerr := s.qualified(req.fn, req.qualifier)
	if aerr != nil {
		return 0, nil, aerr
	}
	loc := functionCodeLocation{RepositoryType: "ECR", ImageUri: c.imageURI, ResolvedImageUri: c.resolved}
	if req.fn.packageType == "Zip" {
		loc = functionCodeLocation{RepositoryType: "S3",
			Location: "https://awslambda-" + s.Region + "-tasks.s3." + s.Region + ".amazonaws.com/snapshots/" + fakeecr.Account + "/" + req.fn.name}
	}
	return http.StatusOK, map[string]any{"Configuration": s.configuration(req.fn, c, req.qualifier), "Code": loc}, nil
}

// getFunctionConfiguration serves GetFunctionConfiguration: a poll.
func (s *Server) getFunctionConfiguration(req *request) (int, any, *apiError) {
	req.fn.poll()
	c, aerr := s.qualified(req.fn, req.qualifier)
	if aerr != nil {
		return 0, nil, aerr
	}
	return http.StatusOK, s.configuration(req.fn, c, req.qualifier), nil
}

// inProgress is Lambda's answer to a change while an update is under way.
func (s *Server) inProgress(f *function) *apiError {
	return resourceConflict("The operation cannot be performed at this time. An update is in progress for resource: " + s.functionARN(f.name, ""))
}

// architectures are the values of Architectures.
var architectures = []string{"x86_64", "arm64"}

// updateFunctionCode serves UpdateFunctionCode of an Image function.
func (s *Server) updateFunctionCode(req *request) (int, any, *apiError) {
	var in struct {
		ImageUri, S3Bucket, S3Key, RevisionId string
		ZipFile                               []byte
		Architectures                         []string
		Publish, DryRun                       bool
	}
	if aerr := req.decode(&in); aerr != nil {
		return 0, nil, aerr
	}
	f := req.fn
	if f.conflicts > 0 {
		f.conflicts--
		return 0, nil, s.inProgress(f)
	}
	if f.inProgress() {
		return 0, nil, s.inProgress(f)
	}
	if in.RevisionId != "" && in.RevisionId != f.latest.revisionID {
		return 0, nil, preconditionFailed()
	}
	if len(in.Architectures) > 1 || (len(in.Architectures) == 1 && !slices.Contains(architectures, in.Architectures[0])) {
		return 0, nil, validation(fmt.Sprintf("1 validation error detected: Value '%v' at 'architectures' failed to satisfy constraint: "+
			"Member must have length less than or equal to 1 and Member must satisfy enum value set: [x86_64, arm64]", in.Architectures))
	}
	switch {
	case f.packageType == "Zip" && in.ImageUri != "":
		return 0, nil, invalidParameter("Please don't provide ImageUri when updating a function with packageType Zip.")
	case f.packageType == "Zip":
		return 0, nil, invalidParameter("fakelambda serves no code update of Zip functions.")
	case in.ImageUri == "":
		return 0, nil, invalidParameter("Please provide ImageUri when updating a function with packageType Image.")
	}
	img, aerr := s.resolve(in.ImageUri)
	if aerr != nil {
		return 0, nil, aerr
	}
	if img.registryRegion != s.Region {
		return 0, nil, notValidImage(in.ImageUri)
	}
	if in.DryRun {
		return http.StatusOK, s.configuration(f, &f.latest, ""), nil
	}
	if v := f.update(img, in.Architectures, s.polls, in.Publish); v != nil {
		return http.StatusOK, s.configuration(f, v, v.version), nil
	}
	return http.StatusOK, s.configuration(f, &f.latest, ""), nil
}

// publishVersion serves PublishVersion.
func (s *Server) publishVersion(req *request) (int, any, *apiError) {
	var in struct{ CodeSha256, Description, RevisionId string }
	if aerr := req.decode(&in); aerr != nil {
		return 0, nil, aerr
	}
	f := req.fn
	if f.inProgress() {
		return 0, nil, s.inProgress(f)
	}
	if in.RevisionId != "" && in.RevisionId != f.latest.revisionID {
		return 0, nil, preconditionFailed()
	}
	if in.CodeSha256 != "" && in.CodeSha256 != f.latest.sha {
		return 0, nil, invalidParameter(fmt.Sprintf("CodeSHA256 (%s) is different from current CodeSHA256 in $LATEST (%s). Please try again from the current state.",
			in.CodeSha256, f.latest.sha))
	}
	v, _ := f.publish(in.Description)
	return http.StatusCreated, s.configuration(f, v, v.version), nil
}

// aliasName is Lambda's constraint on alias names (not all digits, which
// would be a version).
var (
	aliasName = regexp.MustCompile(`^[a-zA-Z0-9_-]{1,128}$`)
	digits    = regexp.MustCompile(`^[0-9]+$`)
)

// aliasJSON renders an alias.
func (s *Server) aliasJSON(f *function, a *Alias) aliasConfiguration {
	return aliasConfiguration{AliasArn: s.functionARN(f.name, a.Name), Name: a.Name,
		FunctionVersion: a.FunctionVersion, Description: a.Description, RevisionId: a.RevisionId}
}

// alias finds the alias a path names.
func (s *Server) alias(req *request) (*Alias, *apiError) {
	name := req.r.PathValue("Name")
	req.call.Qualifier = name
	a, ok := req.fn.aliases[name]
	if !ok {
		return nil, resourceNotFound("Alias not found: " + s.functionARN(req.fn.name, name))
	}
	return a, nil
}

// checkVersion refuses an alias to a version that does not exist.
func (s *Server) checkVersion(f *function, version string) *apiError {
	if version == "" {
		return validation("1 validation error detected: Value null at 'functionVersion' failed to satisfy constraint: Member must not be null")
	}
	if _, ok := f.version(version); !ok {
		return resourceNotFound("Function not found: " + s.functionARN(f.name, version))
	}
	return nil
}

// createAlias serves CreateAlias.
func (s *Server) createAlias(req *request) (int, any, *apiError) {
	var in struct{ Name, FunctionVersion, Description string }
	if aerr := req.decode(&in); aerr != nil {
		return 0, nil, aerr
	}
	req.call.Qualifier = in.Name
	if !aliasName.MatchString(in.Name) || digits.MatchString(in.Name) {
		return 0, nil, validation(fmt.Sprintf("1 validation error detected: Value '%s' at 'name' failed to satisfy constraint: "+
			"Member must satisfy regular expression pattern: (?!^[0-9]+$)([a-zA-Z0-9-_]+)", in.Name))
	}
	f := req.fn
	if _, ok := f.aliases[in.Name]; ok {
		return 0, nil, resourceConflict("Alias already exists: " + s.functionARN(f.name, in.Name))
	}
	if aerr := s.checkVersion(f, in.FunctionVersion); aerr != nil {
		return 0, nil, aerr
	}
	a := &Alias{Name: in.Name, FunctionVersion: in.FunctionVersion, Description: in.Description, RevisionId: newUUID()}
	f.aliases[in.Name] = a
	return http.StatusCreated, s.aliasJSON(f, a), nil
}

// getAlias serves GetAlias.
func (s *Server) getAlias(req *request) (int, any, *apiError) {
	a, aerr := s.alias(req)
	if aerr != nil {
		return 0, nil, aerr
	}
	return http.StatusOK, s.aliasJSON(req.fn, a), nil
}

// updateAlias serves UpdateAlias.
func (s *Server) updateAlias(req *request) (int, any, *apiError) {
	var in struct {
		FunctionVersion, Description *string
		RevisionId                   string
	}
	if aerr := req.decode(&in); aerr != nil {
		return 0, nil, aerr
	}
	a, aerr := s.alias(req)
	if aerr != nil {
		return 0, nil, aerr
	}
	if in.RevisionId != "" && in.RevisionId != a.RevisionId {
		return 0, nil, preconditionFailed()
	}
	if in.FunctionVersion != nil {
		if aerr := s.checkVersion(req.fn, *in.FunctionVersion); aerr != nil {
			return 0, nil, aerr
		}
		a.FunctionVersion = *in.FunctionVersion
	}
	if in.Description != nil {
		a.Description = *in.Description
	}
	a.RevisionId = newUUID()
	return http.StatusOK, s.aliasJSON(req.fn, a), nil
}
