#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Accounts: sbctl creates, shows, lists, re-keys and deletes accounts in
# sb-control's LMDB store; errors are one clear line with exit status 1; a
# password can come from stdin; the accounts survive a SIGKILL of
# sb-control and its restart; no plaintext password reaches the store.
IT_NAME=accts
. "$(dirname "$0")/lib.sh"

STORE="$SB_RUN/store"
export SB_EXTRA="store.path=$STORE control.shards=2"

# fails CMD...: CMD must exit 1 with a one-line error; prints the error.
fails() {
	local out rc=0
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" -eq 1 ] || it_fail "'$*' exited $rc, expected 1: $out"
	[ "$(echo "$out" | wc -l)" -eq 1 ] || it_fail "'$*': error is not one line: $out"
	echo "$out"
}

it_step "start both processes with the store under $STORE"
it_start
grep -q "account store $STORE: 0 accounts" "$SB_RUN/control.log" ||
	it_fail "control.log does not report the opened store"
[ -d "$STORE/shard-0" ] && [ -d "$STORE/shard-1" ] || it_fail "no shard-0 and shard-1 under $STORE"

it_step "user add, list, show"
out=$($SBCTL user add alice secret1)
echo "$out"
echo "$out" | grep -q "^added alice@switchboard.test " || it_fail "unexpected add reply: $out"
$SBCTL user add Bob@switchboard.test 'two words' >/dev/null
list=$($SBCTL user list)
echo "$list"
echo "$list" | grep -qx "alice@switchboard.test" || it_fail "alice missing from user list"
echo "$list" | grep -qx "bob@switchboard.test" || it_fail "bob (normalised) missing from user list"
echo "$list" | grep -q "^(2 of 2 accounts)$" || it_fail "user list does not count 2 accounts"
[ "$($SBCTL user list 1 | grep -c '@')" -eq 1 ] || it_fail "user list 1 shows more than one"
show=$($SBCTL user show alice@switchboard.test)
echo "$show"
echo "$show" | grep -q "^mechanism SCRAM-SHA-1 iterations 4096 " || it_fail "show lacks SCRAM-SHA-1"
echo "$show" | grep -q "^mechanism SCRAM-SHA-256 iterations 4096 " || it_fail "show lacks SCRAM-SHA-256"
echo "$show" | grep -q "^created 20[0-9-]*T" || it_fail "show lacks the created time"
echo "$show" | grep -qi "secret1\|key\|salt " && it_fail "show reveals a secret: $show"

it_step "errors: duplicate, unknown user, bad JID, unknown subcommand"
out=$(fails $SBCTL user add alice other)
echo "$out" | grep -q "exists" || it_fail "duplicate add: $out"
out=$(fails $SBCTL user show nobody)
echo "$out" | grep -q "no such user: nobody@switchboard.test" || it_fail "unknown user: $out"
out=$(fails $SBCTL user del nobody@switchboard.test)
echo "$out" | grep -q "no such user" || it_fail "del of unknown user: $out"
out=$(fails $SBCTL user add 'a/b' pw)
echo "$out" | grep -q "invalid JID: localpart: local_forbidden" || it_fail "bad JID: $out"
out=$(fails $SBCTL user add carol@elsewhere.test pw)
echo "$out" | grep -q "invalid JID: domain elsewhere.test is not served here" ||
	it_fail "foreign domain: $out"
out=$(fails $SBCTL user frob alice secret1)
echo "$out" | grep -q "unknown user command 'frob'" || it_fail "unknown subcommand: $out"
echo "$out" | grep -q "secret1" && it_fail "an error echoes the password: $out"

it_step "passwd, and passwords from stdin"
before=$($SBCTL user show alice | grep '^changed')
sleep 1.1
$SBCTL user passwd alice secret2 | grep -q "^password changed for alice@switchboard.test" ||
	it_fail "passwd did not answer"
after=$($SBCTL user show alice | grep '^changed')
[ "$before" != "$after" ] || it_fail "passwd did not change the changed time ($after)"
echo "secret3" | $SBCTL user add carol - | grep -q "^added carol@switchboard.test" ||
	it_fail "add with the password from stdin ('-') failed"
