package fakelambda

import (
	"encoding/xml"
	"io"
	"net/http"
	"net/url"

	"github.com/brefimg/brefimg/internal/fakeecr"
	"github.com/brefimg/brefimg/internal/sigv4check"
)

// UserID is the unique ID of the IAM user fakeecr.Principal, as
// GetCallerIdentity gives it.
const UserID = "AIDAQ3EGQ5BREFIMGTEST"

// stsVersion is the API version STS clients send.
const stsVersion = "2011-06-15"

// getCallerIdentityResponse is STS's answer to GetCallerIdentity.
type getCallerIdentityResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ GetCallerIdentityResponse"`
	Result  struct {
		Arn     string
		UserId  string
		Account string
	} `xml:"GetCallerIdentityResult"`
	RequestID string `xml:"ResponseMetadata>RequestId"`
}

// stsErrorResponse is an error answer of STS (AWS Query protocol).
type stsErrorResponse struct {
	XMLName xml.Name `xml:"https://sts.amazonaws.com/doc/2011-06-15/ ErrorResponse"`
	Error   struct {
		Type    string
		Code    string
		Message string
	}
	RequestID string `xml:"RequestId"`
}

// stsHandler is the STS API (AWS Query protocol: a POSTed form with Action
// and Version, answered in XML) with GetCallerIdentity.
func (s *Server) stsHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		body, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		form, _ := url.ParseQuery(string(body))
		s.mu.Lock()
		defer s.mu.Unlock()
		call := Call{Op: form.Get("Action")}
		keyID, authErr := sigv4check.Verify(r, body, s.secrets, s.Region, "sts")
		call.AccessKeyID = keyID
		var out any
		status := http.StatusOK
		switch {
		case authErr != nil:
			status, out = http.StatusForbidden, stsError(authErr.QueryCode, authErr.Message)
		case r.Method != http.MethodPost || call.Op != "GetCallerIdentity" || form.Get("Version") != stsVersion:
			status, out = http.StatusBadRequest, stsError("InvalidAction",
				"Could not find operation "+call.Op+" for version "+form.Get("Version"))
		default:
			res := &getCallerIdentityResponse{RequestID: newUUID()}
			res.Result.Arn, res.Result.UserId, res.Result.Account = fakeecr.Principal, UserID, fakeecr.Account
			out = res
		}
		if e, ok := out.(*stsErrorResponse); ok {
			call.Error = e.Error.Code
		}
		s.record(call)
		b, err := xml.Marshal(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		w.Header().Set("Content-Type", "text/xml")
		w.Header().Set("X-Amzn-Requestid", newUUID())
		w.WriteHeader(status)
		_, _ = w.Write(b)
	})
}

// stsError is an STS error made by the caller ("Sender").
func stsError(code, message string) *stsErrorResponse {
	e := &stsErrorResponse{RequestID: newUUID()}
	e.Error.Type, e.Error.Code, e.Error.Message = "Sender", code, message
	return e
}
