// Package deps pins modules while the packages that use them are being written. Temporary.
package deps

import (
	_ "github.com/Masterminds/semver/v3"
	_ "github.com/aws/aws-sdk-go-v2/aws"
	_ "github.com/aws/aws-sdk-go-v2/config"
	_ "github.com/aws/aws-sdk-go-v2/service/ecr"
	_ "github.com/aws/smithy-go"
	_ "github.com/moby/buildkit/frontend/dockerfile/instructions"
	_ "github.com/moby/buildkit/frontend/dockerfile/parser"
)

import (
	_ "github.com/creack/pty"
	_ "github.com/mattn/go-isatty"
	_ "github.com/vbauerster/mpb/v8"
	_ "go.yaml.in/yaml/v3"
)
