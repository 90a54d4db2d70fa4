//go:build !unix

package layers

// alive reports whether a process with this pid may run: without a way to
// ask, always; its files are then removed after a day.
func alive(int) bool { return true }
