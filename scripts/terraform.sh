#!/usr/bin/env bash
# Prints the path of the Terraform CLI that the tests, the demo and CI use, building it first if there is none.
#
#   1. $TERRAFORM, when set: used as given, unchecked (e.g. TERRAFORM=$(command -v tofu) for OpenTofu).
#   2. `terraform` on PATH, when it is 1.5 or newer.
#   3. Otherwise Terraform 1.5.7 (the oldest version the provider supports), built from source through the Go module
#      proxy ONCE and cached in $TERRAFORM_CACHE_DIR (default: the first GOPATH entry's bin/, where `go install`
#      puts binaries). Nothing is downloaded from releases.hashicorp.com. Later runs reuse the cached binary.
#
# Only the path goes to stdout; every message goes to stderr, so callers can write tf=$(scripts/terraform.sh).
set -euo pipefail
export CHECKPOINT_DISABLE=1

readonly version=1.5.7
readonly min_minor=5 # Terraform 1.5: plugin protocol 6 and import blocks

# shellcheck source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh" # say, recent_enough, use_given, use_on_path

# version_of prints the version a Terraform (or OpenTofu) binary reports, e.g. 1.11.4; nothing if it does not run.
version_of() {
  "$1" version -json 2>/dev/null | sed -n 's/.*"terraform_version": *"\([^"]*\)".*/\1/p' | head -n 1
}

use_given TERRAFORM
use_on_path terraform Terraform "the provider needs"

cache_dir=${TERRAFORM_CACHE_DIR:-$(go env GOPATH | cut -d: -f1)/bin}
cached="$cache_dir/terraform"
if [[ -x $cached ]] && recent_enough "$(version_of "$cached")"; then
  echo "$cached"
  exit 0
fi

# Downloading Terraform's source and its modules, then compiling it, is silent for minutes: progress.sh says it is
# still going every 30 seconds. `go: downloading ...` lines come first, once per module.
say "no Terraform 1.5+ on PATH: building Terraform $version from the Go module proxy into $cache_dir."
say "This happens once: about 5 minutes on 2 cores (downloading about 110 modules, then compiling). Later runs reuse it."
mkdir -p "$cache_dir"
if ! GOBIN="$cache_dir" "$(dirname "$0")/progress.sh" "building Terraform $version" -- \
  go install "github.com/hashicorp/terraform@v$version" >&2; then
  say "building Terraform $version failed (is the Go module proxy reachable? see GOPROXY)"
  exit 1
fi
say "cached $cached"
echo "$cached"
