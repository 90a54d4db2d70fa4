package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/brefimg/brefimg/extensions"
)

const extensionsUsage = `Usage: brefimg extensions [flags]

Lists the bref/extra-* extension images brefimg knows: the Bref lines and PHP
versions each is published for, and the image --ext NAME pulls for the chosen
line and PHP version.

Examples:
  brefimg extensions
  brefimg extensions --bref 1 --php 8.0
  brefimg extensions --bref 3 --json

`

// ExtensionRow is one line of `brefimg extensions`, and its --json form.
type ExtensionRow struct {
	Name  string           `json:"name"`
	Lines []int            `json:"lines"`
	PHP   map[int][]string `json:"php"`
	Image string           `json:"image,omitempty"`
}

func runExtensions(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("extensions", pflag.ContinueOnError)
	fs.SortFlags = false
	fs.SetOutput(io.Discard)
	line := fs.Int("bref", extensions.DefaultLine, "Bref line: the images shown are this line's")
	php := fs.String("php", "", "only extensions published for this PHP version (default: show the line's newest each has)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, extensionsUsage+"Flags:\n"+fs.FlagUsages())
			return exitOK
		}
		return usageError(stderr, "extensions", parseError(fs, err))
	}
	if fs.NArg() > 0 {
		return usageError(stderr, "extensions", fmt.Errorf("no arguments expected, got %q", fs.Args()))
	}
	if err := extensions.CheckLine(*line); err != nil {
		return usageError(stderr, "extensions", err)
	}
	version := ""
	if *php != "" {
		v, err := extensions.NormalizePHP(*php)
		if err != nil {
			return usageError(stderr, "extensions", err)
		}
		version = v
	}
	rows := []ExtensionRow{}
	for _, e := range extensions.Catalog() {
		versions := e.PHP[*line]
		if len(versions) == 0 {
			continue
		}
		v := version
		if v == "" {
			v = versions[len(versions)-1]
		} else if !slices.Contains(versions, v) {
			continue
		}
		img, err := extensions.ImageRef(extensions.Spec{Name: e.Name}, *line, v, "amd64")
		if err != nil {
			continue // not published for v on this line
		}
		row := ExtensionRow{Name: e.Name, PHP: e.PHP, Image: img}
		for _, l := range extensions.Lines() {
			if len(e.PHP[l]) > 0 {
				row.Lines = append(row.Lines, l)
			}
		}
		rows = append(rows, row)
	}
	if *asJSON {
		b, _ := json.MarshalIndent(rows, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
		return exitOK
	}
	if len(rows) == 0 {
		fmt.Fprintf(stderr, "no extension image is published for PHP %s on Bref %d\n", version, *line)
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintf(tw, "NAME\tBREF LINES\tPHP (BREF %d)\tIMAGE\n", *line)
	for _, r := range rows {
		lines := make([]string, len(r.Lines))
		for i, l := range r.Lines {
			lines[i] = strconv.Itoa(l)
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\n", r.Name, strings.Join(lines, " "), strings.Join(r.PHP[*line], " "), r.Image)
	}
	tw.Flush()
	return exitOK
}
