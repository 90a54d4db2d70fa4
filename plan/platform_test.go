package plan

import "testing"

func TestParsePlatform(t *testing.T) {
	tests := []struct {
		in, want, lambda string
		wantErr          bool
	}{
		{in: "linux/amd64", want: "linux/amd64", lambda: "x86_64"},
		{in: "linux/arm64", want: "linux/arm64", lambda: "arm64"},
		{in: "x86_64", want: "linux/amd64", lambda: "x86_64"},
		{in: "amd64", want: "linux/amd64", lambda: "x86_64"},
		{in: "arm64", want: "linux/arm64", lambda: "arm64"},
		{in: "aarch64", want: "linux/arm64", lambda: "arm64"},
		{in: "linux/arm64/v8", want: "linux/arm64", lambda: "arm64"},
		{in: "Linux/X86_64", want: "linux/amd64", lambda: "x86_64"},
		{in: "linux/arm/v7", want: "linux/arm/v7", lambda: ""},
		{in: "windows/amd64", want: "windows/amd64", lambda: ""},
		{in: "", wantErr: true},
		{in: "linux/", wantErr: true},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			p, err := ParsePlatform(tc.in)
			if tc.wantErr {
				if err == nil {
					t.Fatalf("ParsePlatform(%q) = %v, want an error", tc.in, p)
				}
				return
			}
			if err != nil || p.String() != tc.want || LambdaArchitecture(p) != tc.lambda {
				t.Errorf("ParsePlatform(%q) = %v (Lambda %q), %v; want %s (Lambda %q)", tc.in, p, LambdaArchitecture(p), err, tc.want, tc.lambda)
			}
		})
	}
}
