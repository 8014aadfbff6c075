#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# In-band registration (XEP-0077) with slixmpp's xep_0077 plugin
# (tests/integration/xmpp_register.py), on three instances in turn:
#  1. the shipped TLS defaults (STARTTLS required) with xmpp.register on, an
#     invite token and a rate of 4 attempts per address: the form asks for
#     the token; a new account registers over TLS and logs in; the same name
#     again is a conflict; a wrong token is not-allowed; the fifth
#     attempt from the address is resource-constraint, counted; a logged-in
#     user changes their password (their other session ends with reset) and
#     logs in with the new one only; a user
#     cancels their account, their stream ends and the account is gone;
#     disco#info lists jabber:iq:register.
#  2. xmpp.tls=optional without xmpp.plain_without_tls: on a plaintext
#     stream registration is not offered and an iq before login gets
#     policy-violation (a password must not cross in clear).
#  3. registration off (the default) on a plaintext stream: not offered,
#     iq get and set before login service-unavailable, a logged-in user's
#     password change service-unavailable, disco#info without it.
IT_NAME=xreg
IT_TLS_DEFAULTS=1
TOKEN=invite-$RANDOM
export SB_EXTRA="xmpp.register=true xmpp.register_token=$TOKEN xmpp.register_rate=4"
. "$(dirname "$0")/lib.sh"
ca="$SB_RUN/tls/ca.pem"
D=switchboard.test

reg() {
	ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_register.py" "$@" 2>&1 |
		grep -v -e '^ERROR:asyncio' -e '^task: ' -e 'slower stringprep'
	return "${PIPESTATUS[0]}"
}

it_step "1. TLS required, registration on with a token and a rate of 4"
it_start
[ -s "$ca" ] || it_fail "no development CA at $ca"
it_user_add alice pw-alice
T="--tls-ca $ca"
reg $T register carol@$D pw-carol --token "$TOKEN" --form-key --expect ok ||
	it_fail "carol's registration"
$SBCTL user show carol@$D >/dev/null || it_fail "sbctl user show carol: no account"
reg $T register carol@$D other-pw --token "$TOKEN" --expect conflict || it_fail "conflict"
reg $T register alice@$D other-pw --token "$TOKEN" --expect conflict ||
	it_fail "conflict with an sbctl account"
reg $T register dave@$D pw-dave --token "wrong-$TOKEN" --expect not-allowed ||
	it_fail "wrong token"
[ "$(it_route_counter reg_token_refused)" -eq 1 ] || it_fail "reg_token_refused not 1"
$SBCTL user show dave@$D >/dev/null 2>&1 && it_fail "dave exists after a wrong token"
# Attempts so far from this address: carol, carol, alice, dave = 4 of 4.
reg $T register erin@$D pw-erin --token "$TOKEN" --expect resource-constraint ||
	it_fail "the fifth attempt was not rate limited"
$SBCTL user show erin@$D >/dev/null 2>&1 && it_fail "erin exists past the rate limit"
[ "$(it_route_counter reg_rate_limited)" -ge 1 ] || it_fail "reg_rate_limited not counted"
[ "$(it_route_counter reg_created)" -eq 1 ] || it_fail "reg_created not 1"
[ "$(it_route_counter reg_conflict)" -eq 2 ] || it_fail "reg_conflict not 2"
it_counter_ge iqreg_form 5 || it_fail "iqreg_form: $(it_counter iqreg_form)"

it_step "1. password change in-band, then login with the new password only"
reg $T passwd carol@$D pw-carol pw-carol-2 --expect ok --other || it_fail "password change"
it_xmpp --tls-ca "$ca" login carol@$D pw-carol-2 SCRAM-SHA-256 || it_fail "login, new password"
it_xmpp --tls-ca "$ca" login carol@$D pw-carol SCRAM-SHA-256 --expect-fail ||
	it_fail "the old password still works"
[ "$(it_route_counter reg_passwd)" -eq 1 ] || it_fail "reg_passwd not 1"

it_step "1. disco#info lists jabber:iq:register; cancellation"
reg $T disco alice@$D pw-alice --expect yes || it_fail "disco"
reg $T cancel alice@$D pw-alice || it_fail "cancel"
$SBCTL user show alice@$D >/dev/null 2>&1 && it_fail "alice exists after cancelling"
it_xmpp --tls-ca "$ca" login alice@$D pw-alice SCRAM-SHA-256 --expect-fail ||
	it_fail "a cancelled account logs in"
[ "$(it_route_counter reg_removed)" -eq 1 ] || it_fail "reg_removed not 1"

it_step "2. TLS optional, PLAIN not allowed in clear: no registration before TLS"
"$top/scripts/sb-down.sh"
IT_TLS_DEFAULTS=0
SB_EXTRA="xmpp.tls=optional xmpp.plain_without_tls=false xmpp.register=true"
it_start
reg raw-preauth --advertised no --expect policy-violation || it_fail "plaintext registration"
reg raw-preauth --advertised no --set mallory pw-m --expect policy-violation ||
	it_fail "plaintext registration set"
$SBCTL user show mallory@$D >/dev/null 2>&1 && it_fail "mallory registered in clear"
it_counter_ge iqreg_encryption_required 2 || it_fail "iqreg_encryption_required not counted"

it_step "3. registration off: not offered, refused"
"$top/scripts/sb-down.sh"
SB_EXTRA=""
it_start
reg raw-preauth --advertised no --expect service-unavailable || it_fail "get while off"
reg raw-preauth --advertised no --set mallory pw-m --expect service-unavailable ||
	it_fail "set while off"
reg absent nobody@$D pw-n || it_fail "offered while off"
reg passwd carol@$D pw-carol-2 pw-carol-3 --expect service-unavailable ||
	it_fail "password change while off"
reg disco carol@$D pw-carol-2 --expect no || it_fail "disco while off"
it_counter_ge iqreg_disabled 3 || it_fail "iqreg_disabled: $(it_counter iqreg_disabled)"
echo "PASS"
