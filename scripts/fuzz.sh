#!/usr/bin/env bash
# Builds the libFuzzer targets with clang in ./build-fuzz and runs each for
# NSWATCH_FUZZ_SECONDS (default 30) on its corpus; fails on any crash.
# Called by scripts/test.sh in CI; usable alone (after install-deps.sh).
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${NSWATCH_FUZZ_SECONDS:-30}
if [[ ! -f build-fuzz/build.ninja ]]; then
  CC=clang CXX=clang++ meson setup build-fuzz -Dfuzzers=true -Dfuzz_seconds="$seconds" >/dev/null
else
  meson configure build-fuzz -Dfuzz_seconds="$seconds" >/dev/null
fi
targets=$(sed -n "s/^  '\(fuzz_[a-z_]*\)' : .*/\1/p" tests/fuzz/meson.build)
# shellcheck disable=SC2086 # one word per target
meson compile -C build-fuzz $targets >/dev/null
meson test -C build-fuzz --suite fuzz --no-rebuild --print-errorlogs
