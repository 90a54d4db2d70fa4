// Package sigv4check verifies AWS Signature Version 4 on the requests the
// test fakes (internal/fakeecr, internal/fakelambda) receive, and names each
// refusal the way AWS does: the error code of JSON and REST-JSON services
// (ECR, Lambda), the one of Query services (STS), and the message.
package sigv4check

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// Error is why a request's signature was refused.
type Error struct {
	// Code is the error code JSON and REST-JSON services answer, e.g.
	// "InvalidSignatureException".
	Code string
	// QueryCode is the error code Query services such as STS answer for the
	// same refusal, e.g. "SignatureDoesNotMatch".
	QueryCode string
	// Message is AWS's message.
	Message string
}

// Error returns the code and the message.
func (e *Error) Error() string { return e.Code + ": " + e.Message }

// The refusals, as AWS words them.
var (
	errMissing = Error{"MissingAuthenticationTokenException", "MissingAuthenticationToken",
		"Missing Authentication Token"}
	errIncomplete = Error{"IncompleteSignatureException", "IncompleteSignature",
		"Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters."}
	errUnknownKey = Error{"UnrecognizedClientException", "InvalidClientTokenId",
		"The security token included in the request is invalid."}
	errScope = Error{"InvalidSignatureException", "SignatureDoesNotMatch",
		"Credential should be scoped to a valid region and service."}
	errDate = Error{"IncompleteSignatureException", "IncompleteSignature",
		"Date must be in ISO-8601 'basic format' and match the credential scope."}
	errUnreadable = Error{"InvalidSignatureException", "SignatureDoesNotMatch",
		"The request could not be read."}
	errResign = Error{"InvalidSignatureException", "SignatureDoesNotMatch",
		"The request could not be signed again."}
	errMismatch = Error{"InvalidSignatureException", "SignatureDoesNotMatch",
		"The request signature we calculated does not match the signature you provided. " +
			"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
)

// refuse returns a copy of e, so that callers cannot alter the templates.
func refuse(e Error) *Error { return &e }

// Verify checks that r carries an AWS Signature Version 4 made with one of
// the known credentials (secrets maps access key IDs to secret keys) for
// region and service, by signing the same request again with the secret key
// and comparing. body is r's body, already read. It returns the access key
// ID that signed the request ("" if none could be read) and, if the
// signature is refused, why.
func Verify(r *http.Request, body []byte, secrets map[string]string, region, service string) (string, *Error) {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return "", refuse(errMissing)
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || fields["SignedHeaders"] == "" || fields["Signature"] == "" {
		return "", refuse(errIncomplete)
	}
	keyID := scope[0]
	secret, ok := secrets[keyID]
	if !ok {
		return "", refuse(errUnknownKey)
	}
	if scope[2] != region || scope[3] != service || scope[4] != "aws4_request" {
		return keyID, refuse(errScope)
	}
	signedAt, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || signedAt.Format("20060102") != scope[1] {
		return keyID, refuse(errDate)
	}

	again, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return keyID, refuse(errUnreadable)
	}
	again.Host = r.Host
	for _, h := range strings.Split(fields["SignedHeaders"], ";") {
		switch h {
		case "host":
		case "content-length":
			again.ContentLength = int64(len(body))
		default:
			again.Header[http.CanonicalHeaderKey(h)] = r.Header.Values(h)
		}
	}
	sum := sha256.Sum256(body)
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, again, hex.EncodeToString(sum[:]), service, region, signedAt); err != nil {
		return keyID, refuse(errResign)
	}
	if again.Header.Get("Authorization") != auth {
		return keyID, refuse(errMismatch)
	}
	return keyID, nil
}
