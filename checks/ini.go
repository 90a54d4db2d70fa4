package checks

import (
	"bufio"
	"fmt"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/brefimg/brefimg/findings"
)

// Bref's ini directories, which PHP scans on every line. [FACTS §1]
const (
	// OptIniDir holds Bref's own ini files and those of extension images.
	OptIniDir = "/opt/bref/etc/php/conf.d"
	// AppIniDir is the app's php/conf.d.
	AppIniDir = AppDest + "/php/conf.d"
)

// Where extension images put their .so files. [FACTS §2]
const (
	extDirV1 = "/opt/bref-extra"      // 0.x, Bref 1: loaded by absolute path
	extDirV2 = "/opt/bref/extensions" // 1.x and master, Bref 2 and 3: extension_dir
)

// ScanDirs returns the directories PHP scans for ini files in an image with
// environment env: those of PHP_INI_SCAN_DIR (the last one set), or Bref's
// OptIniDir and AppIniDir when it is not set. An empty element of the list
// stands for PHP's compiled-in directories, taken to be Bref's.
func ScanDirs(env []string) []string {
	v, ok := lookupEnv(env, "PHP_INI_SCAN_DIR")
	if !ok {
		return []string{OptIniDir, AppIniDir}
	}
	var dirs []string
	for _, d := range strings.Split(v, ":") {
		if strings.TrimSpace(d) == "" {
			dirs = append(dirs, OptIniDir, AppIniDir)
			continue
		}
		dirs = append(dirs, path.Clean(d))
	}
	return slices.Compact(dirs)
}

// lookupEnv returns the value of the last KEY=VALUE entry for key.
func lookupEnv(env []string, key string) (string, bool) {
	val, found := "", false
	for _, kv := range env {
		if k, v, ok := strings.Cut(kv, "="); ok && k == key {
			val, found = v, true
		}
	}
	return val, found
}

// IniScanDir checks PHP_INI_SCAN_DIR in env: setting it to directories that
// leave out Bref's drops Bref's settings and the extension images' ini files
// (bref#487, bref#1362). Finding findings.IDIniScanDir: an error without OptIniDir, a
// warning without AppIniDir only. An empty element of the list (":/dir")
// keeps PHP's compiled-in directories and is taken to keep Bref's.
func IniScanDir(env []string) []findings.Finding {
	v, ok := lookupEnv(env, "PHP_INI_SCAN_DIR")
	if !ok {
		return nil
	}
	dirs := ScanDirs(env)
	hasOpt, hasApp := slices.Contains(dirs, OptIniDir), slices.Contains(dirs, AppIniDir)
	if hasOpt && hasApp {
		return nil
	}
	fix := slices.Compact(slices.Concat([]string{OptIniDir, AppIniDir}, dirs))
	fixText := "PHP_INI_SCAN_DIR=" + strings.Join(fix, ":")
	if !hasOpt {
		return []findings.Finding{{ID: findings.IDIniScanDir, Severity: findings.Error, Message: fmt.Sprintf(
			"PHP_INI_SCAN_DIR=%s leaves out %s: PHP would not read Bref's ini files nor those of the extension images, so their extensions are not loaded; set %s",
			v, OptIniDir, fixText)}}
	}
	return []findings.Finding{{ID: findings.IDIniScanDir, Severity: findings.Warning, Message: fmt.Sprintf(
		"PHP_INI_SCAN_DIR=%s leaves out %s: PHP would not read the app's php/conf.d/*.ini; set %s",
		v, AppIniDir, fixText)}}
}

// iniLoad is an extension=/zend_extension= line of an ini file.
type iniLoad struct {
	value     string
	commented bool
}

// parseIniLoads returns the extension and zend_extension lines of an ini
// file, also those commented out with ";" or "#".
func parseIniLoads(content string) []iniLoad {
	var out []iniLoad
	sc := bufio.NewScanner(strings.NewReader(content))
	sc.Buffer(make([]byte, 0, 64*1024), 1024*1024)
	for sc.Scan() {
		line := strings.TrimSpace(sc.Text())
		commented := false
		for strings.HasPrefix(line, ";") || strings.HasPrefix(line, "#") {
			commented = true
			line = strings.TrimSpace(line[1:])
		}
		key, val, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		key = strings.ToLower(strings.TrimSpace(key))
		if key != "extension" && key != "zend_extension" {
			continue
		}
		val = strings.TrimSpace(val)
		if strings.HasPrefix(val, `"`) || strings.HasPrefix(val, `'`) {
			q := val[:1]
			val = strings.TrimPrefix(val, q)
			val, _, _ = strings.Cut(val, q)
		} else if i := strings.IndexAny(val, ";"); i >= 0 {
			val = strings.TrimSpace(val[:i])
		}
		if val != "" {
			out = append(out, iniLoad{value: val, commented: commented})
		}
	}
	return out
}

