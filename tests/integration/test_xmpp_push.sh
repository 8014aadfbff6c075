#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Push notifications (XEP-0357): an app server connected as an external
# component (tests/integration/xmpp_push.py appserver, outside the
# namespace) gets a publish for bob's node when a message waits for bob,
# offline or hibernated by stream management; with the publish-options
# bob gave, without the body (im.push_body false, the default); then the
# same with the body after sb-control restarts with im.push_body=true.
IT_NAME=xpush
. "$(dirname "$0")/lib.sh"
D=switchboard.test
A=push.$D
PORT=$((20000 + $(echo -n "$SB_NS" | cksum | cut -d' ' -f1) % 20000))
export SB_EXTRA="control.shards=2 component.listen=127.0.0.1:$PORT component.domains=$A=s3cret"
OUT="$SB_RUN/notes.jsonl"

app_pid=
app_stop() {
	if [ -n "$app_pid" ]; then
		kill "$app_pid" 2>/dev/null || true
		wait "$app_pid" 2>/dev/null || true
		app_pid=
	fi
}
app_start() {
	local ready="$SB_RUN/app.ready"
	rm -f "$ready"
	/usr/bin/python3 "$top/tests/integration/xmpp_push.py" appserver $A s3cret $PORT "$OUT" \
		"$ready" >>"$SB_RUN/app.log" 2>&1 &
	app_pid=$!
	for _ in $(seq 1 150); do [ -e "$ready" ] && return 0; sleep 0.2; done
	cat "$SB_RUN/app.log"
	it_fail "the app server did not connect"
}
scenario() {
	ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_push.py" scenario $A \
		"$OUT" "$1" || { cat "$SB_RUN/app.log"; it_fail "push scenario ($1)"; }
}
trap 'rc=$?; app_stop; (exit $rc); it_cleanup' EXIT

it_step "start, accounts, the app server connects as a component"
it_start
it_user_add alice pw-alice
it_user_add bob pw-bob
app_start

it_step "enable, offline and hibernated notifications, disable (no body by default)"
scenario nobody
$SBCTL status | grep -E "push_(enabled|sent|refused|disabled) " | tee "$SB_RUN/ctr"
awk '$1 == "push_sent" && $2 >= 2 { ok = 1 } END { exit !ok }' "$SB_RUN/ctr" ||
	it_fail "push_sent did not count the notifications"
awk '$1 == "push_refused" && $2 >= 2 { ok = 1 } END { exit !ok }' "$SB_RUN/ctr" ||
	it_fail "push_refused did not count the refusals"

it_step "sb-control restarted with im.push_body=true: the body comes along"
app_stop
kill "$(cat "$SB_RUN/control.pid")"
for _ in $(seq 1 50); do kill -0 "$(cat "$SB_RUN/control.pid")" 2>/dev/null || break; sleep 0.1; done
echo "im.push_body=true" >> "$SB_RUN/overrides"
"$top/scripts/sb-control-start.sh"
app_start
scenario body
