#!/usr/bin/env bash
# House-style checks; exit status non-zero on any finding.
#   format: every tracked C++ file (scripts/cxx-files.sh) is laid out as
#           .clang-format says (clang-format --dry-run -Werror). Fix with
#           scripts/format.sh.
#   tidy:   clang-tidy (.clang-tidy) on every translation unit of a meson
#           build dir's compile_commands.json (debug build of ./build by
#           default; GCC's flags are fine). Only the generated D-Bus headers
#           are built first, if missing.
# Usage: scripts/lint.sh [format|tidy|all] [BUILD_DIR]
# NSWATCH_LINT_JOBS: parallel clang-tidy processes (default: nproc).
set -euo pipefail
cd "$(dirname "$0")/.."

what=${1:-all}
dir=${2:-build}
jobs=${NSWATCH_LINT_JOBS:-$(nproc)}

find_tool() { # the first of its names that exists
  local name
  for name in "$@"; do
    if command -v "$name" >/dev/null; then
      command -v "$name"
      return
    fi
  done
  echo "lint.sh: none of $* found (scripts/install-deps.sh installs them)" >&2
  exit 2
}

check_format() {
  local clang_format out
  clang_format=$(find_tool clang-format-14 clang-format)
  mapfile -t files < <(./scripts/cxx-files.sh)
  if out=$("$clang_format" --style=file --dry-run -Werror "${files[@]}" 2>&1); then
    echo "lint: clang-format: ${#files[@]} files laid out as .clang-format says"
    return 0
  fi
  local bad
  bad=$(grep -oE '^[^:]+:[0-9]+:[0-9]+: error:' <<<"$out" | cut -d: -f1 | sort -u)
  echo "lint: clang-format: $(wc -l <<<"$bad") of ${#files[@]} files are not laid out as .clang-format says" \
    "(scripts/format.sh fixes them):"
  sed 's/^/  /' <<<"$bad"
  return 1
}

check_tidy() {
  local clang_tidy db logs
  clang_tidy=$(find_tool clang-tidy-14 clang-tidy)
  db="$dir/compile_commands.json"
  if [[ ! -f "$db" ]]; then
    echo "lint: clang-tidy: no $db (set up a build first: meson setup $dir)" >&2
    return 1
  fi
  # The sources include the adaptors and proxies generated from dbus/*.xml.
  local abs generated
  abs=$(realpath "$dir")
  mapfile -t generated < <(meson introspect --targets "$dir" |
    jq -r --arg d "$abs/" '.[] | select(.type == "custom") | .filename[] | ltrimstr($d)')
  if ((${#generated[@]} > 0)); then
    ninja -C "$dir" "${generated[@]}" >/dev/null
  fi

  logs=$(mktemp -d)
  # shellcheck disable=SC2064 # expand now: $logs is local
  trap "rm -rf '$logs'" RETURN
  # One clang-tidy per translation unit; a unit's log is kept only if it
  # failed. -Wno-unknown-warning-option: the database holds GCC's flags
  # (e.g. -Wno-restrict), which clang does not know.
  jq -r '.[] | if (.file | startswith("/")) then .file else .directory + "/" + .file end' "$db" |
    xargs -r realpath | sort -u >"$logs/units"
  local units
  units=$(wc -l <"$logs/units")
  # shellcheck disable=SC2016 # $1, $2... are for the inner shell
  xargs -r -P "$jobs" -I{} sh -c '
    log="$2/$(echo "$3" | tr / _).log"
    if "$0" -p "$1" --quiet --extra-arg=-Wno-unknown-warning-option "$3" >"$log" 2>&1; then
      rm -f "$log"
    fi' "$clang_tidy" "$dir" "$logs" {} <"$logs/units"

  shopt -s nullglob
  local failed=("$logs"/*.log)
  shopt -u nullglob
  if ((${#failed[@]} == 0)); then
    echo "lint: clang-tidy: $units translation units of $dir: no findings"
    return 0
  fi
  # A finding in a header shows once per unit that includes it: print each once.
  grep -hv -E '^[0-9]+ warnings? (and [0-9]+ errors? )?generated\.$' "${failed[@]}" >"$logs/all" || true
  local findings
  findings=$(grep -E '^[^ ].*:[0-9]+:[0-9]+: (warning|error): ' "$logs/all" | sort -u)
  echo "lint: clang-tidy: $(wc -l <<<"$findings") findings in ${#failed[@]} of $units translation units of $dir:"
  sed 's/^/  /' <<<"$findings"
  return 1
}

status=0
case "$what" in
  format) check_format || status=1 ;;
  tidy) check_tidy || status=1 ;;
  all)
    check_format || status=1
    check_tidy || status=1
    ;;
  *)
    echo "usage: scripts/lint.sh [format|tidy|all] [BUILD_DIR]" >&2
    exit 2
    ;;
esac
exit "$status"
