#!/usr/bin/env bash
# progress.sh WHAT [NOTE --] COMMAND [ARG...]: runs COMMAND, saying on stderr what it does (and NOTE, e.g. how long it
# takes the first time), that it is still at it every 30 seconds (first builds and module downloads are silent for
# minutes), and how long it took. The exit status is COMMAND's. `progress.sh WHAT -- COMMAND` works too.
set -uo pipefail

what=$1
shift
note=""
if [[ ${1:-} == -- ]]; then
  shift
elif [[ ${2:-} == -- ]]; then
  note=" ($1)"
  shift 2
fi
(($# > 0)) || { echo "usage: progress.sh WHAT [NOTE --] COMMAND [ARG...]" >&2; exit 2; }

echo "== $what$note" >&2
start=$SECONDS
"$@" &
job=$!
# The ticker runs beside the command and ends with it.
(
  while sleep 30; do
    kill -0 "$job" 2>/dev/null || exit 0
    echo "   ... still $what ($((SECONDS - start)) s so far)" >&2
  done
) &
ticker=$!
trap 'kill "$job" "$ticker" 2>/dev/null; exit 130' INT TERM # stopped: stop the command too
wait "$job"
status=$?
kill "$ticker" 2>/dev/null
wait "$ticker" 2>/dev/null
if ((status == 0)); then
  ((SECONDS - start >= 10)) && echo "   done in $((SECONDS - start)) s" >&2
else
  echo "   failed after $((SECONDS - start)) s (exit status $status)" >&2
fi
exit "$status"
