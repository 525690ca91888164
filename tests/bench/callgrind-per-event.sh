#!/bin/bash
# Instructions the whole daemon executes per link event, counted by
# callgrind (repeatable on a noisy VM, where CPU times scatter ±25 %).
#
#   sudo tests/bench/callgrind-per-event.sh [BUILD_DIR [N1 N2]]   # default build-release 1000 4000
#
# Runs event-cost-bench twice (N1 and N2 MTU changes in one `ip -batch`, 5
# idle changes) with NSWATCHD pointing at a wrapper that starts nswatchd
# under callgrind, and prints (Ir(N2) - Ir(N1)) / (N2 - N1): start-up and
# shutdown cancel out. --queue-size=65536: under valgrind the threads are
# serialized and the worker outruns the bus thread; a resync would change
# the work done. NSWATCH_BENCH_DAEMON_ARGS passes further daemon options.
set -euo pipefail
build=$(realpath "${1:-build-release}")
n1=${2:-1000}
n2=${3:-4000}
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat >"$work/nswatchd" <<WRAPPER
#!/bin/sh
exec valgrind --tool=callgrind --callgrind-out-file="$work/out.%p" "$build/daemon/nswatchd" --queue-size=65536 "\$@"
WRAPPER
chmod +x "$work/nswatchd"

instructions() { # N: the daemon's total Ir for a burst of N
  rm -f "$work"/out.*
  if ! NSWATCHD="$work/nswatchd" "$build/tests/event-cost-bench" "$1" 5 >"$work/bench.$1" 2>&1; then
    echo "callgrind-per-event: event-cost-bench $1 failed:" >&2
    tail -20 "$work/bench.$1" >&2
    exit 1
  fi
  if ! grep -q 'checks: .*: ok' "$work/bench.$1"; then
    echo "callgrind-per-event: the bench's checks failed:" >&2
    cat "$work/bench.$1" >&2
    exit 1
  fi
  awk '/^(summary|totals):/ {print $2; exit}' "$work"/out.*
}

ir1=$(instructions "$n1")
ir2=$(instructions "$n2")
grep -E 'Events signals' "$work/bench.$n2" | sed 's/^ */  N2 run: /'
echo "callgrind-per-event: Ir(N=$n1) $ir1, Ir(N=$n2) $ir2: $(((ir2 - ir1) / (n2 - n1))) instructions per event"
