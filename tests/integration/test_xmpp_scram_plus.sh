#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# SCRAM -PLUS over TLS (issue 16, RFC 5802 §6): an independent client
# (scram_plus.py: pyOpenSSL for STARTTLS and the binding data, SCRAM written
# out) logs in with SCRAM-SHA-256-PLUS and SCRAM-SHA-1-PLUS over both
# binding types, tls-exporter (RFC 9266) and tls-server-end-point (RFC 5929);
# a tampered binding (a man in the middle's other TLS session) is refused;
# "y" while -PLUS was offered is refused as a downgrade; a type the gateway
# lacks (tls-unique) is refused without counting as an auth failure, so
# slixmpp 1.8 (which knows only tls-unique) still logs in with its default
# choice, falling back to plain SCRAM. With tls.scram_plus off in another
# start, -PLUS is not offered. Counters move for each case.
IT_NAME=xplus
IT_TLS_DEFAULTS=1
. "$(dirname "$0")/lib.sh"
ca="$SB_RUN/tls/ca.pem"

plus() {
	ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/scram_plus.py" "$ca" \
		alice secret-a "$@"
}

it_step "start (TLS required), an account"
it_start
it_user_add alice secret-a
it_user_add bob secret-b

it_step "-PLUS with both binding types, both hashes"
for m in SCRAM-SHA-256-PLUS SCRAM-SHA-1-PLUS; do
	for cb in tls-exporter tls-server-end-point; do
		plus "$m" "$cb" || it_fail "$m with $cb"
	done
done
it_counter_ge sasl_scram_plus 4 || it_fail "sasl_scram_plus not counted"

it_step "a tampered binding is refused"
for cb in tls-exporter tls-server-end-point; do
	plus SCRAM-SHA-256-PLUS "$cb" --tamper --expect-fail not-authorized ||
		it_fail "a tampered $cb was not refused"
done

it_step "a downgrade (gs2 y while -PLUS was offered) is refused"
plus SCRAM-SHA-256 y --expect-fail not-authorized || it_fail "the downgrade was not refused"
it_counter_ge sasl_fail_cb_downgrade 1 || it_fail "sasl_fail_cb_downgrade not counted"

it_step "a binding type we lack: refused, not an auth failure; slixmpp falls back"
plus SCRAM-SHA-256-PLUS tls-unique --expect-fail malformed-request ||
	it_fail "tls-unique was not refused"
failures=$(it_counter xmpp_auth_failures)
it_xmpp --tls-ca "$ca" chat alice@switchboard.test secret-a bob@switchboard.test secret-b ||
	it_fail "slixmpp with its default mechanism choice"
sleep 1
it_counter_ge sasl_fail_cb_type 3 || it_fail "sasl_fail_cb_type: $(it_counter sasl_fail_cb_type)"
[ "$(it_counter xmpp_auth_failures)" = "$failures" ] ||
	it_fail "slixmpp's -PLUS attempts counted as auth failures ($failures -> $(it_counter xmpp_auth_failures))"

it_step "tls.scram_plus = false: no -PLUS offered, plain SCRAM with y accepted"
"$top/scripts/sb-down.sh" >/dev/null
SB_EXTRA="tls.scram_plus=false" it_start >/dev/null
if plus SCRAM-SHA-256-PLUS tls-exporter 2>"$SB_RUN/plus.err"; then
	it_fail "-PLUS offered with tls.scram_plus = false"
fi
grep -q "not offered over TLS" "$SB_RUN/plus.err" || { cat "$SB_RUN/plus.err"; it_fail "failed for another reason"; }
echo "scram_plus = false: -PLUS not offered"
echo "PASS"
