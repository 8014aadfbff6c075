#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Two dataplane workers (two lcores mapped onto core 1: this VM has two
# cores) on a two-queue TAP with the symmetric RSS key, and two control
# shards: TCP echo and an XMPP ring whose connections land on both workers
# and whose users live on both shards, so stanzas cross workers and shards.
IT_NAME=multiw
. "$(dirname "$0")/lib.sh"
export SB_EXTRA="eal.lcores=0@0,1@1,2@1 control.shards=2 tcp.echo_port=7
	xmpp.conn_rate_per_addr=10000 xmpp.conn_burst_per_addr=10000"

it_step "start with 2 workers and 2 shards"
it_start
$SBCTL status | grep -E '^worker|^port' || it_fail "no status"
[ "$($SBCTL status | grep -c '^worker ')" -eq 2 ] || it_fail "expected 2 workers"

it_step "ping and TCP echo"
it_ping 3
it_tcp_client echo --conns 16 --bytes 8000000 --timeout 120 || it_fail "echo"

it_step "XMPP ring of 60 clients"
for i in $(seq 0 59); do echo "user add w$i pw"; done |
	while read -r line; do $SBCTL $line >/dev/null || exit 1; done || it_fail "accounts"
it_xmpp ring 60 w pw || it_fail "ring"

it_step "both workers and both shards carried traffic"
$SBCTL status | grep -E '^tcp worker|^shard '
for w in 0 1; do
	n=$($SBCTL status | awk -v w="$w" '$1 == "tcp" && $2 == "worker" && $3 == w { print $11 }')
	echo "worker $w established $n"
	[ "${n:-0}" -gt 0 ] || it_fail "worker $w took no connection"
done
busy=$($SBCTL status | awk '/^shard / && $3 > 20 { n++ } END { print n + 0 }')
[ "$busy" -eq 2 ] || it_fail "not both shards routed"
[ "$(it_counter xmpp_bad_handle)" -eq 0 ] || it_fail "bad handles"
[ "$(it_counter msg_bad)" -eq 0 ] || it_fail "bad ring messages"
echo "PASS"
