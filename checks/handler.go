package checks

import (
	"bytes"
	"fmt"
	"path"
	"strings"

	"github.com/brefimg/brefimg/extensions"
	"github.com/brefimg/brefimg/findings"
)

// Handler checks the CMD handler, relative to /var/task ("" means the
// runtime's default, see extensions.DefaultHandler): it must be a file of
// the app layer (findings.IDHandlerMissing); for the fpm and function runtimes a
// .php file (findings.IDHandlerNotPHP); for the function runtime a file that returns
// the handler, so one with a return statement (findings.IDHandlerNoReturn, read only
// when app.Dir is set). A function handler written as a PHP class name
// ("App\\Handler\\Sqs", resolved by Bref's Laravel and Symfony bridges) is
// not a file and is not checked.
func Handler(app App, rt extensions.Runtime, handler string) []findings.Finding {
	if rt == "" {
		rt = extensions.FPM
	}
	h := strings.TrimSpace(handler)
	if h == "" {
		h = extensions.DefaultHandler(rt)
	}
	if isClassHandler(rt, h) {
		return nil
	}
	missing := func(path, msg string) []findings.Finding {
		return []findings.Finding{{ID: findings.IDHandlerMissing, Severity: findings.Error, Path: path, Message: msg}}
	}
	rel := path.Clean(h)
	if path.IsAbs(h) || rel == ".." || strings.HasPrefix(rel, "../") {
		sug := extensions.DefaultHandler(rt)
		if r, ok := strings.CutPrefix(rel, AppDest+"/"); ok {
			sug = r
		}
		return missing("", fmt.Sprintf("the CMD handler %q is not a path relative to /var/task: Bref runs $LAMBDA_TASK_ROOT/$_HANDLER, so make the handler %s", h, sug))
	}
	switch {
	case app.HasDir(rel):
		return missing(rel, fmt.Sprintf("the CMD handler %q is a directory: name the file, e.g. %s", h, extensions.DefaultHandler(rt)))
	case !app.HasFile(rel) && app.onDisk(rel):
		where := ".dockerignore"
		if pat, line := app.ignoredBy(rel); pat != "" {
			where = fmt.Sprintf("the .dockerignore pattern %q", pat)
			if line > 0 {
				where += fmt.Sprintf(" (line %d)", line)
			}
		}
		return missing(rel, fmt.Sprintf("the CMD handler %q is excluded from the app by %s: Lambda would fail at the first request; remove or narrow that pattern", h, where))
	case !app.HasFile(rel):
		return missing(rel, fmt.Sprintf("the CMD handler %q is not in the app: Lambda would fail at the first request; check the handler and that the file exists in the app dir", h))
	}
	if (rt == extensions.FPM || rt == extensions.Function) && !strings.HasSuffix(rel, ".php") {
		msg := fmt.Sprintf("the fpm runtime serves the CMD handler %q through php-fpm, which runs .php files only: name the PHP front controller, e.g. public/index.php", h)
		if rt == extensions.Function {
			msg = fmt.Sprintf("the function runtime requires the CMD handler %q to be a .php file that returns the handler, e.g. index.php", h)
		}
		return []findings.Finding{{ID: findings.IDHandlerNotPHP, Severity: findings.Error, Path: rel, Message: msg}}
	}
	if rt == extensions.Function && app.Dir != "" {
		data, err := app.read(rel)
		if err == nil && !bytes.Contains(bytes.ToLower(data), []byte("return")) {
			return []findings.Finding{{ID: findings.IDHandlerNoReturn, Severity: findings.Error, Path: rel, Message: fmt.Sprintf(
				"the function runtime calls what the CMD handler %q returns, and it has no return statement: end it with e.g. return function ($event) { return 'Hello'; };", h)}}
		}
	}
	return nil
}

// isClassHandler reports whether handler is a PHP class name ("App\\Handler",
// resolved by Bref's Laravel and Symfony bridges) rather than a file: for
// the function runtime, or a runtime that only the image's environment
// says (Bref 3's BREF_RUNTIME).
func isClassHandler(rt extensions.Runtime, handler string) bool {
	return (rt == extensions.Function || rt == "") && strings.Contains(handler, `\`) &&
		!strings.Contains(handler, "/") && !strings.HasSuffix(handler, ".php")
}
