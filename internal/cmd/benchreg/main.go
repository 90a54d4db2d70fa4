package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/brefimg/brefimg/internal/benchfix"
)

const usage = `usage:
  benchreg serve -state DIR [-app DIR -scale N]
  benchreg ctl -addr HOST:PORT reset|mark|stats
  benchreg app -dir DIR -scale N
  benchreg change -dir DIR -n N
  benchreg digest REF
  benchreg report -results FILE -env FILE [-out FILE]
  benchreg registry -root DIR -addr HOST:PORT [-access-log FILE]
  benchreg extstats -log FILE -offset N
  benchreg freeport
  benchreg wait -addr HOST:PORT
  benchreg seedshell -source HOST:PORT [-prefix shell]
  benchreg bkwait -addr unix://SOCKET [-timeout 1m] [-pid PID]
  benchreg stamp -out FILE
`

func main() {
	if len(os.Args) < 2 {
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	var err error
	args := os.Args[2:]
	switch os.Args[1] {
	case "serve":
		err = serveCmd(args)
	case "ctl":
		err = ctlCmd(args)
	case "app":
		err = appCmd(args)
	case "change":
		err = changeCmd(args)
	case "digest":
		err = digestCmd(args)
	case "report":
		err = reportCmd(args)
	case "registry":
		err = registryCmd(args)
	case "extstats":
		err = extstatsCmd(args)
	case "freeport":
		err = freeportCmd(args)
	case "wait":
		err = waitCmd(args)
	case "seedshell":
		err = seedShellCmd(args)
	case "bkwait":
		err = bkWaitCmd(args)
	case "stamp":
		err = stampCmd(args)
	default:
		fmt.Fprint(os.Stderr, usage)
		os.Exit(2)
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "benchreg:", err)
		os.Exit(1)
	}
}

// parse parses args with fs, rejecting positional arguments beyond want.
func parse(fs *flag.FlagSet, args []string, want int) error {
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() != want {
		return fmt.Errorf("%s: want %d argument(s), got %q\n%s", fs.Name(), want, fs.Args(), usage)
	}
	return nil
}

func appCmd(args []string) error {
	fs := flag.NewFlagSet("app", flag.ContinueOnError)
	dir := fs.String("dir", "", "directory to write the app into (must not exist or be empty)")
	scale := fs.Int("scale", 1, "app scale factor")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	if *dir == "" {
		return fmt.Errorf("app: -dir is required")
	}
	start := time.Now()
	a, err := benchfix.WriteApp(*dir, *scale)
	if err != nil {
		return err
	}
	fmt.Printf("APP=%s SCALE=%d FILES=%d BYTES=%d (written in %.1fs)\n", *dir, a.Scale, len(a.Files), a.Bytes, time.Since(start).Seconds())
	return nil
}

func changeCmd(args []string) error {
	fs := flag.NewFlagSet("change", flag.ContinueOnError)
	dir := fs.String("dir", "", "the app directory")
	n := fs.Int("n", 1, "content variant (0 restores the original)")
	if err := parse(fs, args, 0); err != nil {
		return err
	}
	p, err := benchfix.ChangeFile(*dir, *n)
	if err != nil {
		return err
	}
	fmt.Println(p)
	return nil
}

func digestCmd(args []string) error {
	fs := flag.NewFlagSet("digest", flag.ContinueOnError)
	if err := parse(fs, args, 1); err != nil {
		return err
	}
	ref, err := name.ParseReference(fs.Arg(0))
	if err != nil {
		return err
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d, err := remote.Head(ref, remote.WithContext(ctx))
	if err != nil {
		return fmt.Errorf("reading the digest of %s: %w", ref, err)
	}
	fmt.Println(d.Digest)
	return nil
}

func ctlCmd(args []string) error {
	fs := flag.NewFlagSet("ctl", flag.ContinueOnError)
	addr := fs.String("addr", "", "the CONTROL address benchreg serve printed")
	if err := parse(fs, args, 1); err != nil {
		return err
	}
	method := http.MethodPost
	switch fs.Arg(0) {
	case "reset", "mark":
	case "stats":
		method = http.MethodGet
	default:
		return fmt.Errorf("ctl: unknown action %q: want reset, mark or stats", fs.Arg(0))
	}
	req, err := http.NewRequest(method, "http://"+*addr+"/"+fs.Arg(0), nil)
	if err != nil {
		return err
	}
	client := &http.Client{Timeout: 5 * time.Minute}
	resp, err := client.Do(req)
	if err != nil {
		return fmt.Errorf("ctl %s: %w", fs.Arg(0), err)
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		return err
	}
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("ctl %s: %s: %s", fs.Arg(0), resp.Status, strings.TrimSpace(string(body)))
	}
	fmt.Print(string(body))
	return nil
}
