#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# External components (XEP-0114): slixmpp's ComponentXMPP connects to
# sb-control's listener (kernel TCP on loopback, outside the namespace) and
# exchanges messages with a user of the gateway (tests/integration/
# xmpp_component.py): a wrong secret is not-authorized, an unknown domain
# host-unknown; with no component connected a stanza to its domain gets
# service-unavailable, before and after it is there. A user's directed
# presence to the component (a group chat join) is followed by unavailable
# when the user's connection goes.
IT_NAME=xcomp
. "$(dirname "$0")/lib.sh"
D=switchboard.test
C=comp.$D
PORT=$((20000 + $(echo -n "$SB_NS" | cksum | cut -d' ' -f1) % 20000))
export SB_EXTRA="control.shards=2 component.listen=127.0.0.1:$PORT component.domains=$C=s3cret"

py_ns() {
	ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_component.py" "$@" 2>&1 |
		grep -v -e '^ERROR:asyncio' -e '^task: ' -e 'No appropriate login method' -e stringprep
	return "${PIPESTATUS[0]}"
}
comp_pid=
comp_stop() {
	if [ -n "$comp_pid" ]; then
		kill "$comp_pid" 2>/dev/null || true
		wait "$comp_pid" 2>/dev/null || true
		comp_pid=
	fi
}
trap 'rc=$?; comp_stop; (exit $rc); it_cleanup' EXIT

it_step "start, add an account"
it_start
it_user_add alice pw-alice

it_step "handshake refused: wrong secret, unknown domain"
/usr/bin/python3 "$top/tests/integration/xmpp_component.py" bad-secret $C $PORT || it_fail "bad-secret"

it_step "a raw component: conflict, a split stanza answered with an error"
/usr/bin/python3 "$top/tests/integration/xmpp_component.py" raw $C s3cret $PORT || it_fail "raw"
for _ in $(seq 1 25); do
	$SBCTL status | grep -q "^component $C connected 0 " && break
	sleep 0.2
done

it_step "no component yet: service-unavailable"
py_ns gone alice@$D pw-alice $C || it_fail "gone before"

it_step "the component connects"
ready="$SB_RUN/comp.ready"
/usr/bin/python3 "$top/tests/integration/xmpp_component.py" component $C s3cret $PORT "$ready" \
	>"$SB_RUN/component.log" 2>&1 &
comp_pid=$!
for _ in $(seq 1 150); do [ -e "$ready" ] && break; sleep 0.2; done
[ -e "$ready" ] || { cat "$SB_RUN/component.log"; it_fail "the component did not connect"; }

it_step "messages both ways, disco answered by the component"
py_ns user alice@$D pw-alice $C || { cat "$SB_RUN/component.log"; it_fail "user"; }
for _ in $(seq 1 50); do
	grep -q "^unavailable alice@$D/rc\$" "$ready.presence" 2>/dev/null && break
	sleep 0.2
done
grep -q "^available alice@$D/rc\$" "$ready.presence" || it_fail "the join did not reach the component"
grep -q "^unavailable alice@$D/rc\$" "$ready.presence" ||
	{ cat "$ready.presence"; it_fail "no unavailable to the component when the session went"; }
[ "$(it_route_counter comp_routed)" -ge 3 ] || it_fail "comp_routed not counted"
[ "$(it_route_counter comp_received)" -ge 3 ] || it_fail "comp_received not counted"

[ "$(it_route_counter comp_auth_failed)" -eq 1 ] || it_fail "comp_auth_failed is not 1"
[ "$(it_route_counter comp_handshakes)" -eq 2 ] || it_fail "comp_handshakes is not 2"
[ "$(it_route_counter comp_conflicts)" -eq 1 ] || it_fail "comp_conflicts is not 1"
$SBCTL status | grep -q "^component $C connected 1 " || { $SBCTL status; it_fail "status: not connected"; }

it_step "the component goes: service-unavailable again"
comp_stop
sleep 0.5
py_ns gone alice@$D pw-alice $C || it_fail "gone after"
echo "PASS"
