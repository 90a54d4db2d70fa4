package plan

import (
	"errors"
	"fmt"
)

// Field names the input at fault in an [InputError]. Front ends render it
// in their own terms: the flag front end as "--php", a Dockerfile as
// "Dockerfile:3", serverless.yml as the key's path.
type Field string

// The input fields the libraries name.
const (
	FieldLine     Field = "bref"     // the Bref major line
	FieldPHP      Field = "php"      // the PHP version
	FieldRuntime  Field = "runtime"  // the Bref runtime
	FieldPlatform Field = "platform" // the target platform
	FieldExt      Field = "ext"      // an extension image
	FieldBase     Field = "base"     // the base image
	FieldHandler  Field = "cmd"      // the CMD handler
	FieldAppDir   Field = "app"      // the app directory (or build context)
	FieldSplit    Field = "split"    // a directory with a layer of its own
	FieldLock     Field = "lock"     // brefimg.lock
	FieldLocked   Field = "locked"   // building from brefimg.lock's pins only
	FieldImage    Field = "image"    // an image the build reads
	FieldFile     Field = "file"     // the front end's input file (a Dockerfile)
	FieldFunction Field = "function" // a Lambda function to deploy to
)

// InputError is a failure caused by the user's input rather than by the
// build: an app directory that does not exist, a PHP version no Bref line
// has, a reference that does not parse, a registry that refuses the
// credentials. Commands exit 2 for it.
type InputError struct {
	// Field is the input at fault; "" when no one field is.
	Field Field
	// Err says what is wrong and what to do, in terms of the input's
	// values, not of one front end's flags.
	Err error
}

func (e *InputError) Error() string { return e.Err.Error() }

// Unwrap returns the cause.
func (e *InputError) Unwrap() error { return e.Err }

// IsInput reports whether err (or an error it wraps) is the user's input's
// fault: an *InputError, or any error with an IsInput() bool method that
// says so (registry errors have one).
func IsInput(err error) bool {
	var in *InputError
	if errors.As(err, &in) {
		return true
	}
	var marked interface{ IsInput() bool }
	return errors.As(err, &marked) && marked.IsInput()
}

// Inputf makes an *InputError about field.
func Inputf(field Field, format string, a ...any) error {
	return &InputError{Field: field, Err: fmt.Errorf(format, a...)}
}

// AsInput marks err as the fault of field; nil stays nil, and an
// *InputError keeps the field it names.
func AsInput(field Field, err error) error {
	if err == nil {
		return nil
	}
	var in *InputError
	if errors.As(err, &in) {
		return err
	}
	return &InputError{Field: field, Err: err}
}

// FieldOf returns the field an input error names, or "".
func FieldOf(err error) Field {
	var in *InputError
	if errors.As(err, &in) {
		return in.Field
	}
	return ""
}
