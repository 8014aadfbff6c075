#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# STARTTLS on the c2s port (issue 16), with the defaults (xmpp.tls=required): slixmpp logs
# in over TLS verifying the run folder's development CA (scripts/tls-dev-ca.sh)
# and switchboard.test's name; two clients chat over TLS (a 40,000-byte body:
# several records each way); openssl s_client
# negotiates STARTTLS with -verify_return_error; direct TLS refuses an ALPN
# list without xmpp-client; garbage instead of a
# ClientHello closes the connection and is counted; SASL before STARTTLS gets
# <encryption-required/> and <policy-violation/>. Direct TLS (XEP-0368) on
# port 5223: slixmpp logs in, s_client gets ALPN xmpp-client and features.
IT_NAME=xtls
IT_TLS_DEFAULTS=1
. "$(dirname "$0")/lib.sh"
ca="$SB_RUN/tls/ca.pem"

it_step "start, add accounts"
it_start
[ -s "$ca" ] || it_fail "no development CA at $ca"
it_user_add alice secret-a
it_user_add bob secret-b

it_step "login over STARTTLS, server verified with the dev CA"
for mech in SCRAM-SHA-256 PLAIN; do
	it_xmpp --tls-ca "$ca" login alice@switchboard.test secret-a $mech || it_fail "$mech over TLS"
done

it_step "two clients chat over TLS"
it_xmpp --tls-ca "$ca" chat alice@switchboard.test secret-a bob@switchboard.test secret-b \
	--big 40000 ||
	it_fail "chat over TLS"
done13=$(it_counter xmpp_tls_done_13)
[ "$done13" -ge 4 ] || it_fail "xmpp_tls_done_13 is $done13, expected at least 4"

it_step "openssl s_client -starttls xmpp verifies the certificate"
out=$(echo | ip netns exec "$SB_NS" timeout 20 openssl s_client -connect "$SB_GW_IP:5222" \
	-starttls xmpp -xmpphost switchboard.test -servername switchboard.test \
	-CAfile "$ca" -verify_return_error 2>&1) || { echo "$out" | tail -20; it_fail "s_client"; }
echo "$out" | grep -q "Verify return code: 0 (ok)" || it_fail "s_client did not verify"
echo "$out" | grep -E "^(New|Protocol|    Protocol)" | head -2

it_step "direct TLS (XEP-0368) on tls.direct_port 5223"
it_xmpp --tls-ca "$ca" --direct-tls login alice@switchboard.test secret-a SCRAM-SHA-256 ||
	it_fail "login over direct TLS"
hdr="<?xml version='1.0'?><stream:stream to='switchboard.test' version='1.0' xmlns='jabber:client' xmlns:stream='http://etherx.jabber.org/streams'>"
out=$( (printf '%s' "$hdr"; sleep 2) | ip netns exec "$SB_NS" timeout 20 openssl s_client \
	-connect "$SB_GW_IP:5223" -alpn xmpp-client -servername switchboard.test -CAfile "$ca" \
	-verify_return_error 2>&1) || true
echo "$out" | grep -q "Verify return code: 0 (ok)" || { echo "$out" | tail -20; it_fail "direct TLS: s_client did not verify"; }
echo "$out" | grep -q "ALPN protocol: xmpp-client" || it_fail "direct TLS: ALPN xmpp-client not selected"
echo "$out" | grep -q "<mechanisms" || it_fail "direct TLS: no stream features over TLS"
echo "$out" | grep -q "<starttls" && it_fail "direct TLS: STARTTLS offered on an encrypted stream"
it_counter_ge xmpp_tls_direct 2 || it_fail "xmpp_tls_direct not counted"

it_step "direct TLS: ALPN without xmpp-client is refused (no_application_protocol)"
out=$(echo | ip netns exec "$SB_NS" timeout 20 openssl s_client -connect "$SB_GW_IP:5223" \
	-alpn h2,http/1.1 -servername switchboard.test -CAfile "$ca" 2>&1) || true
echo "$out" | grep -q "no application protocol" ||
	{ echo "$out" | tail -5; it_fail "a client offering only h2 was not refused"; }
it_counter_ge alpn_refused 1 || it_fail "alpn_refused not counted"

it_step "garbage instead of a ClientHello: closed, counted"
failed0=$(it_counter xmpp_tls_hs_failed)
ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_raw.py" starttls-garbage ||
	it_fail "garbage after <proceed/>"
sleep 0.5
failed=$(it_counter xmpp_tls_hs_failed)
[ "$failed" -gt "$failed0" ] || it_fail "xmpp_tls_hs_failed did not move ($failed0 -> $failed)"

it_step "xmpp.tls=required: SASL before STARTTLS refused"
ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_raw.py" sasl-before-tls ||
	it_fail "SASL before STARTTLS"
it_counter_ge tls_required_refused 1 || it_fail "tls_required_refused not counted"
$SBCTL status | grep -E '^ *(xmpp_tls_|tls_established|hs_|rec_close|rec_in |rec_out )' || true
echo "PASS"
