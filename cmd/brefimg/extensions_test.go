package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/brefimg/brefimg/extensions"
)

// TestExtensionsListsTheData checks `brefimg extensions --bref N --php X.Y
// --json` against extensions/catalog.tsv, read here on its own, for every
// line and PHP version: exactly the names some tag of the line publishes
// for that PHP version, each with an image of that PHP version.
func TestExtensionsListsTheData(t *testing.T) {
	t.Parallel()
	b, err := os.ReadFile(filepath.Join("..", "..", "extensions", "catalog.tsv"))
	if err != nil {
		t.Fatal(err)
	}
	lineOf := map[byte]int{'0': 1, '1': 2, '3': 3}
	want := map[string][]string{} // "line php" -> names
	for _, row := range strings.Split(string(b), "\n") {
		if row == "" || strings.HasPrefix(row, "#") {
			continue
		}
		f := strings.Split(row, "\t")
		for _, php := range strings.Split(f[3], ",") {
			if php != "" {
				key := strconv.Itoa(lineOf[f[0][0]]) + " " + php
				want[key] = append(want[key], f[2])
			}
		}
	}
	if len(want) < 10 {
		t.Fatalf("read %d (line, PHP) pairs from the data", len(want))
	}
	for key, names := range want {
		slices.Sort(names)
		names = slices.Compact(names)
		line, php, _ := strings.Cut(key, " ")
		code, stdout, stderr := brefimg(t, nil, "extensions", "--bref", line, "--php", php, "--json")
		if code != exitOK {
			t.Fatalf("%s: exit %d: %s", key, code, stderr)
		}
		var rows []ExtensionRow
		if err := json.Unmarshal([]byte(stdout), &rows); err != nil {
			t.Fatal(err)
		}
		var got []string
		for _, r := range rows {
			got = append(got, r.Name)
			if !strings.HasPrefix(r.Image, "bref/extra-"+r.Name+"-php-"+strings.ReplaceAll(php, ".", "")+":") {
				t.Errorf("Bref %s PHP %s: %s has image %q", line, php, r.Name, r.Image)
			}
		}
		if !slices.Equal(got, names) {
			t.Errorf("Bref %s PHP %s: listed %v, the data has %v", line, php, got, names)
		}
	}
}

// TestReadmeNamesOnlyPublishedImages checks every Bref extension image the
// README names (bref/extra-NAME-php-XX:TAG) against the catalog.
func TestReadmeNamesOnlyPublishedImages(t *testing.T) {
	t.Parallel()
	readme, err := os.ReadFile(filepath.Join("..", "..", "README.md"))
	if err != nil {
		t.Fatal(err)
	}
	refs := regexp.MustCompile(`bref/extra-[a-z0-9-]+-php-\d\d:[0-9.]+`).FindAllString(string(readme), -1)
	if len(refs) < 3 {
		t.Fatalf("found %d extension image references in the README", len(refs))
	}
	for _, ref := range refs {
		name, php, tag, _ := extensions.RecognizeExtension(ref)
		if _, err := extensions.ImageRef(extensions.Spec{Name: name, Tag: tag}, extensions.LineOfTag(tag), php, "amd64"); err != nil {
			t.Errorf("the README names %s, which Bref never published: %v", ref, err)
		}
	}
}

// TestExtensionsLoadWhatTheirIniSays builds with the datadog and relay
// images, whose ini files break the ext-NAME.ini pattern as the real ones
// do (datadog: 98-ddtrace.ini, absolute paths under /opt/bref-extra,
// spaces around "="; relay: igbinary and msgpack too): the app's
// requirements are met and no extension is reported unloaded. The same app
// without them names the images to add.
func TestExtensionsLoadWhatTheirIniSays(t *testing.T) {
	t.Parallel()
	reg := seeded(t)
	app := neutralApp(t)
	composer := `{"name": "example/hello", "require": {"php": "^8.4", "ext-ddtrace": "*", "ext-relay": "*", "ext-igbinary": "*", "ext-msgpack": "*"}}` + "\n"
	if err := os.WriteFile(filepath.Join(app, "composer.json"), []byte(composer), 0o644); err != nil {
		t.Fatal(err)
	}
	args := []string{"check", "--bref", "3", "--php", "8.4", "--mirror", reg.Host, "--skip-check", "unpinned-refs"}
	code, stdout, stderr := brefimg(t, nil, append(args, "--ext", "datadog,relay", app)...)
	if code != exitOK || strings.Contains(stdout+stderr, "ext-not-loaded") || strings.Contains(stdout+stderr, "ext-missing") {
		t.Errorf("with datadog and relay: exit %d\n%s%s", code, stdout, stderr)
	}
	code, stdout, stderr = brefimg(t, nil, append(args, app)...)
	for _, want := range []string{"add the extension datadog (image bref/extra-datadog-php-84:3)", "add the extension relay (image bref/extra-relay-php-84:3)"} {
		if code != exitUsage || !strings.Contains(stdout+stderr, want) {
			t.Errorf("without them: exit %d, output lacks %q:\n%s%s", code, want, stdout, stderr)
		}
	}
}
