package fakeecr

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

// authError is why a request's signature was refused, with the __type and
// message AWS JSON services answer.
type authError struct {
	Type, Message string
}

// verifySigV4 checks that r carries an AWS Signature Version 4 made with one
// of the known credentials for region and service, by signing the same
// request again with the secret key and comparing. It returns the access key
// ID that signed it.
func verifySigV4(r *http.Request, body []byte, secrets map[string]string, region, service string) (string, *authError) {
	auth := r.Header.Get("Authorization")
	rest, ok := strings.CutPrefix(auth, "AWS4-HMAC-SHA256 ")
	if !ok {
		return "", &authError{"MissingAuthenticationTokenException", "Missing Authentication Token"}
	}
	fields := map[string]string{}
	for _, part := range strings.Split(rest, ",") {
		k, v, _ := strings.Cut(strings.TrimSpace(part), "=")
		fields[k] = v
	}
	scope := strings.Split(fields["Credential"], "/")
	if len(scope) != 5 || fields["SignedHeaders"] == "" || fields["Signature"] == "" {
		return "", &authError{"IncompleteSignatureException", "Authorization header requires 'Credential', 'Signature' and 'SignedHeaders' parameters."}
	}
	keyID := scope[0]
	secret, ok := secrets[keyID]
	if !ok {
		return "", &authError{"UnrecognizedClientException", "The security token included in the request is invalid."}
	}
	if scope[2] != region || scope[3] != service || scope[4] != "aws4_request" {
		return keyID, &authError{"InvalidSignatureException", "Credential should be scoped to a valid region and service."}
	}
	signedAt, err := time.Parse("20060102T150405Z", r.Header.Get("X-Amz-Date"))
	if err != nil || signedAt.Format("20060102") != scope[1] {
		return keyID, &authError{"IncompleteSignatureException", "Date must be in ISO-8601 'basic format' and match the credential scope."}
	}

	again, err := http.NewRequest(r.Method, "http://"+r.Host+r.URL.RequestURI(), nil)
	if err != nil {
		return keyID, &authError{"InvalidSignatureException", "The request could not be read."}
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
		return keyID, &authError{"InvalidSignatureException", "The request could not be signed again."}
	}
	if again.Header.Get("Authorization") != auth {
		return keyID, &authError{"InvalidSignatureException", "The request signature we calculated does not match the signature you provided. " +
			"Check your AWS Secret Access Key and signing method. Consult the service documentation for details."}
	}
	return keyID, nil
}
