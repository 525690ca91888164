#!/usr/bin/env bash
# The bash completion of nswatchctl offers what an admin expects at each
# point of a line: commands, options, namespace names from the daemon (here
# a stand-in nswatchctl that answers `list --quiet`), nothing and no noise
# when the daemon is away. No root, no bus.
#   bash_completion_test.sh shell-completion/bash/nswatchctl
set -euo pipefail
# shellcheck source=/dev/null
source "$1"

scratch=$(mktemp -d)
trap 'rm -rf "$scratch"' EXIT
# Stand-in for the client: names for `list --quiet`, its arguments logged.
cat >"$scratch/nswatchctl" <<'STUB'
#!/bin/sh
echo "$*" >>"${0%/*}/calls"
[ "$*" = "list --quiet" ] || [ "$*" = "--session list --quiet" ] || exit 1
printf '%s\n' default ns1 ns2 "docker/4f2a"
STUB
# Stand-in for a client that cannot reach the daemon.
cat >"$scratch/down" <<'STUB'
#!/bin/sh
echo "nswatchctl: nswatchd is not running" >&2
exit 1
STUB
chmod +x "$scratch/nswatchctl" "$scratch/down"
touch "$scratch/file-a"

failures=0
# complete WORD... : completes the last word as bash would, prints the
# offers sorted on one line.
complete_words() {
    COMP_WORDS=("$@")
    COMP_CWORD=$((${#COMP_WORDS[@]} - 1))
    COMP_LINE="$*"
    COMP_POINT=${#COMP_LINE}
    COMPREPLY=()
    _nswatchctl
    printf '%s\n' "${COMPREPLY[@]}" | sort | paste -sd ' ' -
}
expect() {
    local want=$1
    shift
    local got
    got=$(complete_words "$@" 2>"$scratch/stderr")
    if [[ $got != "$want" ]]; then
        echo "FAIL: '$*' offers '$got', want '$want'"
        failures=$((failures + 1))
    fi
    if [[ -s $scratch/stderr ]]; then
        echo "FAIL: '$*' printed on stderr: $(cat "$scratch/stderr")"
        failures=$((failures + 1))
    fi
}

ctl=$scratch/nswatchctl
expect 'list monitor show status unwatch watch' "$ctl" ''
expect 'show status' "$ctl" 's'
expect 'list monitor show status unwatch watch' "$ctl" --json ''
expect '--session --system' "$ctl" --s
expect '--help --json --quiet --session --system --version' "$ctl" show --
expect 'default docker/4f2a ns1 ns2' "$ctl" show ''
expect 'ns1 ns2' "$ctl" show n
expect 'docker/4f2a' "$ctl" unwatch doc
expect '' "$ctl" show ns1 ''                 # show takes one name
expect 'ns1 ns2' "$ctl" monitor ns1 n        # monitor takes several
expect '' "$ctl" status ''
expect "$scratch/file-a" "$ctl" watch "$scratch/file-"
# The bus on the line is the bus asked.
: >"$scratch/calls"
expect 'ns1 ns2' "$ctl" --session show n
grep -qx -- '--session list --quiet' "$scratch/calls" || { echo "FAIL: --session not passed on"; failures=$((failures + 1)); }
# Daemon away: no names, nothing on stderr.
expect '' "$scratch/down" show ''
# The function is registered for nswatchctl.
complete -p nswatchctl | grep -q -- '-F _nswatchctl' || { echo "FAIL: not registered"; failures=$((failures + 1)); }

if ((failures != 0)); then
    echo "$failures failure(s)"
    exit 1
fi
echo "bash completion: all offers as expected"
