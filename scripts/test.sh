#!/usr/bin/env bash
# Sets up and runs the whole test suite: installs the Debian packages it
# needs, builds and runs every test (integration tests need root and are
# skipped without it). Ends with one line: "N passed, N failed, N skipped",
# counting every test run of every build variant. Exit status 0 only if
# nothing failed.
#
# Build variants (NSWATCH_CI_VARIANTS, space-separated; default "debug", and
# "release asan tsan fuzz lint" when CI=true: the debug build adds nothing the
# release build with -Werror and the two sanitizer builds do not check, and
# leaving it out keeps CI well inside its time budget on this 2-core VM):
#   debug    ./build          -Dwerror=true; every suite (unit, integration, bench-smoke, system)
#   release  ./build-release  --buildtype=release -Dwerror=true; every suite
#   asan     ./build-asan     ASan+UBSan (with LeakSanitizer); unit and integration
#   tsan     ./build-tsan     TSan; unit and integration
#   fuzz     ./build-fuzz     clang, libFuzzer+ASan+UBSan: each target in
#                             tests/fuzz for NSWATCH_FUZZ_SECONDS (default 30)
#   lint     ./build          (the debug build's compile database) no tests:
#                             scripts/lint.sh's clang-format and clang-tidy
#                             checks, one result each ("lint: clang-format",
#                             "lint: clang-tidy")
# Arguments go to every `meson test` (e.g. --suite unit, --no-suite system);
# without them debug and release run every suite, the others the unit and
# integration suites.
# A sanitizer report from any process (test, nswatchd, nswatchctl) fails the
# run: the sanitizers write them to <build dir>/sanitizer-reports/, which is
# checked after each run and counted as one more test ("<variant>: no
# sanitizer reports"). Suppressions (third-party code only) are in
# tests/sanitizers/.
set -euo pipefail
cd "$(dirname "$0")/.."
top=$PWD

./scripts/install-deps.sh

if [[ -n "${NSWATCH_CI_VARIANTS:-}" ]]; then
  read -r -a variants <<<"$NSWATCH_CI_VARIANTS"
elif [[ "${CI:-}" == true ]]; then
  variants=(release asan tsan fuzz lint)
else
  variants=(debug)
fi

ci_started=$(date +%s)
results=() # meson test logs (one JSON object per test) and our own checks
status=0
extra=$(mktemp)
trap 'rm -f "$extra"' EXIT

# add_result NAME OK|FAIL: a check of this script, counted like a test.
add_result() {
  jq -nc --arg name "$1" --arg result "$2" '{name: $name, result: $result}' >>"$extra"
}

seconds_since() { echo $(($(date +%s) - $1)); }

