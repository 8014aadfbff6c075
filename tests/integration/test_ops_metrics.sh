#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Operating it: sbctl stats (text and --json, its documented shape), sbctl
# health (0 while both processes move, 1 with the reason when the
# dataplane stops or a shard's loop wedges, 0 again after), and the
# Prometheus endpoint scraped around a chat: parsed by prometheus_client,
# its counters moving with the traffic, a peer outside metrics.allow
# refused.
IT_NAME=opsmet
# Port 0: any free port (several checkouts run this test at once); the
# allow-list admits 127.0.0.1 only, so 127.0.0.2 is "another address".
export SB_EXTRA="metrics.listen=127.0.0.1:0 metrics.allow=127.0.0.1/32 control.shards=2"
. "$(dirname "$0")/lib.sh"
check() { /usr/bin/python3 "$top/tests/integration/metrics_check.py" "$@"; }

# wait_health WANT: sbctl health exits WANT within 60 s; prints its output.
wait_health() {
	local rc out
	for _ in $(seq 120); do
		rc=0
		out=$($SBCTL health 2>&1) || rc=$?
		[ "$rc" -eq "$1" ] && { echo "health: exit $rc: $out"; return 0; }
		sleep 0.5
	done
	it_fail "sbctl health still exits $rc, expected $1: $out"
}

it_step "start with the metrics endpoint on 127.0.0.1, any port"
it_start
url=$(it_metrics_url)
[ -n "$url" ] || it_fail "control.log does not say where the metrics are served"
echo "metrics at $url"

it_step "sbctl stats: text and --json"
$SBCTL stats > "$SB_RUN/stats.txt" || it_fail "sbctl stats"
grep -q '^dataplane rx_pkts [0-9]*$' "$SB_RUN/stats.txt" || it_fail "no 'dataplane rx_pkts N' line"
grep -q '^xmpp sessions{shard=1} [0-9]*$' "$SB_RUN/stats.txt" || it_fail "no sessions of shard 1"
$SBCTL stats --json > "$SB_RUN/stats.json" || it_fail "sbctl stats --json"
check stats "$SB_RUN/stats.json" || it_fail "stats --json shape"
rc=0; $SBCTL stats --yaml 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || it_fail "sbctl stats --yaml exited $rc, expected 2 (a usage error)"

it_step "sbctl health: healthy once the heartbeats went round"
wait_health 0
rc=0; $SBCTL health 0 2>/dev/null || rc=$?
[ "$rc" -eq 2 ] || it_fail "sbctl health 0 (a bad age) exited $rc, expected 2 (a usage error)"

it_step "scrape, chat, scrape: the counters move"
check scrape "$url" "$SB_RUN/before.json" || it_fail "first scrape"
it_user_add alice secret-a
it_user_add bob secret-b
it_xmpp chat alice@switchboard.test secret-a bob@switchboard.test secret-b || it_fail "chat"
check scrape "$url" "$SB_RUN/after.json" || it_fail "second scrape"
check moved "$SB_RUN/before.json" "$SB_RUN/after.json" \
	switchboard_dataplane_rx_pkts_total switchboard_dataplane_tcp_established_total \
	switchboard_route_delivered_total switchboard_store_acct_added_total \
	switchboard_metrics_scrapes_total switchboard_shard_stanza_wait_seconds_count \
	switchboard_shard_login_wait_seconds_count || it_fail "counters did not move with the chat"
check dashboard "$top/docs/grafana-dashboard.json" "$SB_RUN/after.json" ||
	it_fail "docs/grafana-dashboard.json is out of step with the metrics"

it_step "a peer outside metrics.allow is refused, and counted"
check refused "$url" 127.0.0.2 || it_fail "127.0.0.2 was served"
check scrape "$url" "$SB_RUN/last.json" >/dev/null || it_fail "third scrape"
check moved "$SB_RUN/after.json" "$SB_RUN/last.json" switchboard_metrics_refused_addr_total ||
	it_fail "the refusal was not counted"
curl_rc=0
/usr/bin/python3 -c "import urllib.request,sys; urllib.request.urlopen(sys.argv[1])" \
	"${url%/metrics}/other" 2>/dev/null || curl_rc=$?
[ "$curl_rc" -ne 0 ] || it_fail "another path was answered 200"

it_step "health: the dataplane stopped is a fault with a reason, and recovers"
dp=$(cat "$SB_RUN/dataplane.pid")
kill -STOP "$dp"
trap 'rc=$?; kill -CONT '"$dp"' 2>/dev/null; (exit $rc); it_cleanup' EXIT
wait_health 1
why=$($SBCTL health 2>&1) && it_fail "health passed with the dataplane stopped"
echo "$why" | grep -q "unhealthy: .*\(silent\|no heartbeat\)" || it_fail "health gave no reason: $why"
kill -CONT "$dp"
wait_health 0

it_step "health: both processes alive but a shard's loop wedged is a fault (the rings stop)"
/usr/bin/python3 "$top/tests/integration/sd_notify.py" stall "$(cat "$SB_RUN/control.pid")" \
	sb-shard-1 8 >"$SB_RUN/stall.out" 2>&1 &
stall=$!
rc=0
for _ in $(seq 60); do
	rc=0
	why=$($SBCTL health 2 2>&1) || rc=$?
	[ "$rc" -eq 1 ] && break
	sleep 0.2
done
wait $stall || { cat "$SB_RUN/stall.out"; it_fail "could not stall sb-shard-1"; }
echo "health 2: exit $rc: $why"
[ "$rc" -eq 1 ] || it_fail "health stayed 0 with shard 1 wedged"
echo "$why" | grep -q "unhealthy: no heartbeat round trip .* 1 -> \|unhealthy: no heartbeat round trip .* -> 1 \|does not hold" ||
	it_fail "health named another fault: $why"
wait_health 0

it_step "health without sb-control: exit 1"
kill "$(cat "$SB_RUN/control.pid")"
for _ in $(seq 100); do kill -0 "$(cat "$SB_RUN/control.pid")" 2>/dev/null || break; sleep 0.2; done
rc=0; $SBCTL health 2>/dev/null || rc=$?
[ "$rc" -eq 1 ] || it_fail "sbctl health without sb-control exited $rc, expected 1"
echo "PASS"
