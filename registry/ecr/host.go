package ecr

import (
	"fmt"
	"regexp"
	"strings"
)

// hostPattern is the host pattern of the Amazon ECR credential helper
// (awslabs/amazon-ecr-credential-helper, ecr-login/api/client.go), which
// covers every partition: commercial and GovCloud (amazonaws.com), China
// (amazonaws.com.cn), the European Sovereign Cloud (amazonaws.eu), the ISO
// partitions (c2s.ic.gov, sc2s.sgov.gov, cloud.adc-e.uk, csp.hci.ic.gov),
// FIPS (dkr.ecr-fips) and dual-stack (dkr-ecr.<region>.on.aws and
// on.amazonwebservices.com.cn).
var hostPattern = regexp.MustCompile(`^(\d{12})\.dkr([.-])ecr(-fips)?\.([a-z0-9][a-z0-9-_]*)\.(amazonaws\.(?:com(?:\.cn)?|eu)|on\.(?:aws|amazonwebservices\.com\.cn)|sc2s\.sgov\.gov|c2s\.ic\.gov|cloud\.adc-e\.uk|csp\.hci\.ic\.gov)$`)

// Host is a private Amazon ECR registry, read from its host name.
type Host struct {
	// Name is the host name as parsed, lower case, e.g.
	// "123456789012.dkr.ecr.eu-west-1.amazonaws.com".
	Name string
	// Account is the 12-digit AWS account ID that owns the registry.
	Account string
	// Region is the AWS region of the registry, e.g. "eu-west-1".
	Region string
	// FIPS is true for FIPS endpoints (dkr.ecr-fips…, dkr-ecr-fips…).
	// Lambda cannot deploy images from them: see Warning.
	FIPS bool
	// DualStack is true for dual-stack (IPv4 and IPv6) endpoints
	// (dkr-ecr.<region>.on.aws).
	DualStack bool
}

// ParseHost recognises a private ECR registry host, e.g.
// "123456789012.dkr.ecr.eu-west-1.amazonaws.com" (no scheme, no port, no
// path). It reports false for every other host, including ECR Public
// (public.ecr.aws), which needs no AWS credentials to pull from.
func ParseHost(host string) (Host, bool) {
	h := strings.ToLower(host)
	m := hostPattern.FindStringSubmatch(h)
	if m == nil {
		return Host{}, false
	}
	return Host{
		Name:      h,
		Account:   m[1],
		Region:    m[4],
		FIPS:      m[3] == "-fips",
		DualStack: m[2] == "-" || strings.HasPrefix(m[5], "on."),
	}, true
}

// String returns the host name.
func (h Host) String() string { return h.Name }

// Warning returns what the user should know before deploying from this
// registry, or "" if nothing: Lambda cannot pull images from ECR FIPS
// endpoints.
func (h Host) Warning() string {
	if !h.FIPS {
		return ""
	}
	standard := strings.Replace(h.Name, "ecr-fips.", "ecr.", 1)
	return fmt.Sprintf("%s is an ECR FIPS endpoint: AWS Lambda cannot deploy images from FIPS endpoints; "+
		"to deploy to Lambda, push to %s (the same registry through its standard endpoint)", h.Name, standard)
}
