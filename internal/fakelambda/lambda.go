package fakelambda

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"regexp"

	"github.com/brefimg/brefimg/internal/fakeecr"
	"github.com/brefimg/brefimg/internal/sigv4check"
)

// operation is an operation of the Lambda API the fake serves.
type operation struct {
	// name is the operation's name, e.g. "GetFunction"; its IAM action is
	// "lambda:" + name.
	name string
	// qualified tells whether the function may be qualified (a Qualifier
	// query parameter, or a FunctionName ending in :QUALIFIER).
	qualified bool
	// serve serves the call for a function that exists; s.mu is held.
	serve func(*request) (status int, out any, aerr *apiError)
}

// request is a call being served.
type request struct {
	r         *http.Request
	body      []byte
	call      *Call
	fn        *function
	qualifier string
}

// decode reads the JSON body into v.
func (req *request) decode(v any) *apiError {
	if len(req.body) == 0 {
		return nil
	}
	if err := json.Unmarshal(req.body, v); err != nil {
		return invalidRequestContent(err)
	}
	return nil
}

// lambdaRoutes is the Lambda API: the REST routes of the operations served.
func (s *Server) lambdaRoutes() http.Handler {
	mux := http.NewServeMux()
	const fn = "/2015-03-31/functions/{FunctionName}"
	for pattern, op := range map[string]operation{
		"GET " + fn:                     {"GetFunction", true, s.getFunction},
		"GET " + fn + "/configuration":  {"GetFunctionConfiguration", true, s.getFunctionConfiguration},
		"PUT " + fn + "/code":           {"UpdateFunctionCode", false, s.updateFunctionCode},
		"POST " + fn + "/versions":      {"PublishVersion", false, s.publishVersion},
		"POST " + fn + "/aliases":       {"CreateAlias", false, s.createAlias},
		"GET " + fn + "/aliases/{Name}": {"GetAlias", false, s.getAlias},
		"PUT " + fn + "/aliases/{Name}": {"UpdateAlias", false, s.updateAlias},
	} {
		mux.HandleFunc(pattern, func(w http.ResponseWriter, r *http.Request) { s.serve(w, r, op) })
	}
	mux.HandleFunc("/", func(w http.ResponseWriter, r *http.Request) {
		s.mu.Lock()
		defer s.mu.Unlock()
		s.answer(w, &Call{Op: r.Method + " " + r.URL.Path}, 0, nil, unknownOperation())
	})
	return mux
}

// serve checks the call's signature, function name and IAM action, finds
// the function and serves the operation.
func (s *Server) serve(w http.ResponseWriter, r *http.Request, op operation) {
	body, err := io.ReadAll(r.Body)
	if err != nil {
		http.Error(w, err.Error(), http.StatusBadRequest)
		return
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	call := &Call{Op: op.name}
	status, out, aerr := s.dispatch(&request{r: r, body: body, call: call}, op)
	s.answer(w, call, status, out, aerr)
}

// dispatch serves a call whose body was read; s.mu is held.
func (s *Server) dispatch(req *request, op operation) (int, any, *apiError) {
	keyID, authErr := sigv4check.Verify(req.r, req.body, s.secrets, s.Region, "lambda")
	req.call.AccessKeyID = keyID
	if authErr != nil {
		return 0, nil, authError(authErr)
	}
	t, aerr := parseTarget(req.r.PathValue("FunctionName"))
	req.call.Function, req.call.Qualifier = t.name, t.qualifier
	if aerr != nil {
		return 0, nil, aerr
	}
	if t.qualifier != "" && !op.qualified {
		return 0, nil, invalidParameter(fmt.Sprintf("%s takes an unqualified function name, not %q.", op.name, req.r.PathValue("FunctionName")))
	}
	if q := req.r.URL.Query().Get("Qualifier"); q != "" && op.qualified {
		if t.qualifier != "" && t.qualifier != q {
			return 0, nil, invalidParameter("The derived qualifier from the function name does not match the specified qualifier.")
		}
		t.qualifier, req.call.Qualifier = q, q
	}
	action := "lambda:" + op.name
	if t.account != "" && t.account != fakeecr.Account {
		return 0, nil, accessDenied(action, "arn:aws:lambda:"+s.Region+":"+t.account+":function:"+t.name)
	}
	if s.denied[action] {
		return 0, nil, accessDenied(action, s.functionARN(t.name, t.qualifier))
	}
	if t.region != "" && t.region != s.Region {
		return 0, nil, resourceNotFound(fmt.Sprintf("Functions from '%s' are not reachable in this region ('%s')", t.region, s.Region))
	}
	f, ok := s.functions[t.name]
	if !ok {
		return 0, nil, resourceNotFound("Function not found: " + s.functionARN(t.name, t.qualifier))
	}
	req.fn, req.qualifier = f, t.qualifier
	return op.serve(req)
}

// answer records the call and writes out, or the error; s.mu is held.
func (s *Server) answer(w http.ResponseWriter, call *Call, status int, out any, aerr *apiError) {
	w.Header().Set("X-Amzn-Requestid", newUUID())
	if aerr != nil {
		call.Error = aerr.code
		s.record(*call)
		aerr.write(w)
		return
	}
	s.record(*call)
	b, err := json.Marshal(out)
	if err != nil {
		http.Error(w, err.Error(), http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	_, _ = w.Write(b)
}

// functionRef is a FunctionName as Lambda takes it: a name, a partial ARN
// (ACCOUNT:function:NAME) or an ARN, each with an optional :QUALIFIER.
var functionRef = regexp.MustCompile(`^(?:(?:arn:aws[a-zA-Z-]*:lambda:([a-z]{2}(?:-gov)?-[a-z]+-\d):)?(\d{12}):function:)?` +
	`([a-zA-Z0-9_-]{1,64})(?::(\$LATEST|[a-zA-Z0-9_-]{1,128}))?$`)

// target is the function a call names.
type target struct {
	region, account, name, qualifier string
}

// parseTarget reads a FunctionName, refusing one Lambda's pattern refuses.
func parseTarget(raw string) (target, *apiError) {
	m := functionRef.FindStringSubmatch(raw)
	if m == nil {
		return target{}, validation(fmt.Sprintf("1 validation error detected: Value '%s' at 'functionName' failed to satisfy constraint: "+
			"Member must satisfy regular expression pattern: "+
			`(arn:(aws[a-zA-Z-]*)?:lambda:)?([a-z]{2}(-gov)?-[a-z]+-\d{1}:)?(\d{12}:)?(function:)?([a-zA-Z0-9-_]+)(:(\$LATEST|[a-zA-Z0-9-_]+))?`, raw))
	}
	return target{region: m[1], account: m[2], name: m[3], qualifier: m[4]}, nil
}

// functionARN is the ARN of a function of the fake, qualified if qualifier
// is not empty.
func (s *Server) functionARN(name, qualifier string) string {
	arn := "arn:aws:lambda:" + s.Region + ":" + fakeecr.Account + ":function:" + name
	if qualifier != "" {
		arn += ":" + qualifier
	}
	return arn
}
