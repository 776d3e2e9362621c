# shellcheck shell=bash
# lib.sh: what terraform.sh and tofu.sh share, sourced by both. Each script picks a CLI in the same order: the one its
# variable names (unchecked), else the one on PATH when it is 1.$min_minor or newer, else a build cached in GOPATH/bin.
# The sourcing script sets $min_minor and $version (the version it would build) and defines version_of, which prints
# the version a binary of its CLI reports (nothing if it does not run); only paths go to stdout.

# say writes a message, prefixed with the script's name, to stderr.
say() { echo "$(basename "$0"): $*" >&2; }

# recent_enough succeeds for 1.$min_minor.0 and later (any 2.x included), pre-releases and dev builds (1.12.6-dev)
# included.
recent_enough() {
  local major minor
  IFS=.- read -r major minor _ <<<"$1"
  [[ $major =~ ^[0-9]+$ && $minor =~ ^[0-9]+$ ]] || return 1
  ((major > 1 || (major == 1 && minor >= min_minor)))
}

# use_given VARIABLE: when $VARIABLE is set, prints the absolute path of the executable it names, unchecked, and exits;
# exits 1 when it names none.
use_given() {
  local variable=$1 given
  [[ -n ${!variable:-} ]] || return 0
  given=$(command -v "${!variable}") || { say "$variable=${!variable} is not an executable"; exit 1; }
  [[ $given == /* ]] || given="$PWD/$given" # callers may change directory
  echo "$given"
  exit 0
}

# use_on_path COMMAND PRODUCT WANTS: when COMMAND is on PATH and 1.$min_minor or newer, prints its path and exits; when
# it is older, says so ("... is PRODUCT 1.4.6; WANTS 1.$min_minor or newer, so using $version instead").
use_on_path() {
  local found found_version
  found=$(command -v "$1") || return 0
  found_version=$(version_of "$found")
  if recent_enough "$found_version"; then
    echo "$found"
    exit 0
  fi
  say "$found is $2 ${found_version:-of an unknown version}; $3 1.$min_minor or newer, so using $version instead"
}
