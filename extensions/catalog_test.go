package extensions

import (
	"os"
	"slices"
	"strings"
	"testing"
)

// dataRow is one row of catalog.tsv, read here independently of the
// package's parser.
type dataRow struct {
	tag, release, name string
	php                []string
}

func readData(t *testing.T) []dataRow {
	t.Helper()
	b, err := os.ReadFile("catalog.tsv")
	if err != nil {
		t.Fatal(err)
	}
	var rows []dataRow
	for _, line := range strings.Split(string(b), "\n") {
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		f := strings.Split(line, "\t")
		r := dataRow{tag: f[0], release: f[1], name: f[2]}
		if f[3] != "" {
			r.php = strings.Split(f[3], ",")
		}
		rows = append(rows, r)
	}
	if len(rows) < 200 {
		t.Fatalf("catalog.tsv has %d rows: is it truncated?", len(rows))
	}
	return rows
}

// dataLine is the Bref line of an extension tag, from the branches of
// brefphp/extra-php-extensions: 0.x for Bref 1, 1.x for Bref 2, master (3.x)
// for Bref 3.
func dataLine(tag string) int {
	switch {
	case strings.HasPrefix(tag, "0."):
		return 1
	case strings.HasPrefix(tag, "1"):
		return 2
	case strings.HasPrefix(tag, "3"):
		return 3
	}
	return 0
}

// TestCatalogMatchesData plans every (line, PHP version, name) of the data
// file, all of it: what the data says exists plans the reference with the
// newest tag that has it, and works with each tag that has it; what it
// says does not exist is refused, with no network access (ImageRef reads
// nothing but the catalog).
func TestCatalogMatchesData(t *testing.T) {
	rows := readData(t)
	var names []string
	for _, r := range rows {
		names = append(names, r.name)
	}
	slices.Sort(names)
	names = slices.Compact(names)
	checked := 0
	for _, line := range Lines() {
		versions, _ := PHPVersions(line)
		for _, php := range versions {
			for _, name := range names {
				// The line's rows for name, newest release first.
				var have []dataRow
				for _, r := range rows {
					if dataLine(r.tag) == line && r.name == name {
						have = append(have, r)
					}
				}
				slices.SortFunc(have, func(a, b dataRow) int { return -compareVersions(a.release, b.release) })
				want := ""
				for _, r := range have {
					if slices.Contains(r.php, php) {
						want = "bref/extra-" + name + "-php-" + strings.ReplaceAll(php, ".", "") + ":" + r.tag
						break
					}
				}
				got, err := ImageRef(Spec{Name: name}, line, php, "amd64")
				switch {
				case want == "" && err == nil:
					t.Errorf("Bref %d PHP %s %s: planned %s, which the data says does not exist", line, php, name, got)
				case want != "" && (err != nil || got != want):
					t.Errorf("Bref %d PHP %s %s: got %q, %v; want %s", line, php, name, got, err, want)
				}
				for _, r := range have {
					_, err := ImageRef(Spec{Name: name, Tag: r.tag}, line, php, "amd64")
					if exists := slices.Contains(r.php, php); exists != (err == nil) {
						t.Errorf("Bref %d PHP %s %s@%s: error %v, but the data says exists=%v", line, php, name, r.tag, err, exists)
					}
				}
				checked++
			}
		}
	}
	t.Logf("checked %d (line, PHP, name) triples", checked)
}

// TestCatalogCounts pins the data's size per release (the closing note and
// FACTS.md quote these), so that a truncated or hand-edited file fails.
func TestCatalogCounts(t *testing.T) {
	want := map[string][2]int{ // release: names listed, (name, PHP) images
		"0.10.10": {28, 77},
		"0.11.35": {38, 139},
		"0.12.4":  {43, 117},
		"1.8.6":   {52, 232},
		"3.0.9":   {53, 141},
	}
	got := map[string][2]int{}
	for _, r := range cat.releases {
		n := 0
		for _, v := range r.php {
			n += len(v)
		}
		got[r.version] = [2]int{len(r.php), n}
	}
	for rel, w := range want {
		if got[rel] != w {
			t.Errorf("release %s: %d names and %d images, want %d and %d", rel, got[rel][0], got[rel][1], w[0], w[1])
		}
	}
	if len(got) != len(want) {
		t.Errorf("releases %v, want %v", got, want)
	}
}

func TestParseCatalogRefusesBadData(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{name: "fields", data: "0.12\t0.12.4\tredis\n", want: "4 tab-separated fields"},
		{name: "tag of no line", data: "7\t7.0.0\tredis\t8.0\n", want: "no Bref line"},
		{name: "two releases for one tag", data: "0.12\t0.12.4\tredis\t8.0\n0.12\t0.12.3\tgmp\t8.0\n", want: "release 0.12.3 here"},
		{name: "name twice", data: "1\t1.8.6\tredis\t8.0\n1\t1.8.6\tredis\t8.1\n", want: "listed twice"},
		{name: "PHP version", data: "1\t1.8.6\tredis\t80\n", want: "not MAJOR.MINOR"},
		{name: "alias to nothing", data: "# alias 0 0.12\n1\t1.8.6\tredis\t8.0\n", want: "has no rows"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if _, err := parseCatalog(tc.data); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("error %v, want %q", err, tc.want)
			}
		})
	}
}
