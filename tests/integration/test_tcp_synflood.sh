#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A SYN flood from spoofed sources (bounded: 30,000 SYNs) while an
# established connection streams through the echo service: the stream must
# finish byte-exact, the flood must be answered with SYN cookies once the
# half-open threshold is passed, and new clients must still get in.
IT_NAME=tcpsyn
. "$(dirname "$0")/lib.sh"
export SB_EXTRA="tcp.echo_port=7 tcp.syn_cookie_threshold=256"

it_step "start"
it_start

it_step "stream through an established connection during the flood"
it_tcp_client echo --conns 1 --bytes 20000000 --chunk 4096 --timeout 120 &
stream=$!
sleep 0.2
it_tcp_client synflood --count 30000 --timeout 60 || it_fail "flood sender failed"
wait $stream || it_fail "the established connection did not survive the flood"

it_step "cookies answered the flood; half-open state stayed bounded"
cookies=$(it_tcp_counter COOKIE_SENT)
half=$(it_gauge half_open)
echo "cookie SYN-ACKs $cookies, half-open $half"
[ "$cookies" -gt 0 ] || it_fail "no SYN cookie was sent"
[ "$half" -le 256 ] || it_fail "half-open connections $half above the threshold 256"

it_step "new clients still connect (through cookies while half-open is full)"
it_tcp_client many --conns 50 --timeout 60 || it_fail "new connections failed after the flood"
echo "PASS"
