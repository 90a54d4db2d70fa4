package checks

import (
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/brefimg/brefimg/plan"
)

// dockerfilePlan is the plan of a Dockerfile FROM base whose one step
// copies src of the build context ctx to dest.
func dockerfilePlan(base, ctx, src, dest string, ignore []string, parents bool) plan.Plan {
	return plan.Plan{File: "Dockerfile", Base: base, Platform: v1.Platform{OS: "linux", Architecture: "amd64"},
		Steps: []plan.Step{{Kind: plan.StepCopy, Name: "context", Dir: ctx, Sources: []string{src}, Dest: dest, Ignore: ignore,
			Parents: parents, Line: 2, CreatedBy: "COPY " + src + " " + dest}}}
}

// TestRunPlanCopiedDirectory: the app checks run on what a Dockerfile
// copies to /var/task, the whole context or a subdirectory of it, with the
// context's .dockerignore patterns; finding paths are relative to the
// context. What is not an app directory is skipped, and AppSkipped says
// why.
func TestRunPlanCopiedDirectory(t *testing.T) {
	t.Parallel()
	tests := []struct {
		name    string
		base    string // default bref/php-84:3
		src     string
		dest    string // default /var/task
		ignore  []string
		parents bool
		setup   func(t *testing.T, ctx string)
		// res, when set, is a build whose app paths are those of the whole
		// context, which must not stand for a subdirectory's.
		res     *plan.Result
		solve   bool     // the Dockerfile RUNs commands (BuildKit builds it)
		want    []string // "ID PATH" findings that must be there
		notWant []string // IDs or "ID PATH" findings that must not
		skipped string   // part of AppSkipped, "" when the app is checked
	}{
		{name: "the whole context", src: ".", want: []string{"secret-dotenv .env", "vendor-missing vendor/autoload.php"}},
		{name: "./app", src: "./app", want: []string{"secret-dotenv app/.env"}, notWant: []string{"vendor-missing", "secret-dotenv .env"}},
		{name: "app/", src: "app/", want: []string{"secret-dotenv app/.env"}, notWant: []string{"vendor-missing"}},
		{name: "/app: relative to the context's root", src: "/app", want: []string{"secret-dotenv app/.env"}, notWant: []string{"vendor-missing"}},
		{name: "to /var/task/", src: "./app", dest: "/var/task/", want: []string{"secret-dotenv app/.env"}},
		{name: "a nested directory", src: "./app/public", notWant: []string{"secret-dotenv"}, want: []string{"vendor-missing app/public/vendor/autoload.php"}},
		{name: "a pattern relative to the context excludes", src: "./app", ignore: []string{"app/.env"}, notWant: []string{"secret-dotenv"}},
		{name: "a pattern of the context's root only does not", src: "./app", ignore: []string{".env"}, want: []string{"secret-dotenv app/.env"}},
		{name: "** patterns reach into it", src: "./app", ignore: []string{"**/.env"}, notWant: []string{"secret-dotenv"}},
		{name: "an excluded vendor/ names the context's .dockerignore", src: "./app", ignore: []string{"app/vendor"}, want: []string{"vendor-ignored .dockerignore"}},
		{name: "the directory itself excluded", src: "./app", ignore: []string{"app"}, want: []string{"vendor-ignored .dockerignore"}, notWant: []string{"secret-dotenv"}},
		{name: "excluded but for an exception", src: "./app", ignore: []string{"app", "!app/vendor"}, notWant: []string{"vendor-missing", "secret-dotenv"}},
		{name: "the build's app paths are the context's, not the subdirectory's", src: "./app",
			res: &plan.Result{AppPaths: []string{"vendor/", "vendor/autoload.php"}}, want: []string{"secret-dotenv app/.env"}},
		{name: "a RUN may make vendor/: without the image, no vendor finding", src: ".", solve: true,
			want: []string{"secret-dotenv .env"}, notWant: []string{"vendor-missing"}},
		{name: "a glob is no app directory", src: "./app/*", skipped: "copies no directory"},
		{name: "a file is no app directory", src: "./app/composer.json", skipped: "copies no directory"},
		{name: "a missing directory", src: "./nope", skipped: "copies no directory"},
		{name: "--parents", src: "./app", parents: true, skipped: "copies no directory"},
		{name: "elsewhere than /var/task", src: "./app", dest: "/srv", skipped: "copies no directory"},
		{name: "a base that is not Bref's", base: "php:8.4-cli", src: ".", skipped: "php:8.4-cli is not a Bref image"},
		{name: "an untagged Bref base", base: "bref/php-84", src: ".", skipped: "has no tag naming its Bref line"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			t.Parallel()
			ctx := t.TempDir()
			app := filepath.Join(ctx, "app")
			if err := os.CopyFS(app, os.DirFS(fixture("secret-dotenv"))); err != nil {
				t.Fatal(err)
			}
			writeFile(t, ctx, ".env", "APP_KEY=root\n")
			writeFile(t, ctx, "app/.env", "APP_KEY=app\n")
			base, dest := tc.base, tc.dest
			if base == "" {
				base = "bref/php-84:3"
			}
			if dest == "" {
				dest = AppDest
			}
			pl := dockerfilePlan(base, ctx, tc.src, dest, tc.ignore, tc.parents)
			if tc.solve {
				pl.Solve = &plan.Solve{Whole: true}
			}
			if got := AppSkipped(pl); !strings.Contains(got, tc.skipped) || (tc.skipped == "") != (got == "") {
				t.Errorf("AppSkipped = %q, want %q", got, tc.skipped)
			}
			fs, err := RunPlan(pl, tc.res)
			if err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, f := range fs {
				got = append(got, f.ID+" "+f.Path)
			}
			if tc.skipped != "" && len(got) > 0 {
				t.Errorf("skipped, but found %q", got)
			}
			for _, w := range tc.want {
				if !slices.Contains(got, w) {
					t.Errorf("findings %q lack %q", got, w)
				}
			}
			for _, nw := range tc.notWant {
				for _, g := range got {
					if g == nw || strings.HasPrefix(g, nw+" ") {
						t.Errorf("findings %q hold %q", got, g)
					}
				}
			}
		})
	}
}

// TestAppSkippedFlagPlan: a flag build always checks its app directory.
func TestAppSkippedFlagPlan(t *testing.T) {
	t.Parallel()
	pl := plan.Plan{Line: 3, PHP: "8.4", Base: "bref/php-84:3",
		Steps: []plan.Step{{Kind: plan.StepCopy, Name: "app", Dir: t.TempDir(), Dest: AppDest}}}
	if got := AppSkipped(pl); got != "" {
		t.Errorf("AppSkipped = %q", got)
	}
}
