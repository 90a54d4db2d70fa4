package registry

import (
	"context"
	"errors"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/brefimg/brefimg/internal/testregistry"
)

// userError is an error that knows it is the user's to fix (or not).
type userError struct {
	msg   string
	input bool
}

func (e *userError) Error() string { return e.msg }
func (e *userError) IsInput() bool { return e.input }

func TestWithHooksOnce(t *testing.T) {
	if _, err := New(WithHooks(Hooks{}), WithHooks(Hooks{})); err == nil || !strings.Contains(err.Error(), "once") {
		t.Errorf("New with two WithHooks: %v", err)
	}
}

func TestHooks(t *testing.T) {
	reg, err := testregistry.Start()
	if err != nil {
		t.Fatal(err)
	}
	defer reg.Close()
	ctx := context.Background()
	img, err := random.Image(512, 1)
	if err != nil {
		t.Fatal(err)
	}

	t.Run("BeforePush runs before each target and can stop the push", func(t *testing.T) {
		for _, input := range []bool{true, false} {
			var seen []string
			c, err := New(WithHooks(Hooks{BeforePush: func(_ context.Context, target name.Reference) error {
				seen = append(seen, target.String())
				if strings.HasSuffix(target.String(), ":refused") {
					return &userError{msg: "not this one", input: input}
				}
				return nil
			}}))
			if err != nil {
				t.Fatal(err)
			}
			a, _ := c.Target(reg.Host + "/hooked:ok")
			b, _ := c.Target(reg.Host + "/hooked:refused")
			out, err := c.Push(ctx, img, []name.Reference{a, b})
			if len(out) != 1 || err == nil || !strings.Contains(err.Error(), "not this one") || IsInput(err) != input {
				t.Errorf("Push = %v, %v (input %v), want one pushed and the hook's error (input %v)", out, err, IsInput(err), input)
			}
			if len(seen) != 2 {
				t.Errorf("hook saw %v", seen)
			}
			if _, err := remote.Head(b); err == nil {
				t.Error("the refused target was pushed")
			}
		}
	})

	t.Run("Explain replaces the cause", func(t *testing.T) {
		var explained []string
		c, err := New(WithHooks(Hooks{Explain: func(ref name.Reference, err error) error {
			explained = append(explained, ref.String())
			if strings.Contains(ref.String(), "explained") {
				return &userError{msg: "the hook says why", input: true}
			}
			return nil
		}}))
		if err != nil {
			t.Fatal(err)
		}
		platform := v1.Platform{OS: "linux", Architecture: "amd64"}
		_, _, err = c.Image(ctx, reg.Host+"/explained:1", platform)
		var rerr *Error
		if !errors.As(err, &rerr) || !IsInput(err) || !strings.Contains(err.Error(), "the hook says why") || !strings.Contains(err.Error(), reg.Host) {
			t.Errorf("explained: %v", err)
		}
		_, _, err = c.Image(ctx, reg.Host+"/kept:1", platform)
		if !IsInput(err) || !strings.Contains(err.Error(), "no such image") {
			t.Errorf("kept: %v", err)
		}
		if len(explained) != 2 {
			t.Errorf("Explain saw %v", explained)
		}
	})

	t.Run("RemoteOptions apply per reference", func(t *testing.T) {
		updates := make(chan v1.Update, 100)
		var asked []string
		c, err := New(WithHooks(Hooks{RemoteOptions: func(ref name.Reference) []remote.Option {
			asked = append(asked, ref.String())
			return []remote.Option{remote.WithProgress(updates)}
		}}))
		if err != nil {
			t.Fatal(err)
		}
		ref, _ := c.Target(reg.Host + "/progress:1")
		if _, err := c.Push(ctx, img, []name.Reference{ref}); err != nil {
			t.Fatal(err)
		}
		var last v1.Update
		for u := range updates {
			last = u
		}
		if last.Total == 0 || last.Complete != last.Total {
			t.Errorf("last progress update %+v: the hook's option was not applied", last)
		}
		if len(asked) != 1 || asked[0] != ref.String() {
			t.Errorf("RemoteOptions asked for %v", asked)
		}
	})
}
