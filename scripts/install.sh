#!/bin/sh
# Installs a brefimg release: downloads brefimg_<version>_<os>_<arch>.tar.gz
# and checksums.txt, verifies the archive's SHA-256, and puts the binary in
# BREFIMG_INSTALL_DIR. Used by action.yml; runs anywhere with sh, tar and
# curl or wget (or a local directory as BREFIMG_BASE_URL).
#
#   BREFIMG_VERSION      the release, e.g. v1.2.3 (required)
#   BREFIMG_INSTALL_DIR  where the binary goes (default: $HOME/.local/bin)
#   BREFIMG_BASE_URL     where releases are (default: GitHub releases of brefimg/brefimg);
#                        a directory holding the archives and checksums.txt also works
set -eu

version="${BREFIMG_VERSION:?set BREFIMG_VERSION, e.g. v1.2.3}"
dir="${BREFIMG_INSTALL_DIR:-$HOME/.local/bin}"
base="${BREFIMG_BASE_URL:-https://github.com/brefimg/brefimg/releases/download/$version}"

case "$(uname -s)" in
Linux) os=linux ;;
Darwin) os=darwin ;;
*) echo "brefimg install: $(uname -s) is not supported: brefimg ships for Linux and macOS" >&2; exit 2 ;;
esac
case "$(uname -m)" in
x86_64 | amd64) arch=amd64 ;;
aarch64 | arm64) arch=arm64 ;;
*) echo "brefimg install: $(uname -m) is not supported: brefimg ships for amd64 and arm64" >&2; exit 2 ;;
esac
archive="brefimg_${version#v}_${os}_${arch}.tar.gz"

tmp="$(mktemp -d)"
trap 'rm -rf "$tmp"' EXIT
fetch() { # fetch NAME: $base/NAME into $tmp/NAME
	if [ -d "$base" ]; then
		cp "$base/$1" "$tmp/$1"
	elif command -v curl >/dev/null 2>&1; then
		curl -fsSL --retry 3 -o "$tmp/$1" "$base/$1"
	else
		wget -q -O "$tmp/$1" "$base/$1"
	fi
}
fetch checksums.txt
fetch "$archive"

want="$(awk -v f="$archive" '$2 == f { print $1 }' "$tmp/checksums.txt")"
if [ -z "$want" ]; then
	echo "brefimg install: checksums.txt has no entry for $archive" >&2
	exit 1
fi
if command -v sha256sum >/dev/null 2>&1; then
	got="$(sha256sum "$tmp/$archive" | awk '{ print $1 }')"
else
	got="$(shasum -a 256 "$tmp/$archive" | awk '{ print $1 }')"
fi
if [ "$got" != "$want" ]; then
	echo "brefimg install: $archive has SHA-256 $got, checksums.txt says $want: refusing it" >&2
	exit 1
fi

tar -xzf "$tmp/$archive" -C "$tmp" brefimg
mkdir -p "$dir"
install -m 0755 "$tmp/brefimg" "$dir/brefimg"
echo "brefimg $version installed in $dir"
