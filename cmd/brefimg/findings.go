package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/mattn/go-isatty"

	"github.com/brefimg/brefimg/findings"
)

// printFindings renders findings: errors first, then warnings, as text; or,
// under GitHub Actions, as workflow commands that annotate the file and
// line. Paths of app files (relative to appDir) are shown relative to the
// current directory; the Dockerfile's (dockerfile, the -f path, "" for
// none) as given, or, in annotations, relative to the current directory.
// quiet hides warnings.
func printFindings(w io.Writer, fs []findings.Finding, appDir, dockerfile string, quiet bool, getenv env) {
	github := getenv("GITHUB_ACTIONS") == "true"
	color := colorOn(w, getenv)
	for _, sev := range []findings.Severity{findings.Error, findings.Warning} {
		if sev == findings.Warning && quiet {
			continue
		}
		for _, f := range fs {
			if f.Severity != sev {
				continue
			}
			appFile := f.Path != "" && !strings.HasPrefix(f.Path, "/") && !strings.Contains(f.Path, ":")
			switch {
			case dockerfile != "" && f.Path == dockerfile:
				appFile = true
				if github {
					f.Path = relToCwd(f.Path)
				}
			case appFile && appDir != "" && appDir != ".":
				f.Path = relToCwd(filepath.Join(appDir, f.Path))
			}
			if github {
				fmt.Fprintln(w, annotation(f, appFile))
			} else {
				fmt.Fprintln(w, colored(f.String(), f.Severity, color))
			}
		}
	}
}

// colorOn reports whether w is a terminal and NO_COLOR is not set
// (https://no-color.org): then severities are coloured.
func colorOn(w io.Writer, getenv env) bool {
	f, ok := w.(*os.File)
	return ok && getenv("NO_COLOR") == "" && isatty.IsTerminal(f.Fd())
}

// colored paints the severity that starts line: errors red, warnings yellow.
func colored(line string, sev findings.Severity, on bool) string {
	if !on {
		return line
	}
	code := "33" // yellow
	if sev == findings.Error {
		code = "1;31" // bold red
	}
	prefix := string(sev) + ":"
	rest, ok := strings.CutPrefix(line, prefix)
	if !ok {
		return line
	}
	return "\x1b[" + code + "m" + prefix + "\x1b[0m" + rest
}

// annotation is a GitHub Actions workflow command for f:
// ::error file=composer.json,line=6,title=ext-missing::message
func annotation(f findings.Finding, appFile bool) string {
	level := "warning"
	if f.Severity == findings.Error {
		level = "error"
	}
	var props []string
	if appFile {
		props = append(props, "file="+escapeProperty(f.Path))
		if f.Line > 0 {
			props = append(props, fmt.Sprintf("line=%d", f.Line))
		}
	}
	props = append(props, "title="+escapeProperty("brefimg "+f.ID))
	msg := f.Message
	if f.Path != "" && !appFile {
		msg = f.Path + ": " + msg
	}
	return fmt.Sprintf("::%s %s::%s", level, strings.Join(props, ","), escapeData(msg))
}

// relToCwd shortens an app file's path relative to the working directory,
// as GitHub wants annotation paths relative to the checkout.
func relToCwd(p string) string {
	cwd, err := os.Getwd()
	if err != nil {
		return p
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return p
	}
	if rel, err := filepath.Rel(cwd, abs); err == nil {
		return rel
	}
	return p
}

// escapeData and escapeProperty follow the workflow command encoding.
func escapeData(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A").Replace(s)
}

func escapeProperty(s string) string {
	return strings.NewReplacer("%", "%25", "\r", "%0D", "\n", "%0A", ":", "%3A", ",", "%2C").Replace(s)
}