for variant in "${variants[@]}"; do
  # -Werror is for developers and CI, not a project default.
  options=(-Dwerror=true)
  suites=(--suite unit --suite integration)
  env_vars=()
  setup_env=()
  targets=() # meson compile targets; empty: everything
  timeout_factor=1
  case "$variant" in
    debug)
      dir=build
      suites=()
      ;;
    release)
      dir=build-release
      options+=(-Dbuildtype=release)
      suites=()
      ;;
    asan)
      dir=build-asan
      options+=(-Db_sanitize=address,undefined -Db_lundef=false)
      timeout_factor=3
      ;;
    tsan)
      dir=build-tsan
      # GCC warns (-Wtsan) that TSan does not model std::atomic_thread_fence:
      # the fences in WorkerChannel::after_pop and WorkerOutbox::push order
      # a wake-up flag; the data itself is published by the ring's
      # acquire/release, which TSan sees.
      options+=(-Db_sanitize=thread -Db_lundef=false -Dcpp_args=-Wno-tsan)
      timeout_factor=3
      ;;
    fuzz)
      dir=build-fuzz
      setup_env=(CC=clang CXX=clang++)
      options=(-Dfuzzers=true -Dfuzz_seconds="${NSWATCH_FUZZ_SECONDS:-30}")
      suites=(--suite fuzz)
      read -r -a targets <<<"$(sed -n "s/^  '\(fuzz_[a-z_]*\)' : .*/\1/p" tests/fuzz/meson.build | tr '\n' ' ')"
      ;;
    lint)
      # Same directory and options as debug: after a debug run nothing is
      # rebuilt; alone, only the generated D-Bus headers are (lint.sh).
      dir=build
      ;;
    *)
      echo "test.sh: unknown variant '$variant' (debug, release, asan, tsan, fuzz, lint)" >&2
      exit 2
      ;;
  esac
  if (($# > 0)); then
    suites=()
  fi

  reports="$top/$dir/sanitizer-reports"
  case "$variant" in
    asan)
      env_vars=(
        "ASAN_OPTIONS=detect_leaks=1:detect_stack_use_after_return=1:check_initialization_order=1:strict_init_order=1:exitcode=66:log_path=$reports/asan"
        "LSAN_OPTIONS=suppressions=$top/tests/sanitizers/lsan.supp:print_suppressions=0"
        "UBSAN_OPTIONS=halt_on_error=1:print_stacktrace=1:exitcode=66:log_path=$reports/ubsan:suppressions=$top/tests/sanitizers/ubsan.supp"
      )
      ;;
    tsan)
      env_vars=(
        "TSAN_OPTIONS=halt_on_error=1:exitcode=66:second_deadlock_stack=1:log_path=$reports/tsan:suppressions=$top/tests/sanitizers/tsan.supp"
      )
      ;;
  esac

  if [[ "$variant" == lint ]]; then
    # Two checks of the sources, one result each; no meson test.
    if [[ ! -f "$dir/build.ninja" ]] && ! meson setup "$dir" "${options[@]}" >/dev/null; then
      echo "ci: lint setup FAILED" >&2
      add_result "lint: setup" FAIL
      status=1
      continue
    fi
    for check in clang-format clang-tidy; do
      started=$(date +%s)
      if ./scripts/lint.sh "${check#clang-}" "$dir"; then
        add_result "lint: $check" OK
      else
        echo "ci: lint: $check FAILED" >&2
        add_result "lint: $check" FAIL
        status=1
      fi
      echo "ci: lint: $check took $(seconds_since "$started") s"
    done
    continue
  fi

  started=$(date +%s)
  if [[ -f "$dir/build.ninja" ]]; then
    configure=(meson configure "$dir" "${options[@]}")
  else
    configure=(meson setup "$dir" "${options[@]}")
  fi
  if ! setup_log=$(env "${setup_env[@]}" "${configure[@]}" 2>&1); then
    echo "ci: $variant setup FAILED:" >&2
    echo "$setup_log" >&2
    add_result "$variant: setup" FAIL
    status=1
    continue
  fi
  if ! meson compile -C "$dir" "${targets[@]}" >"$dir/compile.log" 2>&1; then
    echo "ci: $variant build FAILED:" >&2
    grep -E -B2 -A20 'error|FAILED' "$dir/compile.log" | head -200 >&2 || tail -100 "$dir/compile.log" >&2
    add_result "$variant: build" FAIL
    status=1
    continue
  fi
  built=$(date +%s)

  rm -rf "$reports"
  mkdir -p "$reports"
  rc=0
  env "${env_vars[@]}" meson test -C "$dir" --no-rebuild --print-errorlogs \
    --timeout-multiplier "$timeout_factor" "${suites[@]}" "$@" || rc=$?
  if ((rc != 0)); then
    status=1
  fi
  results+=("$dir/meson-logs/testlog.json")

  if [[ "$variant" == asan || "$variant" == tsan ]]; then
    shopt -s nullglob
    found=("$reports"/*)
    shopt -u nullglob
    if ((${#found[@]} > 0)); then
      for f in "${found[@]}"; do
        echo "==== ci: $variant sanitizer report $f" >&2
        cat "$f" >&2
      done
      add_result "$variant: no sanitizer reports" FAIL
      status=1
    else
      add_result "$variant: no sanitizer reports" OK
    fi
  fi
  jq -rs --arg v "$variant" 'map(.result) as $r
    | "ci: \($v) tests: \($r | map(select(. == "OK" or . == "EXPECTEDFAIL")) | length) ok, "
    + "\($r | map(select(. == "FAIL" or . == "TIMEOUT" or . == "ERROR" or . == "UNEXPECTEDPASS")) | length) not ok, "
    + "\($r | map(select(. == "SKIP")) | length) skipped"' "$dir/meson-logs/testlog.json"
  echo "ci: $variant build took $((built - started)) s, tests took $(seconds_since "$built") s;" \
    "build+tests took $(seconds_since "$started") s"
  if [[ "$variant" == debug || "$variant" == release ]]; then
    jq -r 'select(.name | endswith("/ system")) | "ci: system test took \(.duration | floor) s"' \
      "$dir/meson-logs/testlog.json"
  fi
done

echo "ci: ${variants[*]} took $(seconds_since "$ci_started") s in all"
# meson writes one JSON object per test to each test log.
jq -rs '
  map(.result) as $r
  | "\($r | map(select(. == "OK" or . == "EXPECTEDFAIL")) | length) passed, "
  + "\($r | map(select(. == "FAIL" or . == "TIMEOUT" or . == "ERROR" or . == "UNEXPECTEDPASS")) | length) failed, "
  + "\($r | map(select(. == "SKIP")) | length) skipped"
' "${results[@]}" "$extra"
exit "$status"
