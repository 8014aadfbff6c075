#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The kernel's TCP and ours over a bad link: 5 % loss, 25 % reordering,
# 1 % duplication and 20 ms +- 10 ms delay in both directions (the
# dataplane's test impairment: this machine's kernel has no sch_netem).
# Ten parallel connections stream through the echo service and every byte
# must come back in order. Size: SB_IT_IMPAIRED_BYTES (default 100 MiB, the
# issue's figure; about two minutes here).
IT_NAME=tcpimp
. "$(dirname "$0")/lib.sh"
bytes=${SB_IT_IMPAIRED_BYTES:-104857600}
export SB_EXTRA="tcp.echo_port=7 impair.loss_ppm=50000 impair.reorder_ppm=250000
	impair.dup_ppm=10000 impair.delay_us=20000 impair.jitter_us=10000"

it_step "start with the impairment on"
it_start

it_step "echo $bytes bytes over 10 connections, byte-exact"
it_tcp_client echo --conns 10 --bytes "$bytes" --timeout 600 || it_fail "echo through the bad link"

it_step "the link really was bad, and the stack recovered"
for c in impair_lost impair_reordered impair_duplicated; do
	v=$(it_counter $c)
	echo "$c $v"
	[ "${v:-0}" -gt 0 ] || it_fail "$c did not move: the impairment was not applied"
done
rexmt=$(( $(it_tcp_counter TX_REXMT_TIMEOUT) + $(it_tcp_counter TX_FAST_REXMT) ))
held=$(it_tcp_counter RX_OOO_HELD)
echo "retransmissions $rexmt out-of-order pieces held $held"
[ "$rexmt" -gt 0 ] || it_fail "no retransmission under 5 % loss"
[ "$held" -gt 0 ] || it_fail "no out-of-order data held under 25 % reordering"
[ "$(it_counter tcp_rx_lost)" -eq 0 ] || it_fail "received bytes were lost for want of mbufs"
echo "PASS"
