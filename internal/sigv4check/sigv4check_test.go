package sigv4check

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	v4 "github.com/aws/aws-sdk-go-v2/aws/signer/v4"
)

// signed is a request signed as the SDK signs one, with its body.
func signed(t *testing.T, keyID, secret, region, service, path, body string) *http.Request {
	t.Helper()
	r, err := http.NewRequest(http.MethodPut, "http://127.0.0.1:8080"+path, strings.NewReader(body))
	if err != nil {
		t.Fatal(err)
	}
	r.Header.Set("Content-Type", "application/json")
	sum := sha256.Sum256([]byte(body))
	creds := aws.Credentials{AccessKeyID: keyID, SecretAccessKey: secret}
	if err := v4.NewSigner().SignHTTP(context.Background(), creds, r, hex.EncodeToString(sum[:]), service, region, time.Now()); err != nil {
		t.Fatal(err)
	}
	return r
}

func TestVerify(t *testing.T) {
	secrets := map[string]string{"AKIAKNOWN": "secret"}
	const path = "/2015-03-31/functions/arn%3Aaws%3Alambda%3Aus-east-1%3A123456789012%3Afunction%3Aapp/code"
	tests := []struct {
		name            string
		keyID, secret   string
		region, service string
		body            string // the body received, if not the one signed
		unsigned        bool
		code, query     string
		wantKey         string
	}{
		{name: "valid", keyID: "AKIAKNOWN", secret: "secret", region: "us-east-1", service: "lambda", wantKey: "AKIAKNOWN"},
		{name: "another secret", keyID: "AKIAKNOWN", secret: "other", region: "us-east-1", service: "lambda",
			code: "InvalidSignatureException", query: "SignatureDoesNotMatch", wantKey: "AKIAKNOWN"},
		{name: "body changed", keyID: "AKIAKNOWN", secret: "secret", region: "us-east-1", service: "lambda", body: `{"ImageUri":"x"}`,
			code: "InvalidSignatureException", query: "SignatureDoesNotMatch", wantKey: "AKIAKNOWN"},
		{name: "unknown key", keyID: "AKIAUNKNOWN", secret: "secret", region: "us-east-1", service: "lambda",
			code: "UnrecognizedClientException", query: "InvalidClientTokenId"},
		{name: "another region", keyID: "AKIAKNOWN", secret: "secret", region: "eu-west-1", service: "lambda",
			code: "InvalidSignatureException", query: "SignatureDoesNotMatch", wantKey: "AKIAKNOWN"},
		{name: "another service", keyID: "AKIAKNOWN", secret: "secret", region: "us-east-1", service: "ecr",
			code: "InvalidSignatureException", query: "SignatureDoesNotMatch", wantKey: "AKIAKNOWN"},
		{name: "unsigned", unsigned: true, code: "MissingAuthenticationTokenException", query: "MissingAuthenticationToken"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			const sent = `{"ImageUri":"123456789012.dkr.ecr.us-east-1.amazonaws.com/app:1"}`
			var r *http.Request
			if tc.unsigned {
				r, _ = http.NewRequest(http.MethodPut, "http://127.0.0.1:8080"+path, nil)
			} else {
				r = signed(t, tc.keyID, tc.secret, tc.region, tc.service, path, sent)
			}
			body := sent
			if tc.body != "" {
				body = tc.body
			}
			key, err := Verify(r, []byte(body), secrets, "us-east-1", "lambda")
			var code, query string
			if err != nil {
				code, query = err.Code, err.QueryCode
			}
			if code != tc.code || query != tc.query || key != tc.wantKey {
				t.Errorf("Verify = %q, %v; want key %q, codes %q / %q", key, err, tc.wantKey, tc.code, tc.query)
			}
		})
	}
}