printf 'secret4\n' | $SBCTL user passwd carol | grep -q "^password changed" ||
	it_fail "passwd with the password from stdin (omitted, not a tty) failed"
out=$(: | $SBCTL user add dave 2>&1) && it_fail "add with an empty stdin succeeded"
echo "$out" | grep -q "no password on stdin" || it_fail "empty stdin: $out"
out=$(fails $SBCTL user passwd nobody pw)
echo "$out" | grep -q "no such user" || it_fail "passwd of unknown user: $out"

it_step "del"
$SBCTL user del bob | grep -q "^deleted bob@switchboard.test" || it_fail "del did not answer"
fails $SBCTL user show bob >/dev/null
$SBCTL user list | grep -q "^(2 of 2 accounts)$" || it_fail "list after del is not 2 accounts"

# salt USER: "salt=… salt_bytes=… i=…" from a SCRAM-SHA-256 server-first.
salt() {
	ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_raw.py" salt "$1"
}

it_step "an unknown user's SCRAM salt: stable, shaped like a real one (RFC 5802 §9)"
ghost1=$(salt ghost) || it_fail "no challenge for an unknown user"
ghost2=$(salt ghost) || it_fail "no challenge for an unknown user"
real=$(salt alice) || it_fail "no challenge for alice"
other=$(salt phantom) || it_fail "no challenge for another unknown user"
echo "ghost: $ghost1 / alice: $real"
[ "$ghost1" = "$ghost2" ] || it_fail "the fake salt changed between connections: $ghost1 $ghost2"
[ "$ghost1" != "$other" ] || it_fail "two unknown users got one salt"
[ "${ghost1#* }" = "${real#* }" ] || it_fail "fake salt shape '${ghost1#* }' differs from '${real#* }'"

it_step "SIGKILL sb-control"
ctl_pid=$(cat "$SB_RUN/control.pid")
kill -KILL "$ctl_pid"
for i in $(seq 50); do kill -0 "$ctl_pid" 2>/dev/null || break; sleep 0.1; done

it_step "a store that cannot be opened is fatal, naming the folder and the reason"
touch "$SB_RUN/not-a-dir"
mapfile -t kv < "$SB_RUN/overrides"
args=()
for x in "${kv[@]}"; do args+=(-s "$x"); done
rc=0
out=$("$SB_BUILD/control/sb-control" -c "${SB_CONF:-$top/etc/switchboard.conf}" "${args[@]}" \
	-s "store.path=$SB_RUN/not-a-dir" 2>&1 </dev/null) || rc=$?
[ "$rc" -ne 0 ] || it_fail "sb-control ran with an unusable store"
echo "$out" | grep "account store" || true
echo "$out" | grep -q "account store $SB_RUN/not-a-dir: $SB_RUN/not-a-dir/shard-0: cannot create: .*(fatal)" ||
	it_fail "unclear fatal error for an unusable store: $out"

it_step "restart sb-control: the accounts persisted"
"$top/scripts/sb-control-start.sh"
list=$($SBCTL user list)
echo "$list"
echo "$list" | grep -qx "alice@switchboard.test" || it_fail "alice lost across the restart"
echo "$list" | grep -qx "carol@switchboard.test" || it_fail "carol lost across the restart"
echo "$list" | grep -q "bob@" && it_fail "bob came back after del and restart"
[ "$(echo "$after")" = "$($SBCTL user show alice | grep '^changed')" ] ||
	it_fail "alice's record changed across the restart"
[ "$(salt ghost)" = "$ghost1" ] || it_fail "the fake salt changed across the restart"
stats=$($SBCTL user stats)
echo "$stats" | head -4
echo "$stats" | grep -q "^shard 1 accounts " || it_fail "user stats lacks shard 1"

it_step "no plaintext password anywhere under the store"
for pw in secret1 secret2 secret3 secret4 'two words'; do
	grep -r -a -q -F -- "$pw" "$STORE" && it_fail "password '$pw' found under $STORE"
done
grep -r -a -q -F "alice@switchboard.test" "$STORE" || it_fail "the grep cannot see the store"
[ "$(stat -c %a "$STORE/shard-0")" = 700 ] || it_fail "shard folder is not mode 700"
echo "PASS"
