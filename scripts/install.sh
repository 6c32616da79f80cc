#!/bin/sh
# Installs a released gitsm binary: picks the archive for this platform,
# verifies it against the release's SHA256SUMS and refuses on any mismatch,
# then puts `gitsm` into the install folder. Nothing is compiled.
#
# The GitHub Action (action.yml) runs this script; other CI systems can too:
#
#   curl -fsSL https://github.com/gitsm/gitsm/releases/download/v0.1.0/install.sh \
#     | GITSM_VERSION=v0.1.0 sh
#
# Options (each also an environment variable):
#   --version vX.Y.Z  GITSM_VERSION      release tag to install (required)
#   --to DIR          GITSM_INSTALL_DIR  where `gitsm` goes (default: $HOME/.local/bin)
#   --base-url URL    GITSM_BASE_URL     where release assets live; the asset URL is
#                                        URL/vX.Y.Z/NAME (default: the GitHub releases
#                                        download URL of gitsm/gitsm). https only,
#                                        except http://127.0.0.1 and http://localhost.
#   --os OS           GITSM_OS           Linux|macOS|Windows (default: uname -s)
#   --arch ARCH       GITSM_ARCH         X64|ARM64 (default: uname -m)
#
# It prints the installed binary's path on stdout and everything else on
# stderr. Exit 0 when installed; 1 on any refusal (unsupported platform,
# missing asset, checksum mismatch), with nothing installed.
set -eu

default_base_url="https://github.com/gitsm/gitsm/releases/download"

version="${GITSM_VERSION:-}"
install_dir="${GITSM_INSTALL_DIR:-${HOME:-}/.local/bin}"
base_url="${GITSM_BASE_URL:-$default_base_url}"
os="${GITSM_OS:-}"
arch="${GITSM_ARCH:-}"

say() { printf 'gitsm install: %s\n' "$*" >&2; }
die() {
  printf 'gitsm install: error: %s\n' "$*" >&2
  exit 1
}

while [ $# -gt 0 ]; do
  case "$1" in
    --version) [ $# -ge 2 ] || die "--version needs a value"; version="$2"; shift 2 ;;
    --to) [ $# -ge 2 ] || die "--to needs a value"; install_dir="$2"; shift 2 ;;
    --base-url) [ $# -ge 2 ] || die "--base-url needs a value"; base_url="$2"; shift 2 ;;
    --os) [ $# -ge 2 ] || die "--os needs a value"; os="$2"; shift 2 ;;
    --arch) [ $# -ge 2 ] || die "--arch needs a value"; arch="$2"; shift 2 ;;
    -h | --help) sed -n '2,24p' "$0" >&2 2>/dev/null || true; exit 0 ;;
    *) die "unknown option: $1 (see the header of this script)" ;;
  esac
done

# A version is required: an install that silently follows "latest" would
# change what CI runs without a commit.
[ -n "$version" ] || die "no version given: set GITSM_VERSION or pass --version (e.g. v0.1.0)"
case "$version" in
  v[0-9]*) ;;
  [0-9]*) version="v$version" ;;
  *) die "version '$version' is not a release tag like v0.1.0" ;;
esac
case "$version" in
  *[!A-Za-z0-9.+-]*) die "version '$version' is not a release tag like v0.1.0" ;;
esac
[ -n "$install_dir" ] || die "no install folder: set GITSM_INSTALL_DIR or pass --to"

base_url="${base_url%/}"
case "$base_url" in
  https://*) proto="=https" ;;
  http://127.0.0.1:* | http://127.0.0.1/* | http://localhost:* | http://localhost/*) proto="=http" ;;
  *) die "base URL '$base_url' is not https:// (plain http is allowed for 127.0.0.1 and localhost only)" ;;
esac

[ -n "$os" ] || os="$(uname -s)"
[ -n "$arch" ] || arch="$(uname -m)"

# runner.os / runner.arch names (Actions) and uname names map to release targets.
case "$os" in
  Linux | linux) os_kind=linux ;;
  macOS | Darwin | darwin | macos) os_kind=macos ;;
  Windows | Windows_NT | MINGW* | MSYS* | CYGWIN*) os_kind=windows ;;
  *) os_kind="" ;;
esac
case "$arch" in
  X64 | x86_64 | amd64 | AMD64) arch_kind=x86_64 ;;
  ARM64 | aarch64 | arm64) arch_kind=aarch64 ;;
  *) arch_kind="" ;;
