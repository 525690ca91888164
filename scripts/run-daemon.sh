#!/usr/bin/env bash
# Sets up and runs nswatchd in the foreground (Ctrl-C stops it): installs the
# Debian packages, builds ./build, and connects to the system bus. When no
# system bus runs (a container, a VM without systemd), it starts a private
# system-like bus with nswatch's policy and prints how to reach it.
# Arguments are passed to nswatchd (see build/daemon/nswatchd --help).
set -euo pipefail
cd "$(dirname "$0")/.."

if [[ $(id -u) -ne 0 ]]; then
  echo "run-daemon: nswatchd enters network namespaces and needs root: sudo $0" >&2
  exit 1
fi

./scripts/install-deps.sh
if [[ ! -f build/build.ninja ]]; then
  meson setup build >/dev/null
fi
meson compile -C build nswatchd >/dev/null

bus_alive() { busctl --address="$1" status >/dev/null 2>&1; }

if [[ -n "${DBUS_SYSTEM_BUS_ADDRESS:-}" ]] && bus_alive "$DBUS_SYSTEM_BUS_ADDRESS"; then
  echo "run-daemon: using the system bus at $DBUS_SYSTEM_BUS_ADDRESS" >&2
elif bus_alive unix:path=/run/dbus/system_bus_socket; then
  # A real system bus: it needs nswatch's policy to let root own org.nswatch1.
  if ! cmp -s dbus/org.nswatch1.conf /etc/dbus-1/system.d/org.nswatch1.conf; then
    install -D -m 0644 dbus/org.nswatch1.conf /etc/dbus-1/system.d/org.nswatch1.conf
    busctl call org.freedesktop.DBus /org/freedesktop/DBus org.freedesktop.DBus ReloadConfig
    echo "run-daemon: installed /etc/dbus-1/system.d/org.nswatch1.conf" >&2
  fi
  echo "run-daemon: using the system bus" >&2
else
  dir=/run/nswatch-dev
  socket=$dir/system_bus_socket
  export DBUS_SYSTEM_BUS_ADDRESS=unix:path=$socket
  if ! bus_alive "$DBUS_SYSTEM_BUS_ADDRESS"; then
    mkdir -p "$dir"
    rm -f "$socket"
    sed -e "s|@SOCKET@|$socket|g" -e "s|@POLICY@|$PWD/dbus/org.nswatch1.conf|g" \
      scripts/system-bus.conf.in > "$dir/system.conf"
    dbus-daemon --config-file="$dir/system.conf" --fork --nopidfile --syslog-only
  fi
  cat >&2 <<MSG
run-daemon: no system bus was running; a private one runs at $socket
  In another shell, watch it with:
    export DBUS_SYSTEM_BUS_ADDRESS=$DBUS_SYSTEM_BUS_ADDRESS
    busctl monitor org.nswatch1
MSG
fi

exec build/daemon/nswatchd "$@"
