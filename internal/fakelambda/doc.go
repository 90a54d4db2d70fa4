// Package fakelambda is AWS Lambda and AWS STS for tests, with no AWS
// account: a fake Lambda API (Server: REST-JSON as
// github.com/aws/aws-sdk-go-v2/service/lambda sends and reads it,
// SigV4-checked, Lambda's error shapes, IAM actions that can be denied) with
// GetFunction, GetFunctionConfiguration, UpdateFunctionCode, PublishVersion,
// GetAlias, CreateAlias and UpdateAlias, and a fake STS GetCallerIdentity
// (the AWS Query protocol, on its own endpoint).
//
// A code update runs as on Lambda: UpdateFunctionCode answers
// LastUpdateStatus "InProgress", and the update ends ("Successful", or
// "Failed" with a reason when the test asked for it with FailNextUpdate)
// after a number of GetFunction / GetFunctionConfiguration polls the test
// sets with PollsUntilDone, never after some time: no test waits on a clock.
//
// The functions live in the account and with the identity of internal/fakeecr
// (fakeecr.Account, fakeecr.Principal), in one region (by default
// fakeecr.Region), so that a test can run both fakes with the same
// credentials. The product reaches the fakes only through the variables real
// users set (AWS_ENDPOINT_URL_LAMBDA, AWS_ENDPOINT_URL_STS,
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY, AWS_REGION): see Server.Vars.
package fakelambda
