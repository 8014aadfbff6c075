#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The README's chat walkthrough, as written, with the shipped defaults
# (xmpp.tls = required): sb-up prints where the development CA is; two
# accounts; the libstrophe client logs in over STARTTLS verifying the
# gateway against that CA, then one receiver and one sender chat over TLS;
# the CA folder the README gives profanity (`/tls certpath set`) verifies
# too, and profanity itself, driven through a pseudo-terminal
# (profanity_drive.py), logs in with TLS forced and chats; slixmpp does the
# same. And what must fail does: a client trusting
# another CA refuses the certificate, a plaintext client gets no login.
IT_NAME=xreadme
IT_TLS_DEFAULTS=1
. "$(dirname "$0")/lib.sh"

strophe=$SB_BUILD/tests/integration/strophe_client
[ -x "$strophe" ] || it_fail "$strophe not built: libstrophe-dev is missing"
ca="$SB_RUN/tls/ca.pem"

it_strophe() {
	ip netns exec "$SB_NS" "$strophe" "$@" --host "$SB_GW_IP"
}

it_step "make run's gateway: TLS required, the development CA printed"
up=$(it_start) || { echo "$up"; it_fail "sb-up"; }
echo "$up"
echo "$up" | grep -qF "development CA for switchboard.test: $ca" ||
	it_fail "sb-up did not print the CA file $ca"
[ -s "$ca" ] || it_fail "no CA at $ca"
[ -e "$SB_RUN/tls/trust/$(openssl x509 -in "$ca" -noout -hash).0" ] ||
	it_fail "no hashed CA in $SB_RUN/tls/trust (profanity's certpath)"
it_user_add alice alice-pw
it_user_add bob bob-pw

it_step "strophe_client login over STARTTLS, certificate verified against the CA"
out=$(it_strophe login alice@switchboard.test 'alice-pw' --tls-ca "$ca") ||
	it_fail "libstrophe login over TLS: $out"
echo "$out"
echo "$out" | grep -q "bound alice@switchboard.test/.*over STARTTLS, certificate verified" ||
	it_fail "not logged in over verified STARTTLS: $out"

it_step "recv and send over TLS, as the README shows"
ready=$SB_RUN/bob.ready
it_strophe recv bob@switchboard.test 'bob-pw' --tls-ca "$ca" \
	--expect-from alice@switchboard.test --expect-body 'hello bob' --ready "$ready" \
	>"$SB_RUN/recv.out" 2>&1 &
rpid=$!
it_wait_ready "$ready" $rpid || { cat "$SB_RUN/recv.out"; it_fail "the receiver did not log in"; }
it_strophe send alice@switchboard.test 'alice-pw' bob@switchboard.test 'hello bob' \
	--tls-ca "$ca" || it_fail "send over TLS"
wait $rpid || { cat "$SB_RUN/recv.out"; it_fail "recv over TLS"; }
cat "$SB_RUN/recv.out"
grep -q 'got "hello bob" from alice@switchboard.test (type chat), over STARTTLS' \
	"$SB_RUN/recv.out" || it_fail "recv did not report the message over TLS"

it_step "profanity's trust folder (a hashed CA folder) verifies the gateway too"
out=$(it_strophe login bob@switchboard.test 'bob-pw' --tls-ca "$SB_RUN/tls/trust") ||
	it_fail "login verifying with $SB_RUN/tls/trust: $out"
echo "$out"

it_step "profanity over TLS, as the README shows: certpath, tls force"
command -v profanity >/dev/null ||
	it_fail "profanity is not installed (scripts/install-deps.sh installs it)"
ready=$SB_RUN/bob2.ready
it_strophe recv bob@switchboard.test 'bob-pw' --tls-ca "$ca" \
	--expect-from alice@switchboard.test --expect-body 'hello bob from profanity' \
	--ready "$ready" --timeout 60 >"$SB_RUN/recv2.out" 2>&1 &
rpid=$!
it_wait_ready "$ready" $rpid || { cat "$SB_RUN/recv2.out"; it_fail "the receiver did not log in"; }
pready=$SB_RUN/prof.ready
ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/profanity_drive.py" \
	"$SB_RUN/prof-alice" alice@switchboard.test alice-pw "$SB_GW_IP" "$SB_RUN/tls/trust" \
	bob@switchboard.test 'hello bob from profanity' bob@switchboard.test 'hello alice' \
	"$pready" 60 >"$SB_RUN/prof.out" 2>&1 &
ppid=$!
wait $rpid || { wait $ppid || true; cat "$SB_RUN/recv2.out" "$SB_RUN/prof.out"; it_fail "bob got nothing from profanity"; }
cat "$SB_RUN/recv2.out"
[ -e "$pready" ] || { cat "$SB_RUN/prof.out"; it_fail "profanity did not log in"; }
it_strophe send bob@switchboard.test 'bob-pw' alice@switchboard.test 'hello alice' \
	--tls-ca "$ca" || it_fail "send to profanity over TLS"
wait $ppid || { cat "$SB_RUN/prof.out"; it_fail "profanity"; }
cat "$SB_RUN/prof.out"
# And the certpath is what it trusted: with a folder that does not hold
# the CA, profanity stops at the certificate (it asks whether to trust it).
mkdir -p "$SB_RUN/empty-trust"
if ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/profanity_drive.py" \
	"$SB_RUN/prof-untrusted" alice@switchboard.test alice-pw "$SB_GW_IP" \
	"$SB_RUN/empty-trust" bob@switchboard.test x bob@switchboard.test x \
	"$SB_RUN/prof-untrusted.ready" 15 >"$SB_RUN/prof-untrusted.out" 2>&1; then
	it_fail "profanity logged in without the CA in its certpath"
fi
grep -q "timed out waiting for the login" "$SB_RUN/prof-untrusted.out" ||
	{ cat "$SB_RUN/prof-untrusted.out"; it_fail "profanity failed for another reason"; }
echo "profanity without the CA in its certpath: no login (the certificate is not trusted)"

it_step "direct TLS (XEP-0368) on 5223"
out=$(it_strophe login alice@switchboard.test 'alice-pw' --tls-ca "$ca" --direct-tls) ||
	it_fail "libstrophe over direct TLS: $out"
echo "$out"
echo "$out" | grep -q "over direct TLS, certificate verified" || it_fail "not direct TLS: $out"

it_step "slixmpp: STARTTLS and a chat, verifying the CA"
it_xmpp --tls-ca "$ca" chat alice@switchboard.test alice-pw bob@switchboard.test bob-pw ||
	it_fail "slixmpp chat over TLS"

it_step "a client trusting another CA refuses the certificate"
other=$("$top/scripts/tls-dev-ca.sh" "$SB_RUN/other-ca" | tail -1)
if out=$(it_strophe login alice@switchboard.test 'alice-pw' --tls-ca "$other" --timeout 20 2>&1); then
	it_fail "the certificate verified against an unrelated CA: $out"
fi
echo "$out"
echo "$out" | grep -q "certificate was refused" || it_fail "failed for another reason: $out"

it_step "a plaintext client gets no login (TLS required: no mechanism offered before it)"
if out=$(it_strophe login alice@switchboard.test 'alice-pw' --timeout 20 2>&1); then
	it_fail "a plaintext login succeeded under the default policy: $out"
fi
echo "$out"
echo "$out" | grep -q "Cannot authenticate with known methods" ||
	it_fail "the plaintext client failed for another reason: $out"
echo "PASS"
