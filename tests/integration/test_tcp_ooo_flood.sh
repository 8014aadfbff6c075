#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Out-of-order flood (issue 14, finding 1): from one address, 750
# connections to the echo service each skip byte ISN+1 and send 48 one-byte
# segments past it. Before the fix that pinned 36,000 mbufs, more than the
# pool, and the worker answered nothing, not even ping. Now held
# out-of-order data is charged a whole buffer per piece against each
# connection's receive space and the worker's cap (tcp.ooo_pool_pct), small
# pieces are copied into one buffer, one source address gets a share of
# the cap (tcp.ooo_src_pct), and refusals are counted. Four more addresses
# flood 200 connections each, so the worker's cap is reached too. Meanwhile
# a bystander's echo round trips stay byte-exact and on time, new
# connections get in, and ping is answered. Bounded: 1550 x 49 segments,
# 140 s.
IT_NAME=tcpooo
. "$(dirname "$0")/lib.sh"
# The echo service's window follows its send space: 64 KiB here, so that a
# connection's own share (28 pieces) is reached before the 48-piece ceiling.
export SB_EXTRA="tcp.echo_port=7 tcp.snd_queue_max=65536"
hold="$SB_RUN/flood.hold"
flood_log="$SB_RUN/flood.log"

it_step "start"
it_start
mkdir -p "$SB_RUN"
touch "$hold"

it_step "bystander echo round trips and the flood, side by side"
it_tcp_client rounds --msg 1000 --count 100000 --hold-file "$hold" --round-timeout 5 \
	--timeout 150 &
bystander=$!
sleep 0.5
it_ooo_flood "$SB_HOST_IP" 20000 750 7 "$hold" "$flood_log.20000"
floods=$!
for i in 1 2 3 4; do
	ip -n "$SB_NS" addr add "198.18.0.$((10 + i))/24" dev "$SB_TAP"
	it_ooo_flood "198.18.0.$((10 + i))" $((21000 + 1000 * i)) 200 7 "$hold" \
		"$flood_log.$((21000 + 1000 * i))"
	floods="$floods $!"
done
for f in 20000 22000 23000 24000 25000; do
	it_wait_flood "$flood_log.$f"
done

it_step "while the flood's connections stay open: ping, new connections"
it_ping 5
it_tcp_client many --conns 50 --timeout 30 || it_fail "new connections failed during the flood"

it_step "held out-of-order data bounded, refusals counted"
# One status read for all the figures, retried: on a loaded machine the
# control plane may answer late.
st=""
for _ in 1 2 3 4 5; do
	st=$($SBCTL status 2>/dev/null) && break
	sleep 2
done
[ -n "$st" ] || it_fail "sbctl status did not answer"
val() { echo "$st" | awk -v n="$1" '$1 == n { s += $2 } END { print s + 0 }'; }
held=$(val tcp_ooo_mbufs)
pieces=$(val RX_OOO_HELD)
cap=$(val RX_OOO_WORKER_CAP)
src=$(val RX_OOO_SRC_SHARE)
share=$(val RX_OOO_SHARE)
echo "mbufs held $held, pieces held (total) $pieces, refused: worker cap $cap, source share $src, connection share $share"
echo "$st" | grep -E '(RX_OOO|tcp_rx_copies|tcp_ooo|tcp_rx_lost)' || true
[ "$held" -le 3276 ] || it_fail "$held mbufs hold out-of-order data, above 10% of the pool"
[ "$cap" -gt 0 ] || it_fail "the worker cap never refused a piece"
[ "$src" -gt 0 ] || it_fail "the source share never refused a piece"
[ "$share" -gt 0 ] || it_fail "no connection reached its receive-space share"
[ "$pieces" -le 3276 ] || it_fail "$pieces pieces accepted, above the worker cap"
nombuf=$(echo "$st" | grep -o 'rx_nombuf [0-9]*' | awk '{ s += $2 } END { print s + 0 }')
[ "$nombuf" -eq 0 ] || it_fail "receive refill failed $nombuf times"

it_step "the bystander kept working"
rm -f "$hold"
wait $bystander || it_fail "the bystander's echo round trips failed during the flood"
for f in $floods; do
	wait "$f" || { cat "$flood_log".*; it_fail "a flood sender failed"; }
done
it_ping 3
echo "PASS"
