#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# XMPP under load from kernel clients, the way a real client reaches the
# gateway: scripts/sb-up.sh brings sb-dataplane and sb-control up on a TAP
# whose kernel end is in a namespace (like tests/integration/lib.sh does),
# the accounts u0..uU-1 are created through sbctl (not timed), and
# sb-kclient runs inside the namespace: N SCRAM-SHA-1 logins, then P pairs
# with K messages outstanding per sender for T seconds and a drain. It
# prints msgs/s, latency percentiles, what was lost, bounced (by condition),
# duplicated or out of order, and the gateway's counters that explain them.
# Everything is stopped by PID and the namespace deleted on every exit.
#
# usage: bench-kclient.sh [extra sb-kclient options]
# Environment: KC_SESSIONS [10000], KC_USERS [2000], KC_PAIRS [1000],
#   KC_OUTSTANDING [8], KC_SECONDS [30], KC_CONC [500] (logins at once),
#   KC_MECH [SCRAM-SHA-1], GW_EXTRA (gateway and sb-control overrides,
#   space separated), SB_IT_TAG (keeps two checkouts' runs apart),
#   SB_BUILD [build]. Exits with sb-kclient's status: non-zero on any failed
#   login, loss or error reply.
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "bench-kclient: must run as root" >&2; exit 1; }

tag=${SB_IT_TAG:-}
export SB_NS="sbkc$tag" SB_PREFIX="sbkc$tag" SB_RUN="/run/sb-kclient$tag" SB_TAP="sbkc${tag}tap"
export SB_HOST_IP=198.18.0.1 SB_GW_IP=198.18.0.2 SB_BUILD=${SB_BUILD:-$top/build}
export SB_STORE="$SB_RUN/store"
sessions=${KC_SESSIONS:-10000}
users=${KC_USERS:-2000}
pairs=${KC_PAIRS:-1000}
secs=${KC_SECONDS:-30}
domain=switchboard.test
password=bench-pw
kclient="$SB_BUILD/perf/kclient/sb-kclient"
[ -x "$kclient" ] || { echo "bench-kclient: $kclient not built (run make)" >&2; exit 1; }

# Limits meant for clients on the Internet would measure themselves (one
# source address, thousands of logins, several sessions per account,
# 10 KiB/s per connection): lifted as bench-xmpp.sh does, when the build has
# them; c2s on 5222 for the benchmark's domain; room for every session.
known=$("$SB_BUILD/dataplane/sb-dataplane" -p 2>/dev/null || true)
# Plaintext: xmpp.tls is required by default.
extra="xmpp.c2s_port=5222 xmpp.domain=$domain tcp.max_conns=$((sessions + 1024))"
extra="$extra xmpp.tls=off xmpp.plain_without_tls=true"
for kv in xmpp.conn_rate_per_addr=1000000 xmpp.conn_burst_per_addr=65535 \
	  xmpp.shaper_bytes_per_s=1073741824 xmpp.shaper_burst_bytes=1073741824 \
	  xmpp.ban_after_failures=1000000 control.max_resources=1000; do
	if grep -q "^${kv%%=*} = " <<<"$known"; then extra="$extra $kv"; fi
done
export SB_EXTRA="$extra ${GW_EXTRA:-}"

cleanup() { "$top/scripts/sb-down.sh" >/dev/null 2>&1 || true; rm -rf "$SB_STORE"; }
trap cleanup EXIT
cleanup
"$top/scripts/hugepages.sh" 1024
mkdir -p "$SB_STORE"
"$top/scripts/sb-up.sh" --no-setup
sbctl=("$SB_BUILD/control/sbctl" -S "$SB_RUN/sb.sock")

t0=$(date +%s.%N)
for i in $(seq 0 $((users - 1))); do
	echo "$password" | "${sbctl[@]}" user add "u$i" - >/dev/null ||
		{ echo "bench-kclient: sbctl user add u$i failed" >&2; exit 1; }
done
echo "accounts: $users created in $(awk -v a="$t0" -v b="$(date +%s.%N)" \
	'BEGIN { printf "%.1f", b - a }') s (not timed in the figures)"

cpu_ticks() { awk '{ print $14 + $15 }' "/proc/$1/stat"; }
gw_pid=$(cat "$SB_RUN/dataplane.pid")
ctl_pid=$(cat "$SB_RUN/control.pid")
cg0=$(cpu_ticks "$gw_pid")
cc0=$(cpu_ticks "$ctl_pid")
rc=0
ip netns exec "$SB_NS" timeout $((secs + 600)) "$kclient" -a "$SB_GW_IP" -d "$domain" \
	-w "$password" -U "$users" -n "$sessions" -P "$pairs" -k "${KC_OUTSTANDING:-8}" \
	-t "$secs" -c "${KC_CONC:-500}" -m "${KC_MECH:-SCRAM-SHA-1}" "$@" || rc=$?
awk -v g="$(( $(cpu_ticks "$gw_pid") - cg0 ))" -v c="$(( $(cpu_ticks "$ctl_pid") - cc0 ))" \
	-v hz="$(getconf CLK_TCK)" 'BEGIN { printf "CPU over the run: sb-dataplane %.2f s, " \
	"sb-control %.2f s\n", g / hz, c / hz }'
echo "gateway counters after the run (non-zero drops, rejects and waits):"
"${sbctl[@]}" status 2>/dev/null |
	grep -E '^ *(xmpp_ctl_unavailable|no_control|ring_full|xmpp_ring_blocked|backlogged|hb_echoed|hb_sent|mbuf_alloc_fail|drop_tx_full|deliveries_deferred|xmpp_slow_reader|msg_bad|xmpp_bad_handle|xmpp_login_timeout|xmpp_keepalives|unbind[a-z_]*|xmpp_[a-z_]*(drop|fail|reject|err)[a-z_]*) +[0-9]+' |
	awk '$2 != 0 || $1 ~ /^hb_/ { printf "%s %s  ", $1, $2 } END { print "" }'
"${sbctl[@]}" status > "${SB_BENCH_STATUS:-/dev/null}" 2>&1 || true
exit "$rc"
