#!/usr/bin/env bash
# Runs one libFuzzer target for a bounded time on the repository's corpus,
# without writing into it: new inputs and crash files go to a scratch
# directory, which is printed. Exit status: the fuzzer's (non-zero on any
# crash, leak or sanitizer report). Used by the `fuzz` meson test suite of a
# build with -Dfuzzers=true (see tests/fuzz/meson.build).
# Usage: run-fuzzer.sh FUZZER_BINARY CORPUS_DIR SECONDS
set -euo pipefail
binary=$1 corpus=$2 seconds=$3
scratch=$(mktemp -d "/tmp/nswatch-$(basename "$binary").XXXXXX")
status=0
"$binary" -max_total_time="$seconds" -print_final_stats=1 -artifact_prefix="$scratch/" "$scratch" "$corpus" \
  2>"$scratch/fuzzer.log" || status=$?
grep -E '^(stat::number_of_executed_units|Done)' "$scratch/fuzzer.log" || true
if [[ $status -ne 0 ]]; then
  tail -n 60 "$scratch/fuzzer.log"
  echo "fuzzer failed; inputs and artifacts kept in $scratch"
  exit "$status"
fi
rm -rf "$scratch"
