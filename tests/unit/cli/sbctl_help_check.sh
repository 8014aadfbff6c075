#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# sbctl without sb-control: every command of its table answers --help with
# exit 0 and its own usage line; an unknown one exit 2; the usage lists
# every command and the exit codes; the bash completion
# (etc/bash-completion/sbctl) offers the table's words level by level.
# usage: sbctl_help_check.sh SBCTL COMPLETION_SCRIPT
set -euo pipefail
sbctl=$1
completion=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

mapfile -t cmds < <("$sbctl" --commands)
[ "${#cmds[@]}" -ge 10 ] || fail "sbctl --commands lists only ${#cmds[@]} commands"
usage=$("$sbctl" --help)
for c in "${cmds[@]}"; do
	# shellcheck disable=SC2086 # the words split on purpose
	out=$("$sbctl" $c --help) || fail "sbctl $c --help exited $?"
	echo "$out" | grep -q "^  $c" || fail "sbctl $c --help does not show '$c': $out"
	echo "$usage" | grep -q "^  $c" || fail "sbctl --help does not list '$c'"
done
echo "$usage" | grep -q "^Exit status: 0 success" || fail "sbctl --help does not give exit codes"
rc=0; "$sbctl" frobnicate --help 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "sbctl frobnicate --help exited $rc, expected 2"
rc=0; "$sbctl" 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || fail "sbctl without a command exited $rc, expected 2"
# An argument after the command still gets that command's help.
"$sbctl" user add alice --help | grep -q "^  user add JID" || fail "user add alice --help"

# Completion, with sbctl from the build first on PATH.
PATH="$(dirname "$sbctl"):$PATH"
# shellcheck source=/dev/null
. "$completion"
comp() {
	COMP_WORDS=("$@")
	COMP_CWORD=$(($# - 1))
	COMPREPLY=()
	_sbctl
	echo "${COMPREPLY[*]}"
}
[ "$(comp sbctl st)" = "status stats store" ] || fail "sbctl st<TAB>: '$(comp sbctl st)'"
[ "$(comp sbctl user "")" = "add passwd del show list stats" ] ||
	fail "sbctl user <TAB>: '$(comp sbctl user "")'"
[ "$(comp sbctl -S /tmp/s he)" = "health" ] || fail "sbctl -S S he<TAB>: '$(comp sbctl -S /tmp/s he)'"
[ "$(comp sbctl stats --j)" = "--json" ] || fail "sbctl stats --j<TAB>: '$(comp sbctl stats --j)'"
[ "$(comp sbctl mem)" = "memory" ] || fail "sbctl mem<TAB>: '$(comp sbctl mem)'"
# A command's options come from its own usage line.
[ "$(comp sbctl top --)" = "--help --count --interval --json" ] ||
	fail "sbctl top --<TAB>: '$(comp sbctl top --)'"
[ "$(comp sbctl -S /tmp/s top --count 3 --i)" = "--interval" ] ||
	fail "sbctl top --count 3 --i<TAB>: '$(comp sbctl -S /tmp/s top --count 3 --i)'"
echo "PASS: ${#cmds[@]} commands answer --help; completion follows the table"
