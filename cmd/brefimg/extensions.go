package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/spf13/pflag"

	"github.com/brefimg/brefimg/extensions"
)

func runExtensions(args []string, stdout, stderr io.Writer) int {
	fs := pflag.NewFlagSet("extensions", pflag.ContinueOnError)
	fs.SetOutput(io.Discard)
	line := fs.Int("bref", 0, "only extensions of this Bref line (1, 2 or 3)")
	asJSON := fs.Bool("json", false, "print JSON")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, pflag.ErrHelp) {
			fmt.Fprint(stdout, "Usage: brefimg extensions [--bref N] [--json]\n\nLists the bref/extra-* extension images brefimg knows.\n\nFlags:\n"+fs.FlagUsages())
			return exitOK
		}
		fmt.Fprintf(stderr, "brefimg: %v\nRun 'brefimg help extensions' for usage.\n", err)
		return exitUsage
	}
	if *line != 0 {
		if err := extensions.CheckLine(*line); err != nil {
			fmt.Fprintf(stderr, "brefimg: %v\n", err)
			return exitUsage
		}
	}
	var list []extensions.Entry
	for _, e := range extensions.Catalog() {
		if *line == 0 || len(e.PHP[*line]) > 0 {
			list = append(list, e)
		}
	}
	if *asJSON {
		b, _ := json.MarshalIndent(list, "", "  ")
		fmt.Fprintf(stdout, "%s\n", b)
		return exitOK
	}
	tw := tabwriter.NewWriter(stdout, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "NAME\tBREF 1 (PHP)\tBREF 2 (PHP)\tBREF 3 (PHP)")
	for _, e := range list {
		cols := []string{e.Name}
		for _, l := range extensions.Lines() {
			v := strings.Join(e.PHP[l], " ")
			if v == "" {
				v = "-"
			}
			cols = append(cols, v)
		}
		fmt.Fprintln(tw, strings.Join(cols, "\t"))
	}
	tw.Flush()
	return exitOK
}
