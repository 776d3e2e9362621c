#!/usr/bin/env bash
# Prints the path of the OpenTofu CLI that `make testacc-tofu` and CI use, building it first if there is none.
#
#   1. $TOFU, when set: used as given, unchecked.
#   2. `tofu` on PATH, when it is OpenTofu 1.12 or newer (resource identity; import for_each needs 1.7).
#   3. Otherwise OpenTofu $version, built from source through the Go module proxy ONCE and cached in $TOFU_CACHE_DIR
#      (default: the first GOPATH entry's bin/, where `go install` puts binaries). Nothing is downloaded from GitHub
#      releases or get.opentofu.org. Later runs reuse the cached binary.
#
# `go install github.com/opentofu/opentofu/cmd/tofu@v...` refuses to build OpenTofu (its go.mod has replace
# directives), so the module is downloaded with `go mod download`, copied out of the read-only module cache and built
# inside the copy, where its go.mod is the main module's.
#
# Only the path goes to stdout; every message goes to stderr, so callers can write tofu=$(scripts/tofu.sh).
set -euo pipefail
export CHECKPOINT_DISABLE=1

readonly version=1.12.6
readonly min_minor=12
readonly module=github.com/opentofu/opentofu

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # say, recent_enough, use_given, use_on_path

# version_of prints the version an OpenTofu binary reports, e.g. 1.12.6 (or 1.12.6-dev for a build without release
# flags); nothing if it does not run or is not OpenTofu. An empty CLI configuration file keeps OpenTofu from printing
# warnings about a missing one (TF_CLI_CONFIG_FILE naming no file) on stdout.
version_of() {
  local rc out
  rc=$(mktemp)
  out=$(TF_CLI_CONFIG_FILE=$rc "$1" version 2>/dev/null | sed -n 's/^OpenTofu v\([0-9][^ ]*\).*/\1/p' | head -n 1) || true
  rm -f "$rc"
  echo "$out"
}

use_given TOFU
use_on_path tofu OpenTofu "the tests want"

cache_dir=${TOFU_CACHE_DIR:-$(go env GOPATH | cut -d: -f1)/bin}
cached="$cache_dir/tofu"
cached_version=""
[[ -x $cached ]] && cached_version=$(version_of "$cached")
if [[ ${cached_version%-dev} == "$version" ]]; then
  echo "$cached"
  exit 0
fi

say "no OpenTofu 1.$min_minor+ on PATH: building OpenTofu $version from the Go module proxy into $cache_dir."
say "This happens once: 3 to 6 minutes on 2 cores (downloading its modules, then compiling). Later runs reuse it."
work=$(mktemp -d)
trap 'chmod -R u+w "$work" 2>/dev/null; rm -rf "$work"' EXIT

progress="$(cd "$(dirname "$0")" && pwd)/progress.sh"
if ! "$progress" "downloading OpenTofu $version's source" -- go mod download -json "$module@v$version" >"$work/download.json"; then
  say "downloading $module@v$version failed (is the Go module proxy reachable? see GOPROXY)"
  exit 1
fi
src=$(sed -n 's/^[[:space:]]*"Dir": *"\([^"]*\)".*/\1/p' "$work/download.json" | head -n 1)
[[ -n $src && -d $src ]] || { say "go mod download named no source directory:"; cat "$work/download.json" >&2; exit 1; }

# The module cache is read-only: build in a writable copy, where OpenTofu's go.mod (and its replace directives) rule.
cp -R "$src" "$work/opentofu"
chmod -R u+w "$work/opentofu"
mkdir -p "$cache_dir"
# version.dev=no makes it report $version, as a release build does, instead of $version-dev.
if ! (cd "$work/opentofu" && "$progress" "building OpenTofu $version" "downloading its modules, then compiling" -- \
  go build -ldflags "-X $module/version.dev=no" -o "$work/tofu" ./cmd/tofu >&2); then
  say "building OpenTofu $version failed (is the Go module proxy reachable? see GOPROXY)"
  exit 1
fi
mv -f "$work/tofu" "$cached"
say "cached $cached ($(version_of "$cached"))"
echo "$cached"
