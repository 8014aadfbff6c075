#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# The operator's session commands (issue 19) against three raw clients on
# two workers and two control shards: session count/list/show in text and
# JSON (parsed, checked against docs/OPERATIONS.md's shape), session kick
# of one full JID with a reason (the client sees <policy-violation/> with
# it as <text/>) and of a bare JID with --reset, message send delivered
# online and stored offline, the error paths with their exit codes, limits
# show/set on a shard's key (a bind past it refused) and the dataplane's,
# config reload (live keys applied, the others named, a bad file refused),
# log level,
# and shutdown --drain with clients logged in (all told <system-shutdown/>
# with the text, a new stream refused while draining, both processes gone).
IT_NAME=sbctls
. "$(dirname "$0")/lib.sh"
export SB_EXTRA="eal.lcores=0@0,1@1,2@1 control.shards=2 xmpp.tls=optional
	xmpp.conn_rate_per_addr=10000 xmpp.conn_burst_per_addr=10000"
PY=/usr/bin/python3

# hold USER RESOURCE COND [TEXT]: a raw client bound as USER/RESOURCE,
# waiting for the stream error COND; its pid in held[USER/RESOURCE].
declare -A held
hold() {
	local out="$SB_RUN/held-$1-$2"
	rm -f "$out" "$out.msgs"
	ip netns exec "$SB_NS" $PY "$top/tests/integration/xmpp_admin.py" hold \
		"$1" "pw-$1" "$2" "$out" "$3" ${4:+"$4"} &
	held[$1/$2]=$!
	for _ in $(seq 150); do [ -f "$out" ] && break; kill -0 $! 2>/dev/null || break; sleep 0.2; done
	[ -f "$out" ] || it_fail "$1/$2 did not bind"
}

# rc EXPECTED CMD...: run sbctl CMD, which must exit EXPECTED.
rc() {
	local want=$1 got=0
	shift
	$SBCTL "$@" >"$SB_RUN/out" 2>"$SB_RUN/err" || got=$?
	[ "$got" -eq "$want" ] || it_fail "sbctl $* exited $got, expected $want: $(cat "$SB_RUN/err")"
}

# cert_fp: the SHA-256 fingerprint of the certificate the gateway serves
# after STARTTLS.
cert_fp() {
	ip netns exec "$SB_NS" openssl s_client -connect "$SB_GW_IP:5222" -starttls xmpp \
		-xmpphost switchboard.test </dev/null 2>/dev/null | openssl x509 -noout -fingerprint -sha256
}

# json PYTHON-EXPR: check the JSON in $SB_RUN/out (as j) with an assertion.
json() {
	$PY -c "import json,sys; j=json.load(open(sys.argv[1])); assert $1, j" "$SB_RUN/out" ||
		it_fail "JSON check failed: $1"
}

it_step "start with 2 workers and 2 shards, three users"
mkdir -p "$SB_RUN"
export SB_CONF="$SB_RUN/switchboard.conf"
cp "$top/etc/switchboard.conf" "$SB_CONF"
printf '[im]\noffline_quota = 1000\n[xmpp]\nban_s = 600\n' >>"$SB_CONF"
it_start
it_user_add alice pw-alice
it_user_add bob pw-bob
it_user_add carol pw-carol

it_step "no sessions yet"
rc 0 session count --json
json 'j["sessions"] == 0 and j["users"] == 0 and len(j["shards"]) == 2'

it_step "three clients: alice/a1, alice/a2, bob/b1"
hold alice a1 policy-violation "you were warned"
hold alice a2 reset
hold bob b1 none
sleep 0.5

it_step "session count"
rc 0 session count
grep -q '^sessions 3$' "$SB_RUN/out" || it_fail "count: $(cat "$SB_RUN/out")"
grep -q '^users 2$' "$SB_RUN/out" || it_fail "users: $(cat "$SB_RUN/out")"
rc 0 session count --json
json 'j["sessions"] == 3 and j["users"] == 2 and sum(s["sessions"] for s in j["shards"]) == 3'

it_step "session list"
rc 0 session list
cat "$SB_RUN/out"
for r in alice@switchboard.test/a1 alice@switchboard.test/a2 bob@switchboard.test/b1; do
	grep -q "^$r " "$SB_RUN/out" || it_fail "list misses $r"
