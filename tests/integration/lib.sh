# SPDX-License-Identifier: BSD-3-Clause
# Shared by the integration tests: each test runs its own gateway instance
# (namespace, file prefix, run folder named after the test) through the same
# scripts an operator uses, and tears it down on every exit path.
set -euo pipefail

top=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
it_name=${IT_NAME:?set IT_NAME before sourcing lib.sh}

# SB_IT_TAG (at most 2 characters) keeps two checkouts' runs of one test
# apart on one machine: namespace, prefix, TAP and run folder all carry it.
it_tag=${SB_IT_TAG:-}
export SB_NS="sbit-$it_tag$it_name"
export SB_PREFIX="sbit$it_tag$it_name"
export SB_TAP="sbit$it_tag${it_name:0:8}"
export SB_RUN="/tmp/sbit-$it_tag$it_name"
export SB_BUILD=${SB_BUILD:-$top/build}
export SB_STORE="$SB_RUN/store"   # each test its own accounts, removed with $SB_RUN
export SB_HOST_IP=198.18.0.1
# xmpp.tls is required by default; the tests that script or measure the
# plaintext protocol get it off in it_start, in one place (a test sets its
# SB_EXTRA before or after sourcing this file). The test's own SB_EXTRA comes
# after and wins; IT_TLS_DEFAULTS=1 keeps the shipped defaults (TLS
# required, PLAIN only over TLS), as `make run` has them.
IT_PLAINTEXT="xmpp.tls=off xmpp.plain_without_tls=true"
export SB_GW_IP=198.18.0.2
SBCTL="$SB_BUILD/control/sbctl -S $SB_RUN/sb.sock"

if [ "$(id -u)" -ne 0 ]; then
	echo "FAIL: integration tests need root (namespaces, TAP, hugepages)" >&2
	exit 1
fi

# One run of a test at a time on this machine: a second run of the same test
# (a loop in another terminal beside `make test`) would take down the first's
# gateway and remove its run folder (below), and the first then fails in
# ways that look like bugs (an account store that is not the one it wrote).
# The lock is held by a watcher of this shell, not by this shell's own file
# descriptors: the daemons the test starts do not inherit it, and a run killed
# outright does not leave it held (the watcher ends with this shell).
it_lock() {
	local lock="/tmp/sbit-$it_tag$it_name.lock" fd state=""

	exec {fd}< <({ flock -w 900 9 || exit 0
		echo held
		while kill -0 $$ 2>/dev/null; do sleep 0.5; done; } 9>"$lock" 2>/dev/null)
	read -r -t 960 state <&"$fd" || true
	exec {fd}<&-
	if [ "$state" != held ]; then
		echo "FAIL: another run of $it_name has held $lock for 900 s" >&2
		exit 1
	fi
}
it_lock

it_cleanup() {
	local rc=$?
	if [ $rc -ne 0 ]; then
		echo "--- dataplane log"; tail -30 "$SB_RUN/dataplane.log" 2>/dev/null || true
		echo "--- control log"; tail -30 "$SB_RUN/control.log" 2>/dev/null || true
	fi
	"$top/scripts/sb-down.sh" || true
	rm -rf "$SB_RUN"
	exit $rc
}
trap it_cleanup EXIT
trap 'exit 130' INT TERM

# Leftovers of an earlier, killed run of this same test.
"$top/scripts/sb-down.sh" || true
rm -rf "$SB_RUN"

it_fail() {
	echo "FAIL: $*" >&2
	exit 1
}

it_step() {
	echo "== $*"
}

it_start() {
	if [ "${IT_TLS_DEFAULTS:-0}" = 1 ]; then
		"$top/scripts/sb-up.sh" --no-setup
	else
		SB_EXTRA="$IT_PLAINTEXT ${SB_EXTRA:-}" "$top/scripts/sb-up.sh" --no-setup
	fi
}

# it_ping N: N echo requests from the namespace; all must be answered.
it_ping() {
	local out
	out=$(ip netns exec "$SB_NS" ping -c "$1" -i 0.2 -W 2 "$SB_GW_IP" 2>&1) || true
	echo "$out" | tail -2
	echo "$out" | grep -q "$1 packets transmitted, $1 received" ||
		it_fail "expected $1 of $1 ping replies from $SB_GW_IP"
}

