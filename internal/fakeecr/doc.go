// Package fakeecr is Amazon ECR for tests, with no AWS account: a fake ECR
// API (Server: AWS JSON 1.1, SigV4-checked, ECR's error shapes, IAM actions
// that can be denied), a TLS front for the real registry host name
// 123456789012.dkr.ecr.us-east-1.amazonaws.com (Front: token Basic auth,
// NAME_UNKNOWN, TAG_INVALID, DENIED, injectable faults) over the real
// distribution registry (internal/testregistry), and an HTTP CONNECT proxy
// (Proxy) that routes the host name there.
//
// The product reaches it only through the variables real users set
// (AWS_ENDPOINT_URL_ECR, HTTPS_PROXY, SSL_CERT_FILE, AWS_ACCESS_KEY_ID,
// AWS_SECRET_ACCESS_KEY): Env ties the parts together and gives that
// environment, for a subprocess (Environ) or for a test binary from
// TestMain (Setenv).
package fakeecr
