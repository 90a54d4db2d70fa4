package lockfile

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

var (
	d1 = "sha256:" + strings.Repeat("1", 64)
	d2 = "sha256:" + strings.Repeat("2", 64)
)

func TestRoundTrip(t *testing.T) {
	dir := t.TempDir()
	f := &File{Bref: 1, PHP: "8.0"}
	f.Set(Entry{Ref: "bref/php-80-fpm:1", Platform: "linux/amd64", Digest: d2})
	f.Set(Entry{Ref: "bref/extra-redis-php-80:0.10", Platform: "linux/amd64", Digest: d1})
	f.Set(Entry{Ref: "bref/php-80-fpm:1", Platform: "linux/amd64", Digest: d1}) // replaces
	b, err := f.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	want := `{
  "version": 1,
  "bref": 1,
  "php": "8.0",
  "images": [
    {
      "ref": "bref/extra-redis-php-80:0.10",
      "platform": "linux/amd64",
      "digest": "` + d1 + `"
    },
    {
      "ref": "bref/php-80-fpm:1",
      "platform": "linux/amd64",
      "digest": "` + d1 + `"
    }
  ]
}
`
	if string(b) != want {
		t.Fatalf("marshalled:\n%s\nwant:\n%s", b, want)
	}
	if err := os.WriteFile(filepath.Join(dir, Name), b, 0o644); err != nil {
		t.Fatal(err)
	}
	got, err := Read(dir)
	if err != nil {
		t.Fatal(err)
	}
	if e, ok := got.Lookup("bref/php-80-fpm:1", "linux/amd64"); !ok || e.Digest != d1 {
		t.Errorf("lookup: %+v %v", e, ok)
	}
	if _, ok := got.Lookup("bref/php-80-fpm:1", "linux/arm64"); ok {
		t.Error("found an entry for another platform")
	}
	again, _ := got.Marshal()
	if string(again) != string(b) {
		t.Error("read then written differs")
	}
}

func TestReadErrors(t *testing.T) {
	tests := []struct {
		name, content, want string
	}{
		{"not json", "pins: yes", "not a brefimg lock file"},
		{"unknown field", `{"version":1,"images":[],"extra":1}`, "not a brefimg lock file"},
		{"future version", `{"version":2,"images":[]}`, "version 2"},
		{"bad digest", `{"version":1,"images":[{"ref":"a:1","platform":"linux/amd64","digest":"md5:x"}]}`, "incomplete"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, Name), []byte(tc.content), 0o644); err != nil {
				t.Fatal(err)
			}
			_, err := Read(dir)
			if err == nil || !strings.Contains(err.Error(), tc.want) || !strings.Contains(err.Error(), Name) {
				t.Errorf("error %v, want one naming %s and %q", err, Name, tc.want)
			}
		})
	}
	if f, err := Read(t.TempDir()); f != nil || err != nil {
		t.Errorf("missing file: %v %v", f, err)
	}
}

// FuzzParse: any bytes either fail to parse with an error naming the file,
// or parse into a lock that writes and reads back the same.
func FuzzParse(f *testing.F) {
	f.Add([]byte(`{"version":1,"bref":1,"php":"8.0","images":[{"ref":"bref/php-80-fpm:1","platform":"linux/amd64","digest":"` + d1 + `"}]}`))
	f.Add([]byte(`{"version":1,"images":[]}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		lock, err := Parse(Name, b)
		if err != nil {
			if !strings.Contains(err.Error(), Name) {
				t.Errorf("error %q does not name the file", err)
			}
			return
		}
		out, err := lock.Marshal()
		if err != nil {
			t.Fatal(err)
		}
		again, err := Parse(Name, out)
		if err != nil {
			t.Fatalf("a lock brefimg wrote does not read back: %v\n%s", err, out)
		}
		out2, _ := again.Marshal()
		if string(out) != string(out2) {
			t.Errorf("not stable:\n%s\n%s", out, out2)
		}
	})
}
