#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Window scale (RFC 7323 §2.2): with the default tcp.rcv_wscale = 0 the
# SYN-ACK still answers a window-scale option whenever the SYN offered one
# (shift 0), so that the client may scale its own window; a SYN without the
# option gets none back.
IT_NAME=tcpws
. "$(dirname "$0")/lib.sh"
export SB_EXTRA="tcp.echo_port=7"

syn() {
	ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/syn_options.py" \
		--host "$SB_GW_IP" --port 7 "$@"
}

it_step "start (default tcp.rcv_wscale)"
it_start

it_step "offered: answered"
syn --wscale 7 --expect-ws || it_fail "no window-scale option in the SYN-ACK"
it_step "not offered: not answered"
syn --expect-no-ws || it_fail "window-scale option answered without an offer"
it_step "a normal client still streams"
it_tcp_client echo --conns 2 --bytes 2000000 --timeout 60 || it_fail "echo failed"
echo "PASS"
