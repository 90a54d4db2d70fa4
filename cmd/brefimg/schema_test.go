package main

import (
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/santhosh-tekuri/jsonschema/v6"
)

// validateMetadata checks b, a --metadata-file or --json output, against
// schema/metadata.schema.json, the documented shape scripts rely on.
func validateMetadata(t *testing.T, b []byte) {
	t.Helper()
	c := jsonschema.NewCompiler()
	sch, err := c.Compile(filepath.Join("..", "..", "schema", "metadata.schema.json"))
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(bytes.NewReader(b))
	if err != nil {
		t.Fatalf("metadata is not JSON: %v\n%s", err, b)
	}
	if err := sch.Validate(doc); err != nil {
		t.Errorf("metadata does not match schema/metadata.schema.json: %v\n%s", err, b)
	}
}

// TestMachineOutput: -q prints exactly one line, whatever the number of
// -t; the metadata lists each reference once and matches its schema.
func TestMachineOutput(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	meta := filepath.Join(t.TempDir(), "meta.json")
	code, stdout, stderr := brefimg(t, nil, "build", "-q", "--bref", "1", "--php", "8.0", "--ext", "redis", "--mirror", reg.Host,
		"-t", reg.Host+"/app:1", "-t", reg.Host+"/app:latest", "-t", reg.Host+"/other:1", "--metadata-file", meta, neutralApp(t))
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	lines := strings.Split(strings.TrimSuffix(stdout, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], reg.Host+"/app@sha256:") {
		t.Errorf("-q printed %q, want one line: the digest reference", stdout)
	}
	b, err := os.ReadFile(meta)
	if err != nil {
		t.Fatal(err)
	}
	validateMetadata(t, b)
	var md Metadata
	if err := json.Unmarshal(b, &md); err != nil {
		t.Fatal(err)
	}
	if len(md.References) != 2 || md.Base.Ref != "bref/php-80-fpm:1" || md.Base.Digest.String() == "" || len(md.Inputs) != 1 {
		t.Errorf("references %q (want app and other, once each), base %+v, extensions %+v", md.References, md.Base, md.Inputs)
	}
	for _, key := range []string{`"Ref"`, `"Name"`, `"Digest"`, `"Index"`} {
		if bytes.Contains(b, []byte(key)) {
			t.Errorf("metadata has the key %s: every key is lowerCamelCase", key)
		}
	}
}
