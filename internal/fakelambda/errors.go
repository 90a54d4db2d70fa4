package fakelambda

import (
	"encoding/json"
	"net/http"

	"github.com/brefimg/brefimg/internal/fakeecr"
	"github.com/brefimg/brefimg/internal/sigv4check"
)

// apiError is an error answer of the Lambda API, in its REST-JSON shape: the
// code in the X-Amzn-Errortype header, the message in a JSON body.
type apiError struct {
	status  int
	code    string
	message string
	// key is the body's member for the message: "Message" or "message",
	// as Lambda's model spells it for each error.
	key string
	// user adds "Type": "User" to the body, as Lambda does for its own
	// errors (not for those of the AWS front: signature, IAM, validation).
	user bool
}

// resourceNotFound is Lambda's 404 ResourceNotFoundException.
func resourceNotFound(message string) *apiError {
	return &apiError{http.StatusNotFound, "ResourceNotFoundException", message, "Message", true}
}

// resourceConflict is Lambda's 409 ResourceConflictException.
func resourceConflict(message string) *apiError {
	return &apiError{http.StatusConflict, "ResourceConflictException", message, "message", true}
}

// invalidParameter is Lambda's 400 InvalidParameterValueException.
func invalidParameter(message string) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidParameterValueException", message, "message", true}
}

// preconditionFailed is Lambda's 412 PreconditionFailedException, for a
// RevisionId that is not the current one.
func preconditionFailed() *apiError {
	return &apiError{http.StatusPreconditionFailed, "PreconditionFailedException",
		"The Revision Id provided does not match the latest Revision Id. Call the GetFunction/GetAlias API to retrieve the latest Revision Id",
		"message", true}
}

// invalidRequestContent is Lambda's 400 InvalidRequestContentException, for
// a body that is not the JSON the operation takes.
func invalidRequestContent(err error) *apiError {
	return &apiError{http.StatusBadRequest, "InvalidRequestContentException",
		"Could not parse request body into json: " + err.Error(), "message", true}
}

// unknownOperation is the AWS front's answer to a path no operation has.
func unknownOperation() *apiError {
	return &apiError{http.StatusNotFound, "UnknownOperationException", "Unknown operation", "message", false}
}

// validation is the AWS front's 400 ValidationException.
func validation(message string) *apiError {
	return &apiError{http.StatusBadRequest, "ValidationException", message, "message", false}
}

// accessDenied is IAM's 403 AccessDeniedException for action on resource.
func accessDenied(action, resource string) *apiError {
	return &apiError{http.StatusForbidden, "AccessDeniedException", fakeecr.AccessDenied(action, resource), "Message", false}
}

// authError is the AWS front's 403 answer to a signature it refuses.
func authError(e *sigv4check.Error) *apiError {
	return &apiError{http.StatusForbidden, e.Code, e.Message, "message", false}
}

// write writes the error.
func (e *apiError) write(w http.ResponseWriter) {
	body := map[string]string{e.key: e.message}
	if e.user {
		body["Type"] = "User"
	}
	b, _ := json.Marshal(body)
	w.Header().Set("Content-Type", "application/json")
	w.Header().Set("X-Amzn-Errortype", e.code)
	w.WriteHeader(e.status)
	_, _ = w.Write(b)
}