esac
target=""
case "$os_kind/$arch_kind" in
  linux/x86_64) target=x86_64-unknown-linux-musl ;;
  linux/aarch64) target=aarch64-unknown-linux-musl ;;
  macos/x86_64) target=x86_64-apple-darwin ;;
  macos/aarch64) target=aarch64-apple-darwin ;;
  windows/x86_64) target=x86_64-pc-windows-msvc ;;
esac
[ -n "$target" ] || die "unsupported platform: $os $arch (releases exist for Linux x86_64/aarch64, macOS x86_64/arm64, Windows x86_64; on others use: cargo install --locked gitsm)"

stem="gitsm-$version-$target"
exe=gitsm
archive="$stem.tar.gz"
if [ "$os_kind" = windows ]; then
  exe=gitsm.exe
  archive="$stem.zip"
fi

fetch() { # URL FILE
  if command -v curl >/dev/null 2>&1; then
    curl --fail --silent --show-error --location --proto "$proto" --proto-redir "$proto" \
      --retry 3 --connect-timeout 20 --output "$2" "$1"
  elif command -v wget >/dev/null 2>&1; then
    wget --quiet --tries=3 --timeout=20 --output-document="$2" "$1"
  else
    die "neither curl nor wget is installed"
  fi
}

sha256_of() { # FILE
  if command -v sha256sum >/dev/null 2>&1; then
    sha256sum "$1" | cut -d ' ' -f 1
  elif command -v shasum >/dev/null 2>&1; then
    shasum -a 256 "$1" | cut -d ' ' -f 1
  elif command -v openssl >/dev/null 2>&1; then
    openssl dgst -sha256 -r "$1" | cut -d ' ' -f 1
  else
    die "no SHA-256 tool (sha256sum, shasum or openssl) is installed"
  fi
}

tmp="$(mktemp -d 2>/dev/null || mktemp -d -t gitsm-install)"
trap 'rm -rf "$tmp"' EXIT
trap 'exit 1' HUP INT TERM

url="$base_url/$version"
say "downloading $archive ($version) from $url"
fetch "$url/SHA256SUMS" "$tmp/SHA256SUMS" || die "could not download $url/SHA256SUMS: is $version a gitsm release?"
fetch "$url/$archive" "$tmp/$archive" || die "could not download $url/$archive: release $version has no asset for $target"

# SHA256SUMS lines are "<64 hex>  <name>" (or "<hex> *<name>"); exactly one for
# our archive.
expected="$(awk -v f="$archive" '$2 == f || $2 == "*" f { print $1 }' "$tmp/SHA256SUMS")"
[ -n "$expected" ] || die "SHA256SUMS of $version lists no checksum for $archive: refusing to install"
case "$expected" in
  *"
"*) die "SHA256SUMS of $version lists $archive more than once: refusing to install" ;;
esac
expected="$(printf '%s' "$expected" | tr 'A-F' 'a-f')"
case "$expected" in
  *[!0-9a-f]*) die "SHA256SUMS of $version has a malformed checksum for $archive: refusing to install" ;;
esac
[ "${#expected}" -eq 64 ] || die "SHA256SUMS of $version has a malformed checksum for $archive: refusing to install"
actual="$(sha256_of "$tmp/$archive")"
if [ "$actual" != "$expected" ]; then
  die "checksum mismatch for $archive: SHA256SUMS says $expected, the download is $actual; refusing to install"
fi
say "verified $archive (sha256 $actual)"

mkdir "$tmp/x"
case "$archive" in
  *.zip)
    if command -v unzip >/dev/null 2>&1; then
      unzip -q "$tmp/$archive" -d "$tmp/x" || die "could not unpack $archive"
    else
      tar -xf "$tmp/$archive" -C "$tmp/x" || die "could not unpack $archive"
    fi
    ;;
  *) tar -xzf "$tmp/$archive" -C "$tmp/x" || die "could not unpack $archive" ;;
esac
bin="$tmp/x/$stem/$exe"
[ -f "$bin" ] && [ ! -h "$bin" ] || die "$archive holds no $stem/$exe"

mkdir -p "$install_dir" || die "could not create $install_dir"
# Copy next to the destination, then rename: a reader never sees half a binary.
part="$install_dir/.$exe.part.$$"
cp "$bin" "$part" || die "could not write into $install_dir"
chmod 755 "$part"
mv -f "$part" "$install_dir/$exe" || { rm -f "$part"; die "could not install into $install_dir"; }
say "installed gitsm $version ($target) to $install_dir/$exe"
printf '%s\n' "$install_dir/$exe"
