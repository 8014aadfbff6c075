#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A bounded TLS handshake flood from the namespace while two logged-in
# clients keep chatting (issue 16): alice and bob (slixmpp over STARTTLS,
# the dev CA verified) exchange numbered messages back and forth while
# four flooders open direct-TLS connections back to back (full TLS 1.3
# handshakes, then a stream header and its features; tls_flood.py: at most
# 3,000 each or 8 s). Every message
# arrives, in order, on the same streams; the flooders' handshakes
# complete and are counted; with tls.handshakes_per_worker=2 against four
# flooders some are refused at the cap and counted (hs_refused_cap), and
# the handshakes that wait for a later turn are counted too
# (xmpp_tls_hs_deferred, tls.handshake_budget_us). The figures of a
# saturating flood are measured with sb-loadgen (docs/BENCHMARKS.md).
IT_NAME=xtlf
IT_TLS_DEFAULTS=1
. "$(dirname "$0")/lib.sh"
export SB_EXTRA="${SB_EXTRA:-} tls.handshakes_per_worker=2 xmpp.conn_rate_per_addr=100000
	xmpp.conn_burst_per_addr=10000 xmpp.ban_after_failures=1000000"
ca="$SB_RUN/tls/ca.pem"

it_step "start, add accounts"
it_start
it_user_add alice secret-a
it_user_add bob secret-b

it_step "alice and bob chat over STARTTLS"
ready="$SB_RUN/talk.ready" stop="$SB_RUN/talk.stop"
it_xmpp --tls-ca "$ca" talk alice@switchboard.test secret-a bob@switchboard.test secret-b \
	--ready "$ready" --stop "$stop" --max 5000 --wait 10 >"$SB_RUN/talk.log" 2>&1 &
talk=$!
it_wait_ready "$ready" "$talk" || { cat "$SB_RUN/talk.log"; it_fail "the chatting pair did not log in"; }
done0=$(it_counter xmpp_tls_done_13)
refused0=$(it_counter hs_refused_cap)

it_step "four flooders, bounded: 3,000 connections or 8 s each"
pids=()
for i in 1 2 3 4; do
	ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/tls_flood.py" \
		"$SB_GW_IP" 5223 "$ca" 3000 8 >"$SB_RUN/flood$i.log" 2>&1 &
	pids+=($!)
done
for p in "${pids[@]}"; do wait "$p" || { cat "$SB_RUN"/flood*.log; it_fail "a flooder failed"; }; done
cat "$SB_RUN"/flood*.log
ok=$(awk '{ n += $2 } END { print n + 0 }' "$SB_RUN"/flood*.log)

it_step "the chat went on: every message, in order, on the same streams"
touch "$stop"
wait "$talk" || { cat "$SB_RUN/talk.log"; it_fail "the chat broke during the flood"; }
grep '^talk:' "$SB_RUN/talk.log"
rounds=$(awk '/^talk:/ { print $2 }' "$SB_RUN/talk.log")
[ "${rounds:-0}" -ge 20 ] || it_fail "only ${rounds:-0} chat rounds during the flood"

it_step "handshakes done and refused, counted"
sleep 1.5 # counters are published once a second
done1=$(it_counter xmpp_tls_done_13)
refused1=$(it_counter hs_refused_cap)
echo "flooders' handshakes ok: $ok; xmpp_tls_done_13 $done0 -> $done1; hs_refused_cap $refused0 -> $refused1;" \
	"xmpp_tls_hs_deferred $(it_counter xmpp_tls_hs_deferred)"
[ "$ok" -ge 100 ] || it_fail "only $ok handshakes completed"
[ $((done1 - done0)) -ge "$ok" ] || it_fail "xmpp_tls_done_13 moved by $((done1 - done0)), the flooders completed $ok"
[ "$refused1" -gt "$refused0" ] || it_fail "no handshake refused at tls.handshakes_per_worker=2 with four flooders"
echo "PASS"