done
rc 0 session list --json
cat "$SB_RUN/out"
json 'j["total"] == 3 and j["shown"] == 3 and j["truncated"] is False'
json 'sorted(s["jid"] for s in j["sessions"]) == ["alice@switchboard.test/a1", "alice@switchboard.test/a2", "bob@switchboard.test/b1"]'
json 'all(s["state"] == "available" and s["worker"] in (0, 1) and s["lcore"] in (1, 2) and s["shard"] in (0, 1) and s["bound_s"] >= 0 and s["conn"].startswith("0x") and s["bare"] + "/" + s["resource"] == s["jid"] for s in j["sessions"])'
json 'len({s["shard"] for s in j["sessions"] if s["bare"] == "alice@switchboard.test"}) == 1'
rc 0 session list --max 1 --json
json 'j["total"] == 3 and j["shown"] == 1 and j["truncated"] is True and len(j["sessions"]) == 1'
rc 0 session list --user alice --json
json 'j["total"] == 2 and sorted(s["resource"] for s in j["sessions"]) == ["a1", "a2"]'
rc 0 session list --user carol --json
json 'j["total"] == 0 and j["sessions"] == []'

it_step "session show"
rc 0 session show bob@switchboard.test/b1
grep -q "^bob@switchboard.test/b1 " "$SB_RUN/out" || it_fail "show: $(cat "$SB_RUN/out")"
grep -q "^tcp_state ESTABLISHED" "$SB_RUN/out" || it_fail "show: no TCP state: $(cat "$SB_RUN/out")"
rc 0 session show bob/b1 --json
cat "$SB_RUN/out"
json 'j["jid"] == "bob@switchboard.test/b1" and j["state"] == "available" and j["priority"] == 0'
json 'j["dataplane"]["tcp_state"] == "ESTABLISHED" and j["dataplane"]["tls"] == "none" and j["dataplane"]["closing"] is False'
json 'j["dataplane"]["bytes_in"] > 100 and j["dataplane"]["bytes_out"] > 100 and j["dataplane"]["idle_ms"] >= 0 and j["dataplane"]["send_queue_bytes"] >= 0'

it_step "message send: online to bob, offline to carol"
rc 0 message send switchboard.test bob hello from the operator
grep -q "online" "$SB_RUN/out" || it_fail "send: $(cat "$SB_RUN/out")"
for _ in $(seq 100); do
	grep -q "hello from the operator" "$SB_RUN/held-bob-b1.msgs" 2>/dev/null && break
	sleep 0.2
done
grep -qx "hello from the operator" "$SB_RUN/held-bob-b1.msgs" || it_fail "bob did not get the message"
rc 0 message send admin@switchboard.test carol@switchboard.test "stored <for> you & later"
for _ in $(seq 100); do
	rc 0 offline count carol
	[ "$(cat "$SB_RUN/out")" = 1 ] && break
	sleep 0.2
done
[ "$(cat "$SB_RUN/out")" = 1 ] || it_fail "carol's offline count: $(cat "$SB_RUN/out")"

it_step "kick one full JID with a reason: <policy-violation/> and its text"
rc 0 session kick alice/a1 --reason you were warned
grep -q "^kicked 1 session of alice@switchboard.test/a1" "$SB_RUN/out" || it_fail "$(cat "$SB_RUN/out")"
wait "${held[alice/a1]}" || it_fail "alice/a1 did not see <policy-violation/> with the text"
rc 0 session count --json
json 'j["sessions"] == 2'

it_step "kick a bare JID with --reset: <reset/>"
rc 0 session kick alice --reset
wait "${held[alice/a2]}" || it_fail "alice/a2 did not see <reset/>"
[ "$(it_counter xmpp_kicked_admin)" -eq 2 ] || it_fail "xmpp_kicked_admin is $(it_counter xmpp_kicked_admin)"
[ "$(it_route_counter admin_kicked)" -eq 2 ] || it_fail "admin_kicked is not 2"
kill -0 "${held[bob/b1]}" || it_fail "bob was disconnected"

