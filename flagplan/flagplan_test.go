package flagplan

import (
	"errors"
	"strings"
	"testing"

	"github.com/brefimg/brefimg/internal/fixtures"
	"github.com/brefimg/brefimg/plan"
)

func TestPlan(t *testing.T) {
	app := fixtures.WriteDir(t, map[string]string{"public/index.php": "<?php", ".dockerignore": "tests/\n"})
	tests := []struct {
		name    string
		flags   Flags
		base    string
		images  []string
		cmd     string
		env     []string
		wantErr string
		field   plan.Field
	}{
		{name: "seed", flags: Flags{Line: 1, PHP: "8.0", Exts: []string{"redis,gmp"}, AppDir: app},
			base: "bref/php-80-fpm:1", images: []string{"bref/extra-redis-php-80:0.12", "bref/extra-gmp-php-80:0.12"}, cmd: "public/index.php"},
		{name: "defaults", flags: Flags{AppDir: app}, base: "bref/php-85:3", cmd: "public/index.php", env: []string{"BREF_RUNTIME=fpm"}},
		{name: "function runtime on v2 arm", flags: Flags{Line: 2, PHP: "83", Runtime: "function", Platform: "linux/arm64", AppDir: app},
			base: "bref/arm-php-83:2", cmd: "index.php"},
		{name: "tag override and --base", flags: Flags{Line: 1, PHP: "8.1", Exts: []string{"redis@0.12"}, Base: "example.com/base:7", Cmd: "web/app.php", AppDir: app},
			base: "example.com/base:7", images: []string{"bref/extra-redis-php-81:0.12"}, cmd: "web/app.php"},
		{name: "bad cmd", flags: Flags{Cmd: " ", AppDir: app}, wantErr: "handler", field: plan.FieldHandler},
		{name: "duplicate ext", flags: Flags{Line: 1, PHP: "8.0", Exts: []string{"redis", "redis"}, AppDir: app}, wantErr: "redis", field: plan.FieldExt},
		{name: "bad platform", flags: Flags{Platform: "windows/amd64", AppDir: app}, wantErr: "linux/arm64", field: plan.FieldPlatform},
		{name: "split outside the app", flags: Flags{Split: []string{"../x"}, AppDir: app}, wantErr: "inside the app", field: plan.FieldSplit},
		{name: "bad base reference", flags: Flags{Base: "Example.com/UPPER::1", AppDir: app}, wantErr: "not an image reference", field: plan.FieldBase},
		{name: "PHP not on the line", flags: Flags{Line: 1, PHP: "8.4", AppDir: app}, wantErr: "PHP 8.4 does not exist on Bref 1", field: plan.FieldPHP},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			pl, err := Plan(tc.flags)
			if tc.wantErr != "" {
				var in *plan.InputError
				if err == nil || !errors.As(err, &in) || !strings.Contains(err.Error(), tc.wantErr) || in.Field != tc.field {
					t.Fatalf("error %v, want an input error about %s naming %q", err, tc.wantErr, tc.field)
				}
				if strings.Contains(err.Error(), "--") {
					t.Errorf("error %q names a CLI flag: the front end renders the field", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if pl.Base != tc.base || pl.Handler != tc.cmd || strings.Join(pl.Config.Cmd, " ") != tc.cmd ||
				strings.Join(pl.Config.Env, " ") != strings.Join(tc.env, " ") {
				t.Errorf("plan %+v", pl)
			}
			var images []string
			for _, s := range pl.Steps[:len(pl.Steps)-1] {
				images = append(images, s.Image)
				if s.Src != "/opt" || s.Dest != "/opt" {
					t.Errorf("step %+v does not copy /opt", s)
				}
			}
			if strings.Join(images, " ") != strings.Join(tc.images, " ") {
				t.Errorf("images %v, want %v", images, tc.images)
			}
			last := pl.Steps[len(pl.Steps)-1]
			if last.Dir != app || last.Dest != "/var/task" || strings.Join(last.Ignore, ",") != "tests,brefimg.lock,brefimg.yaml" {
				t.Errorf("app step %+v", last)
			}
		})
	}
}
