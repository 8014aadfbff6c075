#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# sbctl tls reload (issue 16): two slixmpp clients log in over TLS and hold
# their streams; the certificate file is replaced by a new one (another
# serial, 5 days to live) and `sbctl tls reload` swaps it in every worker:
# a new connection is served the new serial and still verifies with the
# development CA, `sbctl status` and telemetry's /sb/tls show 4-5 days to
# expiry and the dataplane logs the expiry warning, and the two old sessions keep exchanging
# messages on the same streams. A key file that no longer loads is refused
# with its reason, counted, and the certificate in use stays. Then, swapped
# in the same way, an expired certificate and one for another name are
# reported as such by a verifying client (libstrophe), and the expired one
# shows negative days to expiry and an EXPIRED warning.
IT_NAME=xtlsrl
IT_TLS_DEFAULTS=1
. "$(dirname "$0")/lib.sh"
ca="$SB_RUN/tls/ca.pem"
leaf="$SB_RUN/tls/switchboard.test.pem"
key="$SB_RUN/tls/switchboard.test.key"

# served_serial: the serial of the certificate a new STARTTLS connection
# gets, after verifying it against the development CA.
served_serial() {
	local out
	out=$(echo | ip netns exec "$SB_NS" timeout 20 openssl s_client -connect "$SB_GW_IP:5222" \
		-starttls xmpp -xmpphost switchboard.test -servername switchboard.test \
		-CAfile "$ca" -verify_return_error 2>/dev/null) || { echo "s_client failed" >&2; return 1; }
	echo "$out" | openssl x509 -noout -serial
}

it_step "start (TLS required), two clients hold their TLS streams"
it_start
it_user_add alice secret-a
it_user_add bob secret-b
days0=$(it_counter tls_cert_days_left)
[ "$days0" -ge 390 ] && [ "$days0" -le 397 ] || it_fail "tls_cert_days_left is '$days0', expected about 396"
serial0=$(served_serial) || it_fail "no certificate served before the reload"
echo "served before: $serial0, $days0 days left"
ready="$SB_RUN/ready" go="$SB_RUN/go"
it_xmpp --tls-ca "$ca" pair alice@switchboard.test secret-a bob@switchboard.test secret-b \
	--ready "$ready" --go "$go" --timeout 120 &
pair=$!
for _ in $(seq 300); do
	[ -f "$ready" ] && break
	kill -0 $pair 2>/dev/null || break
	sleep 0.2
done
[ -f "$ready" ] || it_fail "the clients did not log in over TLS"

it_step "a new certificate in the configured files, sbctl tls reload"
rm -f "$leaf"
SB_TLS_LEAF_DAYS=5 "$top/scripts/tls-dev-ca.sh" "$SB_RUN/tls" >/dev/null
out=$($SBCTL tls reload) || it_fail "sbctl tls reload: $out"
echo "$out"
echo "$out" | grep -q "in use by every worker" || it_fail "unexpected answer: $out"
serial1=$(served_serial) || it_fail "no certificate served after the reload"
echo "served after: $serial1"
[ "$serial1" != "$serial0" ] || it_fail "still the old certificate ($serial0) after the reload"
[ "$serial1" = "$(openssl x509 -in "$leaf" -noout -serial)" ] ||
	it_fail "served $serial1, not the file's certificate"
days1=$(it_counter tls_cert_days_left)
[ "$days1" -ge 4 ] && [ "$days1" -le 5 ] || it_fail "tls_cert_days_left is '$days1', expected 4-5"
[ "$(it_counter tls_reloads)" = 1 ] || it_fail "tls_reloads is $(it_counter tls_reloads), expected 1"
grep -q "sb.tls: the certificate of switchboard.test expires in $days1 days" "$SB_RUN/dataplane.log" ||
	it_fail "no expiry warning in the dataplane log"
tel=$(echo /sb/tls | timeout 10 dpdk-telemetry.py -f "$SB_PREFIX" 2>/dev/null | tail -1)
echo "$tel" | grep -q "\"cert_days_left\": $days1" || it_fail "telemetry /sb/tls lacks cert_days_left $days1: $tel"

it_step "the sessions from before the reload keep exchanging messages"
touch "$go"
wait $pair || it_fail "the old sessions did not exchange messages after the reload"

it_step "a key that does not load: refused, counted, the certificate in use stays"
cp "$key" "$SB_RUN/key.good"
echo "not a key" > "$key"
if out=$($SBCTL tls reload 2>&1); then
	it_fail "a reload with a broken key succeeded: $out"
fi
echo "$out"
echo "$out" | grep -q "certificates in use stay" || it_fail "no reason given: $out"
[ "$(it_counter tls_reload_failed)" = 1 ] || it_fail "tls_reload_failed not counted"
[ "$(served_serial)" = "$serial1" ] || it_fail "the certificate in use changed after a failed reload"
cp "$SB_RUN/key.good" "$key"
it_xmpp --tls-ca "$ca" login alice@switchboard.test secret-a SCRAM-SHA-256 ||
	it_fail "login over TLS after the failed reload"

# strophe_refused REASON: a verifying libstrophe client refuses the
# certificate now served, for REASON (OpenSSL's verify error).
strophe_refused() {
	local out
	if out=$(ip netns exec "$SB_NS" "$SB_BUILD/tests/integration/strophe_client" login \
		alice@switchboard.test secret-a --tls-ca "$ca" --host "$SB_GW_IP" --timeout 20 2>&1); then
		it_fail "the certificate was accepted: $out"
	fi
	echo "$out"
	echo "$out" | grep -q "certificate was refused: $1" || it_fail "not refused for '$1': $out"
}

it_step "an expired certificate: a verifying client says so; days to expiry negative, warned"
rm -f "$leaf"
SB_TLS_LEAF_DAYS=-1 "$top/scripts/tls-dev-ca.sh" "$SB_RUN/tls" >/dev/null
$SBCTL tls reload >/dev/null || it_fail "reload of the expired certificate"
[ "$(it_counter tls_cert_days_left)" -lt 0 ] ||
	it_fail "tls_cert_days_left is $(it_counter tls_cert_days_left) for an expired certificate"
grep -q "sb.tls: the certificate of switchboard.test EXPIRED" "$SB_RUN/dataplane.log" ||
	it_fail "no EXPIRED warning in the dataplane log"
strophe_refused "certificate has expired"

it_step "a certificate for another name: a verifying client reports the mismatch"
"$top/scripts/tls-dev-ca.sh" "$SB_RUN/tls" other.test >/dev/null
cp "$SB_RUN/tls/other.test.pem" "$leaf"
cp "$SB_RUN/tls/other.test.key" "$key"
$SBCTL tls reload >/dev/null || it_fail "reload of the other name's certificate"
strophe_refused "hostname mismatch"
$SBCTL tls status
echo "PASS"
