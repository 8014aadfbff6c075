#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# etc/systemd's units as `meson install` writes them, checked by
# `systemd-analyze verify` (any warning fails, not only errors), with the
# paths pointed at this build's binaries so that verify can check them.
# Also holds the promises docs/OPERATIONS.md makes of the units: both
# Type=notify with a watchdog, sb-control after and bound to the dataplane,
# restarting alone.
# usage: check-units.sh SOURCE_ROOT BUILD_ROOT
set -euo pipefail
src=$1
build=$2
fail() { echo "FAIL: $*" >&2; exit 1; }

command -v systemd-analyze >/dev/null ||
	fail "systemd-analyze is missing: install systemd (scripts/install-deps.sh)"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$tmp/bin" "$tmp/etc/switchboard" "$tmp/doc"
ln -s "$build/dataplane/sb-dataplane" "$build/control/sb-control" "$build/control/sbctl" "$tmp/bin/"
cp "$src/etc/switchboard.conf" "$tmp/etc/switchboard/"
for u in sb-dataplane sb-control; do
	sed -e "s#@BINDIR@#$tmp/bin#g" -e "s#@SYSCONFDIR@#$tmp/etc#g" -e "s#@DOCDIR@#$tmp/doc#g" \
		"$src/etc/systemd/$u.service.in" > "$tmp/$u.service"
	grep -q "@[A-Z]*@" "$tmp/$u.service" && fail "$u.service.in has an unknown @VARIABLE@"
done
out=$(cd "$tmp" && systemd-analyze verify ./sb-dataplane.service ./sb-control.service 2>&1) ||
	fail "systemd-analyze verify: $out"
[ -z "$out" ] || fail "systemd-analyze verify warned: $out"

has() { grep -qx "$2" "$tmp/$1.service" || fail "$1.service lacks '$2'"; }
for u in sb-dataplane sb-control; do
	has $u "Type=notify"
	has $u "NotifyAccess=main"
	grep -q "^WatchdogSec=[1-9]" "$tmp/$u.service" || fail "$u.service has no watchdog"
done
has sb-control "After=sb-dataplane.service"
has sb-control "BindsTo=sb-dataplane.service"
has sb-control "Restart=always"
grep -q "^ExecReload=.*/sbctl .*config reload$" "$tmp/sb-control.service" ||
	fail "sb-control.service: systemctl reload is not sbctl config reload"
has sb-dataplane "LimitMEMLOCK=infinity"
grep -Eq "^(BindsTo|Requires|PartOf)=.*sb-control" "$tmp/sb-dataplane.service" &&
	fail "sb-dataplane.service must not depend on sb-control (it restarts alone)"
# The installed units are configured from the same .in files.
for u in sb-dataplane sb-control; do
	cmp -s <(grep -v "^Documentation\|^Exec" "$build/etc/$u.service") \
		<(grep -v "^Documentation\|^Exec" "$tmp/$u.service") || fail "build/etc/$u.service differs from $u.service.in beyond its paths"
done
echo "PASS: systemd-analyze verify accepts both units"
