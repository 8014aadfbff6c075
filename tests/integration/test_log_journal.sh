#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# lib/log's journald output through libsystemd's sd_journal_sendv, whether
# or not this machine runs journald: in a mount namespace of its own the
# test puts a fake journald (fake_journald.py) at
# /run/systemd/journal/socket and reads back what arrived, field by field,
# from lib/log's sink alone (log_emit) and from sb-control and sb-dataplane
# themselves.
# Then log.target=auto: the journal when JOURNAL_STREAM names our stderr (as
# systemd sets it), stderr when it names another file; and log.target=
# journal with no journald socket: stderr (libsystemd alone would drop
# every record silently).
IT_NAME=logjrnl
if [ -z "${SB_IT_MNTNS:-}" ]; then
	exec env SB_IT_MNTNS=1 unshare --mount --propagation private "$0" "$@"
fi
. "$(dirname "$0")/lib.sh"
emit="$SB_BUILD/tests/integration/log_emit"
out="$SB_RUN/journal.json"

mkdir -p "$SB_RUN"
# Only in this namespace: the real /run/systemd (and a real journald) stay.
mount -t tmpfs -o size=1m,mode=0755 sbit-journal /run/systemd
mkdir -p /run/systemd/journal
/usr/bin/python3 "$top/tests/integration/fake_journald.py" /run/systemd/journal/socket "$out" \
	>"$SB_RUN/journald.out" 2>&1 </dev/null &
jd=$!
trap 'rc=$?; kill '"$jd"' 2>/dev/null || true; (exit $rc); it_cleanup' EXIT
for _ in $(seq 50); do [ -S /run/systemd/journal/socket ] && break; sleep 0.1; done
[ -S /run/systemd/journal/socket ] || it_fail "fake journald did not start: $(cat "$SB_RUN/journald.out")"

# field N NAME: field NAME of the N-th entry received (1-based).
field() {
	/usr/bin/python3 -c 'import json,sys; e=[json.loads(l) for l in open(sys.argv[1])]
n=int(sys.argv[2]); print(e[n-1].get(sys.argv[3], "<none>") if len(e) >= n else "<no entry>")' \
		"$out" "$1" "$2"
}
# find_entry NAME VALUE NAME VALUE: the number of the first entry with both
# fields (DPDK's own messages, SB_MODULE=dpdk, may come in between), or 0.
find_entry() {
	/usr/bin/python3 -c 'import json,sys; a=sys.argv
for i, l in enumerate(open(a[1]), 1):
    e = json.loads(l)
    if e.get(a[2]) == a[3] and e.get(a[4]) == a[5]:
        print(i); break
else:
    print(0)' "$out" "$@"
}
# wait_entry NAME VALUE NAME VALUE: find_entry within 5 s, or fail.
wait_entry() {
	local n
	for _ in $(seq 50); do
		n=$(find_entry "$@")
		[ "$n" -gt 0 ] && { echo "$n"; return 0; }
		sleep 0.1
	done
	it_fail "no entry with $*: $(tail -3 "$out")"
}
entries() { [ -f "$out" ] && wc -l < "$out" || echo 0; }
wait_entries() {
	for _ in $(seq 50); do [ "$(entries)" -ge "$1" ] && return 0; sleep 0.1; done
	it_fail "the fake journald got $(entries) entries, expected $1"
}
expect() { # N NAME VALUE
	local got
	got=$(field "$1" "$2")
	[ "$got" = "$3" ] || it_fail "entry $1: $2 is '$got', expected '$3'"
}

