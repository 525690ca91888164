#!/usr/bin/env bash
# `promtool check metrics` on the exposition of a populated DaemonMetrics
# must print nothing (Prometheus' naming and type conventions).
#
#   promtool_check.sh RENDER_METRICS GET_PROMTOOL CACHE_DIR
#
# Exit 77 (skipped) only when promtool cannot be obtained (offline).
set -euo pipefail
render=$1
get_promtool=$2
cache=$3

if ! promtool=$("$get_promtool" "$cache"); then
  echo "promtool_check: no promtool (see above): skipped" >&2
  exit 77
fi
text=$("$render")
if ! grep -q '^nswatch_events_published_total' <<<"$text"; then
  echo "promtool_check: the exposition has no nswatch_events_published_total" >&2
  exit 1
fi
set +e
out=$("$promtool" check metrics <<<"$text" 2>&1)
status=$?
set -e
if [[ $status -ne 0 || -n $out ]]; then
  echo "promtool check metrics (exit $status):" >&2
  echo "$out" >&2
  exit 1
fi
echo "promtool check metrics: silent on $(grep -c -v '^#' <<<"$text") samples"
