#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# 10,000 concurrent kernel connections: all open at once (the gateway
# holds them all), each exchanges a message with the echo service, all
# close cleanly and the gateway frees every one.
IT_NAME=tcpmany
. "$(dirname "$0")/lib.sh"
conns=${SB_IT_MANY_CONNS:-10000}
export SB_EXTRA="tcp.echo_port=7"

it_step "start"
it_start

it_step "open $conns connections and hold them"
hold="$SB_RUN/held"
it_tcp_client many --conns "$conns" --hold 3 --hold-file "$hold" --timeout 180 &
client=$!
for i in $(seq 900); do [ -s "$hold" ] && break; kill -0 $client 2>/dev/null || break; sleep 0.2; done
[ -s "$hold" ] || it_fail "the client never had all connections open"
sleep 0.5
held=$(it_gauge conns)
echo "gateway holds $held connections"
[ "$held" -ge "$conns" ] || it_fail "gateway holds $held connections, expected $conns"

it_step "each exchanges a message and closes"
wait $client || it_fail "a connection failed"
for i in $(seq 50); do [ "$(it_gauge conns)" -eq 0 ] && break; sleep 0.2; done
[ "$(it_gauge conns)" -eq 0 ] || it_fail "$(it_gauge conns) connections left open after close"
it_counter_ge tcp_established "$conns" || it_fail "fewer than $conns established"
[ "$(it_counter tcp_conn_limit)" -eq 0 ] || it_fail "connections refused at the limit"
echo "PASS"
