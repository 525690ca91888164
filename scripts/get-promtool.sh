#!/usr/bin/env bash
# Prints the path of a promtool, extracting it from Debian's `prometheus`
# package (apt-get download + dpkg -x) into a cache directory the first
# time: the tests need promtool, not a Prometheus server.
#
#   scripts/get-promtool.sh [CACHE_DIR]
#
# CACHE_DIR defaults to $XDG_CACHE_HOME/nswatch/promtool (~/.cache/…).
# Idempotent: a promtool already in PATH or in the cache is used as it is.
# Exits 1 with a reason when it cannot be obtained (offline, no apt lists);
# the promtool test turns that into a skip.
set -euo pipefail

if command -v promtool >/dev/null 2>&1; then
  command -v promtool
  exit 0
fi

cache=${1:-${XDG_CACHE_HOME:-$HOME/.cache}/nswatch/promtool}
bin=$cache/promtool
if [[ -x $bin ]]; then
  echo "$bin"
  exit 0
fi

for tool in apt-get dpkg; do
  if ! command -v "$tool" >/dev/null 2>&1; then
    echo "get-promtool: $tool not found (not a Debian system?)" >&2
    exit 1
  fi
done

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# apt-get download writes into the current directory; as root it warns that
# the _apt user cannot write there (harmless).
if ! (cd "$work" && apt-get download -q prometheus >"$work/apt.log" 2>&1); then
  echo "get-promtool: 'apt-get download prometheus' failed (offline, or no package lists: apt-get update):" >&2
  grep -E '^(E|Err):' "$work/apt.log" >&2 || tail -n 3 "$work/apt.log" >&2
  exit 1
fi
dpkg -x "$work"/prometheus_*.deb "$work/root"
if [[ ! -x $work/root/usr/bin/promtool ]]; then
  echo "get-promtool: the prometheus package has no usr/bin/promtool" >&2
  exit 1
fi
mkdir -p "$cache"
# Into place in one rename, so a concurrent run never sees half a file.
install -m 755 "$work/root/usr/bin/promtool" "$cache/.promtool.$$"
mv -f "$cache/.promtool.$$" "$bin"
echo "$bin"
