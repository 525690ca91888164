#!/usr/bin/env bash
# Builds the nswatch .deb from this tree with dpkg-buildpackage and checks it
# with lintian (errors fail the build). The package lands in OUTDIR
# (default: ./build-deb); its path is printed last.
#   packaging/build-deb.sh [OUTDIR]
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
out=$(realpath -m "${1:-$top/build-deb}")

"$top/scripts/install-deps.sh"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
# dpkg-buildpackage wants debian/ at the top of the source: build a copy.
mkdir "$work/nswatch"
git -C "$top" ls-files -z --cached --others --exclude-standard | (cd "$top" && xargs -0 cp --parents -t "$work/nswatch")
cp -r "$top/packaging/debian" "$work/nswatch/debian"
(cd "$work/nswatch" && dpkg-buildpackage -us -uc -b >"$work/build.log" 2>&1) || {
  tail -50 "$work/build.log" >&2
  echo "build-deb: dpkg-buildpackage failed" >&2
  exit 1
}
mkdir -p "$out"
cp "$work"/*.deb "$out"/
deb=$(ls "$out"/nswatch_*.deb | sort -V | tail -n 1)
# Lintian errors fail the build; warnings are shown.
lintian --fail-on error "$work"/*.changes >&2
echo "$deb"
