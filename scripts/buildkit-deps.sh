#!/usr/bin/env bash
# What the BuildKit tests (internal/testbuildkit) need: runc and a static
# busybox from Debian's packages (installed with apt-get when run as root),
# and bin/buildkitd built from source at the BuildKit version go.mod
# requires. Honours $GO (default: go). Run it as `make buildkit`.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$(pwd)
GO=${GO:-go}
PATH="$PATH:/usr/sbin:/sbin"

# 1. runc and busybox-static.
missing=()
command -v runc >/dev/null 2>&1 || missing+=(runc)
# A static busybox: Debian's busybox-static (the busybox package's is dynamic).
if command -v dpkg-query >/dev/null 2>&1; then
	dpkg-query -W -f='${Status}' busybox-static 2>/dev/null | grep -q 'ok installed' || missing+=(busybox-static)
else
	[ -x /bin/busybox ] || missing+=(busybox-static)
fi
if [ ${#missing[@]} -eq 0 ]; then
	echo "buildkit-deps: runc and a static /bin/busybox are installed"
elif [ "$(id -u)" -eq 0 ]; then
	echo "buildkit-deps: installing runc busybox-static from Debian (missing: ${missing[*]})"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq runc busybox-static
else
	echo "buildkit-deps: missing ${missing[*]}; install as root: apt-get install runc busybox-static" >&2
	exit 1
fi

# 2. bin/buildkitd at go.mod's BuildKit version.
mod=github.com/moby/buildkit
version=$("$GO" list -m -f '{{.Version}}' "$mod")
bin="$ROOT/bin/buildkitd"
if [ -x "$bin" ] && "$bin" --version 2>/dev/null | grep -qw -- "$version"; then
	echo "buildkit-deps: bin/buildkitd is up to date ($version)"
	exit 0
fi
echo "buildkit-deps: downloading $mod@$version"
"$GO" mod download "$mod"
dir=$("$GO" list -m -f '{{.Dir}}' "$mod")
# BuildKit's go.mod has exclude directives, so `go install …@version` refuses
# it: build inside the module instead. -mod=mod lets go resolve BuildKit's own
# requirements; the GOFLAGS already configured (go env) are kept.
goflags="$("$GO" env GOFLAGS)"
goflags="${goflags:+$goflags }-mod=mod"
ldflags="-X $mod/version.Version=$version"
mkdir -p "$ROOT/bin"
echo "buildkit-deps: building bin/buildkitd $version (a few minutes)"
log=$(mktemp)
trap 'rm -f "$log"' EXIT
if ! (cd "$dir" && GOFLAGS="$goflags" "$GO" build -ldflags "$ldflags" -o "$bin.tmp" ./cmd/buildkitd) 2>"$log"; then
	if ! grep -qiE 'permission denied|read-only file system' "$log"; then
		cat "$log" >&2
		exit 1
	fi
	# The module cache is read-only and go wanted to write there: build a copy.
	echo "buildkit-deps: the module cache is read-only; building a copy"
	copy=$(mktemp -d)
	trap 'rm -f "$log"; chmod -R u+w "$copy"; rm -rf "$copy"' EXIT
	cp -R "$dir/." "$copy"
	chmod -R u+w "$copy"
	(cd "$copy" && GOFLAGS="$goflags" "$GO" build -ldflags "$ldflags" -o "$bin.tmp" ./cmd/buildkitd)
fi
mv "$bin.tmp" "$bin"
echo "buildkit-deps: $("$bin" --version)"
