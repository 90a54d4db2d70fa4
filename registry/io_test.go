package registry_test

import "io"

// io_Copy drains and closes rc, returning the bytes read.
func io_Copy(rc io.ReadCloser) (int64, error) {
	defer rc.Close()
	return io.Copy(io.Discard, rc)
}
