#!/bin/sh
# The steps of the gitsm GitHub Action (action.yml), kept in a script so the
# project's tests can run them outside GitHub.
#
#   action.sh install   pick the release (input `version`, else the action's
#                       own tag), install it into the runner's tool cache via
#                       install.sh (download, verify against SHA256SUMS), put
#                       it on PATH, set the step output `path`
#   action.sh run       run `gitsm COMMAND ARGS...` in the working directory
#
# Every input arrives as an environment variable (see action.yml); nothing
# here is ever expanded by the workflow engine, so no input can inject code.
set -eu

here="$(cd "$(dirname "$0")" && pwd)"

fail() {
  # Inputs are printed only after sanitising, so none can start a line that
  # the runner would read as a workflow command.
  printf 'gitsm action: error: %s\n' "$*" >&2
  exit 1
}
clean() { printf '%s' "$1" | tr -cd 'A-Za-z0-9._+/@-'; }

install() {
  version="${GITSM_VERSION_INPUT:-}"
  if [ -z "$version" ]; then
    # The tag the workflow uses the action at; the runner leaves
    # GITSM_ACTION_REF empty in some nestings, and then the folder the action
    # was checked out to (…/_actions/OWNER/REPO/REF) still names it.
    version="${GITSM_ACTION_REF:-}"
    [ -n "$version" ] || version="$(basename "${GITHUB_ACTION_PATH:-}")"
  fi
  case "$version" in
    v[0-9]*.*[0-9]) ;;
    *)
      fail "cannot tell which gitsm release to run: the action is used at '$(clean "$version")', not a release tag like v0.1.0; set the input 'version: vX.Y.Z' (needed when the action is pinned by commit sha or a branch)"
      ;;
  esac
  case "$version" in
    *[!A-Za-z0-9.+-]*) fail "version '$(clean "$version")' is not a release tag like v0.1.0" ;;
  esac

  if [ -z "${GITSM_BASE_URL:-}" ] && [ -n "${GITSM_ACTION_REPOSITORY:-}" ]; then
    case "$GITSM_ACTION_REPOSITORY" in
      *[!A-Za-z0-9._/-]* | */*/* | /* | */) fail "unexpected action repository '$(clean "$GITSM_ACTION_REPOSITORY")'" ;;
      */*) GITSM_BASE_URL="https://github.com/$GITSM_ACTION_REPOSITORY/releases/download"; export GITSM_BASE_URL ;;
    esac
  fi

  cache_root="${RUNNER_TOOL_CACHE:-${RUNNER_TEMP:-${TMPDIR:-/tmp}}}"
  dir="$cache_root/gitsm/${version#v}/${GITSM_ARCH:-$(uname -m)}"
  exe=gitsm
  case "${GITSM_OS:-$(uname -s)}" in
    Windows | Windows_NT | MINGW* | MSYS* | CYGWIN*) exe=gitsm.exe ;;
  esac
  # The tool-cache convention: a folder is complete once `<folder>.complete`
  # exists (written only after a verified install), so a half-written folder
  # from a cancelled job is never used.
  if [ -f "$dir.complete" ] && [ -f "$dir/$exe" ]; then
    printf 'gitsm action: using the cached gitsm %s in %s\n' "$version" "$dir" >&2
  else
    rm -rf "$dir" "$dir.complete"
    sh "$here/install.sh" --version "$version" --to "$dir" >/dev/null
    : >"$dir.complete"
  fi

  if [ -n "${GITHUB_PATH:-}" ]; then printf '%s\n' "$dir" >>"$GITHUB_PATH"; fi
  if [ -n "${GITHUB_OUTPUT:-}" ]; then printf 'path=%s\n' "$dir/$exe" >>"$GITHUB_OUTPUT"; fi
}

run() {
  case "${GITSM_COMMAND:-}" in
    "")
      printf 'gitsm action: gitsm is installed and on PATH; no command given\n' >&2
      exit 0
      ;;
    validate | gate | status-page | report | budget | calendar) ;;
    *) fail "input 'command' must be one of validate, gate, status-page, report, budget, calendar (or empty to only install)" ;;
  esac
  bin="${GITSM_BIN:-gitsm}"
  cd -- "${GITSM_WORKING_DIRECTORY:-.}" || fail "working-directory '$(clean "${GITSM_WORKING_DIRECTORY:-}")' does not exist"
  # `args` is split on white space, with glob patterns off: a `*` stays a `*`.
  set -f
  # shellcheck disable=SC2086
  exec "$bin" "$GITSM_COMMAND" ${GITSM_ARGS:-}
}

case "${1:-}" in
  install) install ;;
  run) run ;;
  *) fail "usage: action.sh install|run" ;;
esac