# it_counter NAME: a dataplane counter from sbctl status.
it_counter() {
	$SBCTL status | awk -v n="$1" '$1 == n { print $2 }'
}

# it_counter_ge NAME MIN [SECONDS]: wait (default 5 s) until a dataplane
# counter reaches MIN. Counters are published once per interval, so a check
# right after the traffic that moves them must poll, not read once.
it_counter_ge() {
	local i=0 v
	while [ $i -lt $((${3:-5} * 10)) ]; do
		v=$(it_counter "$1")
		[ -n "$v" ] && [ "$v" -ge "$2" ] && return 0
		sleep 0.1
		i=$((i + 1))
	done
	return 1
}

# it_metrics_url: where sb-control says it serves Prometheus metrics (its log).
it_metrics_url() {
	sed -n 's#^info sb\.control: metrics on \(http://[^ ]*\) .*#\1#p' "$SB_RUN/control.log" | tail -1
}

# it_tcp_client MODE ARGS...: the kernel-TCP client, inside the namespace.
it_tcp_client() {
	ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/tcp_client.py" "$@" \
		--host "$SB_GW_IP"
}

# it_tcp_counter NAME: a lib/tcp counter (upper case) from sbctl status.
it_tcp_counter() {
	$SBCTL status | awk -v n="$1" '$1 == n { print $2 }'
}

# it_gauge FIELD: a per-worker TCP gauge (conns, half_open, time_wait) of worker 0.
it_gauge() {
	$SBCTL status | awk -v f="$1" '/^tcp worker 0 / { for (i = 1; i < NF; i++) if ($i == f) print $(i + 1) }'
}

# it_xmpp MODE ARGS...: the slixmpp client driver, inside the namespace.
it_xmpp() {
	ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_client.py" "$@" 2>&1 |
		grep -v -e '^ERROR:asyncio' -e '^task: ' -e 'No appropriate login method'
	return "${PIPESTATUS[0]}"
}

# it_user_add USER PASSWORD: an account through sbctl, password on stdin.
it_user_add() {
	echo "$2" | $SBCTL user add "$1" - >/dev/null || it_fail "sbctl user add $1"
}

# it_pair_ready: accounts alice and bob, both logged in on their own client
# process, which holds its streams until "$go" exists and then chats
# (xmpp_client.py pair). Sets pair (its pid) and go; fails if the logins do
# not happen within 30 s.
it_pair_ready() {
	local ready="$SB_RUN/ready"
	it_user_add alice secret-a
	it_user_add bob secret-b
	go="$SB_RUN/go"
	it_xmpp pair alice@switchboard.test secret-a bob@switchboard.test secret-b \
		--ready "$ready" --go "$go" --timeout 120 &
	pair=$!
	it_wait_ready "$ready" $pair 150 || it_fail "the clients did not log in"
}

# it_wait_ready FILE PID [TRIES]: wait until a client that signals its
# login by creating FILE has done so (0), or has exited, or TRIES
# (default 150) times 0.2 s have passed (1).
it_wait_ready() {
	local tries=${3:-150}
	for _ in $(seq "$tries"); do
		[ -e "$1" ] && return 0
		kill -0 "$2" 2>/dev/null || break
		sleep 0.2
	done
	[ -e "$1" ]
}

# it_route_counter NAME: a control-plane routing counter from sbctl status.
it_route_counter() {
	$SBCTL status | awk -v n="$1" '$1 == n { v = $2 } END { print v + 0 }'
}

# it_ooo_flood SRC SPORT COUNT PORT HOLD LOG: tests/integration/ooo_flood.py
# from SRC inside the namespace (48 one-byte segments past a hole on each of
# COUNT connections, held open while HOLD exists), in the background.
it_ooo_flood() {
	ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/ooo_flood.py" \
		--host "$SB_GW_IP" --port "$4" --src "$1" --sport "$2" --count "$3" --segments 48 \
		--hold-file "$5" --min-open $(($3 * 9 / 10)) --timeout 140 >"$6" 2>&1 &
}

# it_wait_flood LOG: wait until the flood writing LOG has sent everything.
it_wait_flood() {
	for _ in $(seq 1400); do
		grep -q "^ooo_flood:" "$1" 2>/dev/null && break
		sleep 0.1
	done
	cat "$1"
	grep -q "^ooo_flood: [0-9]* connections" "$1" || it_fail "the flood in $1 did not complete"
}
