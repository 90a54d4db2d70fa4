// Package release holds the tests of brefimg's release plumbing: the
// install script that action.yml runs (scripts/install.sh), checked
// against a local directory of release archives, and the version a
// release build reports.
package release