// scannedIni returns the paths of pl.Ini that PHP reads: *.ini files directly
// in a scanned directory, sorted as PHP reads them.
func scannedIni(pl Platform) []string {
	dirs := ScanDirs(pl.Env)
	var out []string
	for p := range pl.Ini {
		if p == mainIni || (strings.HasSuffix(p, ".ini") && slices.Contains(dirs, path.Dir(p))) {
			out = append(out, p)
		}
	}
	sort.Strings(out)
	return out
}

// loadedNames returns the extension names the scanned ini files load
// ("extension=intl", "extension=/opt/bref-extra/redis.so" -> intl, redis).
func loadedNames(pl Platform) map[string]bool {
	names := map[string]bool{}
	for _, p := range scannedIni(pl) {
		for _, l := range parseIniLoads(pl.Ini[p]) {
			if !l.commented {
				names[strings.ToLower(strings.TrimSuffix(path.Base(l.value), ".so"))] = true
			}
		}
	}
	return names
}

// loads reports whether the ini value v loads the extension file so on line.
func loads(v, so string, line int) bool {
	if path.IsAbs(v) {
		return path.Clean(v) == so
	}
	if line == 1 || strings.Contains(v, "/") {
		return false
	}
	if !strings.HasSuffix(v, ".so") {
		v += ".so"
	}
	return path.Join(extDirV2, v) == so
}

// UnloadedExtensions checks that every PHP extension file of the added
// layers is loaded by an ini file in a scanned directory: the classic
// mistake is `COPY --from=bref/extra-redis-php-80:0.10 /opt/bref-extra
// /opt/bref-extra`, which copies the .so and not its ini. Extension files are
// the .so directly under /opt/bref-extra (Bref 1) or /opt/bref/extensions
// (Bref 2 and 3), and the .so of the app outside vendor/ and lib/. A file
// named in a commented-out extension line is left alone: its image ships it
// off on purpose. Finding findings.IDExtNotLoaded: an error for /opt, a warning for
// the app (the file may be a plain shared library).
func UnloadedExtensions(pl Platform) []findings.Finding {
	ini := scannedIni(pl)
	var loadsAll []iniLoad
	for _, p := range ini {
		loadsAll = append(loadsAll, parseIniLoads(pl.Ini[p])...)
	}
	files := slices.Clone(pl.Files)
	sort.Strings(files)
	var out []findings.Finding
	for _, f := range slices.Compact(files) {
		if !strings.HasSuffix(f, ".so") {
			continue
		}
		dir, base := path.Dir(f), path.Base(f)
		name := strings.TrimSuffix(base, ".so")
		inApp := strings.HasPrefix(f, AppDest+"/")
		rel := strings.TrimPrefix(f, AppDest+"/")
		switch {
		case dir == extDirV1 || dir == extDirV2:
		case inApp && !strings.HasPrefix(rel, "vendor/") && !strings.HasPrefix(rel, "lib/"):
		default:
			continue
		}
		loaded, offOnPurpose := false, false
		for _, l := range loadsAll {
			if loads(l.value, f, pl.Line) {
				if l.commented {
					offOnPurpose = true
				} else {
					loaded = true
				}
			}
		}
		if loaded || offOnPurpose {
			continue
		}
		value := f
		if dir == extDirV2 && pl.Line != 1 {
			value = name
		}
		out = append(out, unloaded(pl, f, name, value, rel, inApp))
	}
	return out
}

// unloaded is the finding about the extension file f (named name) that no
// ini file loads; value is what an ini line would load it with.
func unloaded(pl Platform, f, name, value, rel string, inApp bool) findings.Finding {
	if inApp {
		return findings.Finding{ID: findings.IDExtNotLoaded, Severity: findings.Warning, Path: rel, Message: fmt.Sprintf(
			"%s is in the app but no ini file loads it: if it is a PHP extension, add php/conf.d/%s.ini to the app containing \"extension=%s\"",
			rel, name, value)}
	}
	msg := fmt.Sprintf("%s is in the image but no ini file loads it, so PHP never loads %s: ", f, name)
	src := pl.Sources[f]
	if src.File != "" {
		msg = fmt.Sprintf("%s is copied but no ini file in %s loads it, so PHP never loads the %s extension: ", f, strings.Join(ScanDirs(pl.Env), " or "), name)
	}
	switch {
	case src.ImageIni != "":
		msg += fmt.Sprintf("%s holds the ini that loads it, %s, which this instruction does not copy; copy /opt whole instead: COPY --from=%s /opt /opt", src.Image, src.ImageIni, src.Image)
	case src.File != "":
		msg += fmt.Sprintf("add an ini file with the line extension=%s to %s", value, OptIniDir)
	default:
		msg += fmt.Sprintf("copy the extension image's ini file too (COPY --from=<image> /opt /opt copies both), or add php/conf.d/%s.ini to the app containing \"extension=%s\"", name, value)
	}
	fd := findings.Finding{ID: findings.IDExtNotLoaded, Severity: findings.Error, Path: f, Message: msg}
	if src.File != "" {
		// The Dockerfile chose what to copy (Bref's own documentation
		// copies /opt/bref-extra alone): warn, as for any step.
		fd.Path, fd.Line, fd.Severity = src.File, src.Line, findings.Warning
	}
	return fd
}
