#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# The built sbctl's "config check FILE" on temporary files, with no
# sb-control anywhere (-S names a socket that does not exist): exit 0 and
# "FILE: ok" for a valid file, exit 1 and exactly the FILE:LINE lines for a
# bad one, 1 for a missing file, 2 for a usage error.
set -u
sbctl=$1
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*"; exit 1; }

printf '[control]\nshards = 2\n[xmpp]\ntls = off\n' > "$dir/good.conf"
out=$("$sbctl" -S "$dir/none.sock" config check "$dir/good.conf" 2>&1); rc=$?
[ "$rc" = 0 ] || fail "valid file: exit $rc: $out"
[ "$out" = "$dir/good.conf: ok" ] || fail "valid file printed: $out"

printf '[xmpp]\nmax_stanza_bytes = 200000\n[bogus]\nx = 1\n[tcp]\nmss = 5\n[xmpp]\ninput_budget = 300000\n' \
	> "$dir/bad.conf"
"$sbctl" -S "$dir/none.sock" config check "$dir/bad.conf" > "$dir/out" 2> "$dir/err"; rc=$?
[ "$rc" = 1 ] || fail "bad file: exit $rc"
[ -s "$dir/out" ] && fail "bad file printed on stdout: $(cat "$dir/out")"
cat > "$dir/want" <<WANT
$dir/bad.conf:3: unknown section [bogus]
$dir/bad.conf:6: tcp.mss: 5 is outside 536..8960
$dir/bad.conf:8: xmpp.input_budget (300000) must be at least twice xmpp.max_stanza_bytes (200000)
WANT
cmp -s "$dir/want" "$dir/err" || fail "bad file printed: $(cat "$dir/err")"

# libinih's edges through the command: CRLF lines, a line with no '=', a
# header without ']', a line past 1024 bytes; each at its own line.
{
	printf '[control]\r\nshards = 2 ; a comment\r\nshards\r\n[tcp\r\nmss = 5\r\n'
	printf '[xmpp]\r\ndomain = '; head -c 1100 /dev/zero | tr '\0' a; printf '\r\n'
	printf 'tls = off\r\n'
} > "$dir/syntax.conf"
"$sbctl" -S "$dir/none.sock" config check "$dir/syntax.conf" > "$dir/out" 2> "$dir/err"; rc=$?
[ "$rc" = 1 ] || fail "syntax file: exit $rc"
cat > "$dir/want" <<WANT
$dir/syntax.conf:3: expected 'key = value'
$dir/syntax.conf:4: bad section header: expected '[name]'
$dir/syntax.conf:7: line longer than 1024 bytes
WANT
cmp -s "$dir/want" "$dir/err" || fail "syntax file printed: $(cat "$dir/err")"

"$sbctl" config check "$dir/missing.conf" 2> "$dir/err"; rc=$?
[ "$rc" = 1 ] || fail "missing file: exit $rc"
grep -q "^$dir/missing.conf: No such file or directory$" "$dir/err" || fail "missing: $(cat "$dir/err")"

"$sbctl" config check 2> /dev/null; rc=$?
[ "$rc" = 2 ] || fail "no FILE: exit $rc"
echo ok
