#!/usr/bin/env bash
# The tracked C++ files that the house layout applies to, one per line
# (for format.sh and lint.sh). Hand-laid-out test fixtures and fuzz corpora
# are excluded.
set -euo pipefail
cd "$(dirname "$0")/.."
git ls-files -- '*.cpp' '*.hpp' ':!:tests/unit/fixtures/**' ':!:tests/fuzz/corpus/**'
