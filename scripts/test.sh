#!/usr/bin/env bash
# Sets up and runs the whole test suite: installs the Debian packages it
# needs, builds in ./build and runs every test (unit tests; integration tests
# need root and are skipped without it). Ends with one line:
# "N passed, N failed, N skipped". Exit status 0 only if nothing failed.
set -euo pipefail
cd "$(dirname "$0")/.."

./scripts/install-deps.sh

# -Werror is for developers and CI, not a project default.
if [[ ! -f build/build.ninja ]]; then
  meson setup build -Dwerror=true >/dev/null
else
  meson configure build -Dwerror=true >/dev/null
fi
meson compile -C build >/dev/null

status=0
meson test -C build --print-errorlogs "$@" || status=$?

# meson writes one JSON object per test to the test log.
jq -rs '
  map(.result) as $r
  | "\($r | map(select(. == "OK" or . == "EXPECTEDFAIL")) | length) passed, "
  + "\($r | map(select(. == "FAIL" or . == "TIMEOUT" or . == "ERROR" or . == "UNEXPECTEDPASS")) | length) failed, "
  + "\($r | map(select(. == "SKIP")) | length) skipped"
' build/meson-logs/testlog.json
exit "$status"
