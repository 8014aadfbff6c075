#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Established TLS traffic during a TLS handshake flood (issue 16 item 5):
# the gateway as `make run` has it (TLS required, scripts/sb-up.sh on a TAP,
# one worker lcore), one client logged in over STARTTLS that pings the server
# (XEP-0199, answered by the worker itself: the worker's own latency), first
# alone, then while FLOODERS `openssl s_time` processes open new direct-TLS
# connections (full handshakes, -new) as fast as they can (s_time's -reuse
# does not resume under TLS 1.3: it never reads the ticket, so resumed
# handshakes are measured in-process, perf/bench/tls). Prints the ping round trips
# (p50/p99/max), the handshakes the gateway completed per second (its
# counters), and whether any was refused at tls.handshakes_per_worker.
# The clients are pinned to CPU 0 (taskset) and the worker lcore to CPU 1,
# so the figures show the worker's handshake cost, not the clients'
# competing for its core. Everything is stopped and removed on exit.
#
# usage: bench-tls-flood.sh [SECONDS [FLOODERS]]   (10, 16)
# Environment: SB_IT_TAG (keeps two checkouts' runs apart), SB_BUILD [build],
#   GW_EXTRA (gateway overrides, space separated).
set -euo pipefail

top=$(cd "$(dirname "$0")/../.." && pwd)
[ "$(id -u)" -eq 0 ] || { echo "bench-tls-flood: must run as root" >&2; exit 1; }
secs=${1:-10}
flooders=${2:-16}
tag=${SB_IT_TAG:-}
export SB_NS="sbtf$tag" SB_PREFIX="sbtf$tag" SB_RUN="/run/sb-tlsflood$tag" SB_TAP="sbtf${tag}tap"
export SB_HOST_IP=198.18.0.1 SB_GW_IP=198.18.0.2 SB_BUILD=${SB_BUILD:-$top/build}
export SB_STORE="$SB_RUN/store"
# One source address opens thousands of connections: the per-address
# limits meant for the Internet are lifted (as bench-xmpp.sh does).
export SB_EXTRA="eal.lcores=0@0,1@1 xmpp.conn_rate_per_addr=1000000 xmpp.conn_burst_per_addr=65535
	xmpp.ban_after_failures=1000000 ${GW_EXTRA:-}"
strophe="$SB_BUILD/tests/integration/strophe_client"
sbctl="$SB_BUILD/control/sbctl -S $SB_RUN/sb.sock"
[ -x "$strophe" ] || { echo "bench-tls-flood: $strophe not built (libstrophe-dev)" >&2; exit 1; }

pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	"$top/scripts/sb-down.sh" >/dev/null 2>&1 || true
	rm -rf "$SB_RUN"
}
trap cleanup EXIT
"$top/scripts/sb-down.sh" >/dev/null 2>&1 || true
rm -rf "$SB_RUN"
"$top/scripts/sb-up.sh" --no-setup | tail -1
ca="$SB_RUN/tls/ca.pem"
echo bench-pw | $sbctl user add alice - >/dev/null

counter() { $sbctl status | awk -v n="$1" '$1 == n { print $2 }'; }

# probe COUNT: the ping probe, pinned to CPU 0, 10 ms apart.
probe() {
	ip netns exec "$SB_NS" taskset -c 0 "$strophe" pings alice@switchboard.test bench-pw \
		--tls-ca "$ca" --count "$1" --interval-ms 10 --timeout $((secs * 4 + 60))
}

# phase NAME S_TIME_MODE: the probe while FLOODERS s_time processes run.
phase() {
	local name=$1 mode=$2 done0 res0 refused0 t0 t1 out i
	local -a fl=()
	done0=$(counter hs_done_13)
	res0=$(counter hs_resumed)
	refused0=$(counter hs_refused_cap)
	t0=$(date +%s.%N)
	for i in $(seq "$flooders"); do
		ip netns exec "$SB_NS" taskset -c 0 openssl s_time -connect "$SB_GW_IP:5223" \
			"$mode" -time "$secs" >"$SB_RUN/s_time.$i" 2>&1 &
		fl+=($!)
		pids+=($!)
	done
	out=$(probe $((secs * 70)))
	for p in "${fl[@]}"; do wait "$p" || true; done
	t1=$(date +%s.%N)
	sleep 1.2 # counters are published every 100 ms; the port once a second
	awk -v n="$name" -v d="$(($(counter hs_done_13) - done0))" \
	    -v r="$(($(counter hs_resumed) - res0))" -v c="$(($(counter hs_refused_cap) - refused0))" \
	    -v t0="$t0" -v t1="$t1" \
	    'BEGIN { t = t1 - t0; printf "%-22s handshakes %d (%.0f/s, %d resumed), refused at the cap %d\n", n, d, d / t, r, c }'
	echo "  $out"
	cat "$SB_RUN"/s_time.* | awk '/connections in .* real seconds/ { n += $1; p++ }
		END { printf "  s_time: %d processes completed %d connections\n", p, n }'
}

echo "== quiet: $((secs * 70)) pings, no flood"
echo "  $(probe $((secs * 70)))"
echo "== full handshakes: $flooders x openssl s_time -new for $secs s"
phase "full-handshake flood" -new