it_step "error paths"
rc 1 session show alice@switchboard.test/a1
grep -q "no session: alice@switchboard.test/a1" "$SB_RUN/err" || it_fail "$(cat "$SB_RUN/err")"
rc 1 session kick nobody@switchboard.test
grep -q "no session" "$SB_RUN/err" || it_fail "$(cat "$SB_RUN/err")"
rc 1 session show 'bad@@jid/x'
grep -q "invalid JID" "$SB_RUN/err" || it_fail "$(cat "$SB_RUN/err")"
rc 2 session show alice
rc 2 session frobnicate
rc 2 session list --max 0
rc 2 session kick
rc 2 session kick bob --reason
rc 2 message send bob
rc 1 message send admin nobody hi
grep -q "no such user: nobody@switchboard.test" "$SB_RUN/err" || it_fail "$(cat "$SB_RUN/err")"
rc 2 message send admin bob "$(printf 'bell\a')"
rc 1 message send admin elsewhere@example.org hi
grep -q "TO must be a user of switchboard.test" "$SB_RUN/err" || it_fail "$(cat "$SB_RUN/err")"
kill "${held[bob/b1]}" 2>/dev/null || true
wait "${held[bob/b1]}" 2>/dev/null || true

it_step "limits show, limits set: a shard's key and the dataplane's"
rc 0 limits show --json
json 'j["control.max_resources"] == {"value": 10, "process": "sb-control"} and j["xmpp.ban_s"]["process"] == "sb-dataplane"'
rc 0 limits set control.max_resources 1
grep -qx "control.max_resources = 1" "$SB_RUN/out" || it_fail "$(cat "$SB_RUN/out")"
hold bob b2 none
out="$SB_RUN/held-bob-b3"
if ip netns exec "$SB_NS" timeout 60 $PY "$top/tests/integration/xmpp_admin.py" hold bob pw-bob b3 \
	"$out" none 2>"$SB_RUN/b3.err"; then it_fail "bob/b3 was let in"; fi
[ ! -f "$out" ] || it_fail "a second resource of bob bound past control.max_resources = 1"
kill "${held[bob/b2]}"; wait "${held[bob/b2]}" 2>/dev/null || true
rc 0 limits set control.max_resources 10
before=$(it_counter xmpp_limits_changed)
rc 0 limits set xmpp.ban_s 1200
for _ in $(seq 50); do [ "$(it_counter xmpp_limits_changed)" -ge $((before + 2)) ] && break; sleep 0.1; done
[ "$(it_counter xmpp_limits_changed)" -ge $((before + 2)) ] || it_fail "the workers did not take the limit"
rc 0 limits show
grep -Eq '^xmpp.ban_s +1200 ' "$SB_RUN/out" || it_fail "$(cat "$SB_RUN/out")"
rc 1 limits set control.max_resources 0
rc 1 limits set control.shards 3
grep -q "restart needed" "$SB_RUN/err" || it_fail "$(cat "$SB_RUN/err")"
rc 1 limits set no.such 1
rc 2 limits set control.max_resources
rc 2 limits frob

it_step "config reload: live keys applied, the others named, certificates read again"
fp_old=$(cert_fp)
[ -n "$fp_old" ] || it_fail "no certificate served"
rm -f "$SB_RUN/tls/switchboard.test.pem"
"$top/scripts/tls-dev-ca.sh" "$SB_RUN/tls" switchboard.test >/dev/null
fp_file=$(openssl x509 -in "$SB_RUN/tls/switchboard.test.pem" -noout -fingerprint -sha256)
[ "$fp_file" != "$fp_old" ] || it_fail "the test did not make a new certificate"
sed -i 's/^offline_quota = 1000/offline_quota = 7/; s/^heartbeat_ms = 1000/heartbeat_ms = 500/' "$SB_CONF"
rc 0 config reload
cat "$SB_RUN/out"
grep -qx "applied: im.offline_quota = 7" "$SB_RUN/out" || it_fail "offline_quota not applied"
grep -qx "applied: xmpp.ban_s = 600" "$SB_RUN/out" || it_fail "ban_s not taken back from the file"
grep -q "^restart needed: rings.heartbeat_ms = 500" "$SB_RUN/out" || it_fail "heartbeat_ms not named"
grep -qx "2 applied, 1 need a restart" "$SB_RUN/out" || it_fail "summary"
grep -q "^tls reload: 1 certificates read again" "$SB_RUN/out" || it_fail "certificates not read again"
[ "$(cert_fp)" = "$fp_file" ] || it_fail "the gateway still serves the old certificate"
cp "$SB_RUN/tls/switchboard.test.key" "$SB_RUN/key.good"
echo "not a key" >"$SB_RUN/tls/switchboard.test.key"
rc 1 config reload
grep -q "certificates refused, the old ones stay in use" "$SB_RUN/err" || it_fail "$(cat "$SB_RUN/err")"
[ "$(cert_fp)" = "$fp_file" ] || it_fail "a refused reload changed the certificate"
cp "$SB_RUN/key.good" "$SB_RUN/tls/switchboard.test.key"
sed -i 's/^offline_quota = 7/offline_quota = seven/' "$SB_CONF"
rc 1 config reload
grep -q "offline_quota" "$SB_RUN/err" || it_fail "the bad line was not named: $(cat "$SB_RUN/err")"
rc 0 limits show --json
json 'j["im.offline_quota"]["value"] == 7'

