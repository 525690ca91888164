#!/usr/bin/env bash
# Applies the house layout (.clang-format) in place to every tracked C++
# file. Test fixtures (byte tables laid out by hand) and fuzz corpora are
# left alone. scripts/lint.sh checks the same files without changing them.
#   scripts/format.sh            every file
#   scripts/format.sh FILE...    only these
set -euo pipefail
cd "$(dirname "$0")/.."

clang_format=$(command -v clang-format-14 || command -v clang-format || true)
if [[ -z "$clang_format" ]]; then
  echo "format.sh: clang-format not found (scripts/install-deps.sh installs it)" >&2
  exit 2
fi

if (($# > 0)); then
  files=("$@")
else
  mapfile -t files < <(./scripts/cxx-files.sh)
fi
if ((${#files[@]} > 0)); then
  "$clang_format" -i --style=file "${files[@]}"
fi
