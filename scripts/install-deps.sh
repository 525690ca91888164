#!/usr/bin/env bash
# Installs the Debian 12 packages nswatch needs to build, test and run.
# Idempotent: packages already present are left alone and apt is not touched.
set -euo pipefail

PACKAGES=(
  build-essential meson ninja-build pkg-config
  libsdbus-c++-dev libsdbus-c++-bin
  libnl-3-dev libnl-route-3-dev
  libspdlog-dev libfmt-dev
  libsystemd-dev
  nlohmann-json3-dev # nswatchctl --json
  prometheus-cpp-dev # the metrics registry and its text exposition
  libmicrohttpd-dev  # /metrics and /health over HTTP (--metrics-listen)
  curl               # tests scrape /metrics and /health with it
  bash-completion    # where the completion goes (pkg-config), and its test
  catch2
  # fuzzing (tests/fuzz: libFuzzer comes with clang's runtime)
  clang libclang-rt-14-dev
  libbenchmark-dev
  # house style (scripts/lint.sh, scripts/format.sh): version 14, which
  # .clang-format and .clang-tidy were tuned with
  clang-format-14 clang-tidy-14
  dbus dbus-daemon
  iproute2
  jq
  util-linux
  git
  # packaging and the system test (tests/system/)
  debhelper dpkg-dev fakeroot lintian
  debootstrap systemd-container
)

missing=()
for p in "${PACKAGES[@]}"; do
  if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed'; then
    missing+=("$p")
  fi
done

if ((${#missing[@]} == 0)); then
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  SUDO="sudo"
fi
echo "install-deps: installing ${missing[*]}" >&2
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -qq
$SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