it_step "log level"
rc 0 log level
[ "$(cat "$SB_RUN/out")" = info ] || it_fail "log level: $(cat "$SB_RUN/out")"
rc 0 log level debug
rc 0 log level
[ "$(cat "$SB_RUN/out")" = debug ] || it_fail "log level after set: $(cat "$SB_RUN/out")"
grep -q "log level of sb.\* set to 8" "$SB_RUN/dataplane.log" || it_fail "the dataplane did not log it"
rc 0 log level info
rc 2 log level loud
rc 2 log frob

it_step "shutdown: bad arguments"
rc 2 shutdown --drain forever
rc 2 shutdown --reconnect 'bad host'
rc 2 shutdown now

it_step "shutdown --drain with clients logged in"
text="the server is shutting down; reconnect to backup.switchboard.test"
hold bob b4 system-shutdown "$text"
hold carol c1 system-shutdown "$text"
for _ in $(seq 100); do
	grep -qx "stored &lt;for&gt; you &amp; later" "$SB_RUN/held-carol-c1.msgs" 2>/dev/null && break
	sleep 0.2
done
grep -qx "stored &lt;for&gt; you &amp; later" "$SB_RUN/held-carol-c1.msgs" ||
	it_fail "carol's offline message was not delivered at login: $(cat "$SB_RUN/held-carol-c1.msgs" 2>&1)"
ip netns exec "$SB_NS" $PY "$top/tests/integration/xmpp_admin.py" linger \
	"$SB_RUN/linger" "$SB_RUN/release" "$text" &
linger=$!
for _ in $(seq 150); do [ -f "$SB_RUN/linger" ] && break; sleep 0.2; done
[ -f "$SB_RUN/linger" ] || it_fail "the lingering stream did not open"
dp_pid=$(cat "$SB_RUN/dataplane.pid")
ctl_pid=$(cat "$SB_RUN/control.pid")
rc 0 shutdown --drain 60 --reconnect backup.switchboard.test
grep -q "shutting down" "$SB_RUN/out" || it_fail "$(cat "$SB_RUN/out")"
wait "${held[bob/b4]}" || it_fail "bob/b4 did not get <system-shutdown/> with the text"
wait "${held[carol/c1]}" || it_fail "carol/c1 did not get <system-shutdown/> with the text"
rc 1 shutdown
grep -q "already under way" "$SB_RUN/err" || it_fail "$(cat "$SB_RUN/err")"
kill -0 "$dp_pid" || it_fail "sb-dataplane exited while a connection was still open"
it_counter_ge xmpp_shutdown_refused 1 || it_fail "no refusal counted"
touch "$SB_RUN/release"
wait $linger || it_fail "the lingering client saw no <system-shutdown/>, or a new stream was let in"
for _ in $(seq 300); do
	kill -0 "$dp_pid" 2>/dev/null || kill -0 "$ctl_pid" 2>/dev/null || break
	sleep 0.1
done
! kill -0 "$dp_pid" 2>/dev/null || it_fail "sb-dataplane did not exit after the drain"
for _ in $(seq 100); do kill -0 "$ctl_pid" 2>/dev/null || break; sleep 0.1; done
! kill -0 "$ctl_pid" 2>/dev/null || it_fail "sb-control did not exit after sb-dataplane"
grep -q "every connection closed" "$SB_RUN/dataplane.log" || it_fail "the dataplane did not drain"
grep -q "shut down as requested; exiting" "$SB_RUN/control.log" ||
	it_fail "sb-control did not exit as after a shutdown"
echo "PASS"