it_step "log.target=journal: PRIORITY, SB_MODULE, SB_LCORE, SYSLOG_IDENTIFIER, MESSAGE"
chosen=$("$emit" journal warning port 2 "link down on port 0" \
	err main - "two lines
of text" 2>"$SB_RUN/stderr") || it_fail "log_emit journal failed: $(cat "$SB_RUN/stderr")"
[ "$chosen" = journal ] || it_fail "log_emit chose $chosen"
[ -s "$SB_RUN/stderr" ] && it_fail "journal target wrote to stderr: $(cat "$SB_RUN/stderr")"
wait_entries 2
expect 1 MESSAGE "link down on port 0"
expect 1 PRIORITY 4
expect 1 SB_MODULE port
expect 1 SB_LCORE 2
expect 1 SYSLOG_IDENTIFIER sb-log-emit
expect 2 PRIORITY 3
expect 2 SB_MODULE main
expect 2 SB_LCORE "<none>"
expect 2 MESSAGE "two lines
of text"

it_step "log.target=auto: the journal when JOURNAL_STREAM names our stderr"
: > "$SB_RUN/stderr"
js=$(stat -c '%d:%i' "$SB_RUN/stderr")
chosen=$(JOURNAL_STREAM=$js "$emit" auto info main - "auto to the journal" 2>"$SB_RUN/stderr")
[ "$chosen" = journal ] || it_fail "auto with JOURNAL_STREAM=$js chose $chosen"
wait_entries 3
expect 3 MESSAGE "auto to the journal"
expect 3 PRIORITY 6

it_step "log.target=auto: stderr when JOURNAL_STREAM names another file"
: > "$SB_RUN/other"
js=$(stat -c '%d:%i' "$SB_RUN/other")
chosen=$(JOURNAL_STREAM=$js "$emit" auto info main - "auto to stderr" 2>"$SB_RUN/stderr")
[ "$chosen" = stderr ] || it_fail "auto with another file's JOURNAL_STREAM chose $chosen"
[ "$(cat "$SB_RUN/stderr")" = "info sb.main: auto to stderr" ] ||
	it_fail "stderr line: $(cat "$SB_RUN/stderr")"
sleep 0.3
[ "$(entries)" -eq 3 ] || it_fail "the journal got an entry meant for stderr"

it_step "sb-control with log.target=journal: its messages reach the journal, not stderr"
# No dataplane under this prefix: sb-control logs that it cannot attach
# (after it took its log settings) and exits 1.
rc=0
timeout 30 "$SB_BUILD/control/sb-control" -s eal.file_prefix="$SB_PREFIX" \
	-s control.socket="$SB_RUN/none.sock" -s log.target=journal \
	>"$SB_RUN/control.out" 2>&1 || rc=$?
rm -rf "/var/run/dpdk/$SB_PREFIX"
[ "$rc" = 1 ] || it_fail "sb-control without a dataplane: exit $rc: $(cat "$SB_RUN/control.out")"
n=$(wait_entry SYSLOG_IDENTIFIER sb-control SB_MODULE control)
expect "$n" PRIORITY 4
expect "$n" SB_LCORE "<none>"
case $(field "$n" MESSAGE) in
"cannot attach to sb-dataplane (file prefix '$SB_PREFIX')"*) ;;
*) it_fail "sb-control's entry: $(field "$n" MESSAGE)" ;;
esac
grep -q "cannot attach" "$SB_RUN/control.out" && it_fail "sb-control wrote to stderr too"

it_step "sb-dataplane with log.target=journal: the same, from the main lcore"
# Without hugepages or a worker lcore: it logs why it cannot run (after
# it took its log settings) and exits 1.
rc=0
timeout 60 "$SB_BUILD/dataplane/sb-dataplane" -s eal.file_prefix="$SB_PREFIX" -s eal.lcores=0 \
	-s "eal.extra_args=--no-huge --no-shconf -m 64" -s port0.vdev= -s dataplane.pidfile= \
	-s log.target=journal >"$SB_RUN/dataplane.out" 2>&1 || rc=$?
rm -rf "/var/run/dpdk/$SB_PREFIX"
[ "$rc" = 1 ] || it_fail "sb-dataplane with no worker: exit $rc: $(cat "$SB_RUN/dataplane.out")"
n=$(wait_entry SYSLOG_IDENTIFIER sb-dataplane SB_MODULE main)
expect "$n" PRIORITY 3
expect "$n" SB_LCORE 0
case $(field "$n" MESSAGE) in
"eal.lcores '0' gives 0 worker lcores"*) ;;
*) it_fail "sb-dataplane's entry: $(field "$n" MESSAGE)" ;;
esac
grep -q "gives 0 worker" "$SB_RUN/dataplane.out" && it_fail "sb-dataplane wrote to stderr too"

it_step "a journal that is gone: stderr, not records dropped without a word"
kill "$jd"; wait "$jd" 2>/dev/null || true
rm -f /run/systemd/journal/socket
chosen=$("$emit" journal crit tls 1 "no journal" 2>"$SB_RUN/stderr") ||
	it_fail "log_emit with no journal failed"
[ "$chosen" = stderr ] || it_fail "log.target=journal without journald chose $chosen"
[ "$(cat "$SB_RUN/stderr")" = "crit sb.tls@1: no journal" ] ||
	it_fail "fallback line: $(cat "$SB_RUN/stderr")"
echo "PASS"
