#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Integration test `loadgen-xmpp` (suite integration, root): sb-loadgen's
# XMPP client against the gateway over memif (perf/scripts/bench-xmpp.sh).
# 300 SCRAM-SHA-1 logins and 100 PLAIN ones must all succeed and close
# cleanly; 200 logins on seeded rosters (perf/bench/im/seed_roster.c) each
# get their 6 contacts and hear their presence; 50 pairs exchange 3000 messages with none lost; and logins with a
# wrong password must all fail (the run reports it and exits non-zero), so
# the check can fail; over TLS (STARTTLS and direct TLS, the dev CA
# verified, lib/tls's client role handed off to its record layer) logins
# and messages too. Bounded to about two minutes.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
export SB_BENCH_RUN=${SB_BENCH_RUN:-/run/sb-test-xmpp-lg}
out=$(mktemp)
trap 'rm -f "$out"' EXIT

fail() { echo "FAIL: $*"; cat "$out"; exit 1; }
field() { grep '^summary:' "$out" | tr ' ' '\n' | awk -F= -v k="$1" '$1 == k { print $2 }'; }

echo "== 300 logins, SCRAM-SHA-1"
LG_CONNS=300 LG_RATE=300 LG_HOLD_S=1 timeout 120 "$here/bench-xmpp.sh" login >"$out" 2>&1 ||
	fail "SCRAM logins"
[ "$(field logins)" = 300 ] && [ "$(field clean_close)" = 300 ] || fail "SCRAM: not 300 logins"
[ "$(field pbkdf2_runs)" = 300 ] || fail "SCRAM: one PBKDF2 per user expected"
grep '^summary:' "$out" | tr ' ' '\n' | grep -E '^(logins_per_s|login_ms_p99)='

echo "== 100 logins, PLAIN, 20 users (sessions of one user side by side)"
LG_CONNS=100 XMPP_USERS=20 XMPP_MECH=PLAIN LG_RATE=200 LG_HOLD_S=1 timeout 120 \
	"$here/bench-xmpp.sh" login >"$out" 2>&1 || fail "PLAIN logins"
[ "$(field logins)" = 100 ] && [ "$(field mech)" = PLAIN ] || fail "PLAIN: not 100 logins"

echo "== 200 logins with seeded 6-contact rosters: roster fetched, presence reflected"
LG_CONNS=200 XMPP_ROSTER_CONTACTS=6 LG_RATE=200 LG_HOLD_S=1 timeout 120 "$here/bench-xmpp.sh" \
	login >"$out" 2>&1 || fail "roster logins"
[ "$(field logins)" = 200 ] && [ "$(field roster_items)" = 1200 ] ||
	fail "roster: not 200 logins with 6 items each"
# One salt for all seeded accounts: the loadgen derives its keys once.
[ "$(field pbkdf2_runs)" = 1 ] || fail "roster: one PBKDF2 in all expected"
# Every contact is online during the hold and subscribed both ways: each
# user hears from each of its 6 (a broadcast or a probe's answer).
[ "$(field presence_rx)" -ge 1200 ] || fail "roster: presence from contacts missing"
grep '^summary:' "$out" | tr ' ' '\n' | grep -E '^(login_ms_p99|presence_rx)='

echo "== 50 pairs, 3000 messages"
LG_CONNS=100 LG_RATE=500 LG_HOLD_S=3 XMPP_MSG_RATE=1000 timeout 120 "$here/bench-xmpp.sh" msg \
	>"$out" 2>&1 || fail "messages"
[ "$(field lost)" = 0 ] && [ "$(field xmsgs_rx)" = "$(field xmsgs_tx)" ] || fail "messages lost"
[ "$(field xmsgs_rx)" -ge 2900 ] || fail "too few messages: $(field xmsgs_rx)"
grep '^summary:' "$out" | tr ' ' '\n' | grep -E '^(xmsg_per_s|lat_us_p50|lat_us_p99)='

echo "== TLS: 200 logins over STARTTLS, 100 over direct TLS, 20 pairs chatting over STARTTLS"
LG_CONNS=200 LG_RATE=300 LG_HOLD_S=1 XMPP_TLS=starttls timeout 120 "$here/bench-xmpp.sh" login \
	>"$out" 2>&1 || fail "STARTTLS logins"
[ "$(field logins)" = 200 ] && [ "$(field tls_hs_ok)" = 200 ] && [ "$(field clean_close)" = 200 ] ||
	fail "STARTTLS: not 200 logins over TLS"
LG_CONNS=100 LG_RATE=300 LG_HOLD_S=1 XMPP_TLS=direct timeout 120 "$here/bench-xmpp.sh" login \
	>"$out" 2>&1 || fail "direct TLS logins"
[ "$(field logins)" = 100 ] && [ "$(field tls)" = direct ] && [ "$(field tls_hs_ok)" = 100 ] ||
	fail "direct TLS: not 100 logins"
LG_CONNS=40 LG_RATE=300 LG_HOLD_S=2 XMPP_MSG_RATE=500 XMPP_TLS=starttls timeout 120 \
	"$here/bench-xmpp.sh" msg >"$out" 2>&1 || fail "messages over TLS"
[ "$(field lost)" = 0 ] && [ "$(field xmsgs_rx)" = "$(field xmsgs_tx)" ] &&
	[ "$(field xmsgs_rx)" -ge 900 ] || fail "messages over TLS lost: $(field xmsgs_rx)"

echo "== wrong password: every login must fail"
if LG_CONNS=20 LG_RATE=100 LG_HOLD_S=0 timeout 120 "$here/bench-xmpp.sh" login \
	-s loadgen.xmpp_password=wrong >"$out" 2>&1; then
	fail "a run with a wrong password passed"
fi
[ "$(field logins)" = 0 ] && [ "$(field sasl_fail)" = 20 ] || fail "wrong password not refused"
echo "PASS"
