#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Bring the gateway up on a development box: install what is missing,
# build, reserve hugepages, create a network namespace holding the kernel
# end of the TAP, start sb-dataplane and sb-control, and wait until both
# answer. scripts/sb-down.sh undoes all of it.
#
# usage: sb-up.sh [--no-setup]
#   --no-setup   skip install, build and hugepages (the tests use this)
# Environment (defaults in brackets), so tests can run their own instance:
#   SB_NS [sb0]  SB_PREFIX [sb]  SB_RUN [/run/switchboard]  SB_TAP [sbtap0]
#   SB_CONF [etc/switchboard.conf]  SB_BUILD [build]  SB_HOST_IP [198.18.0.1]
#   SB_GW_IP [198.18.0.2]  SB_STORE (store.path)  SB_EXTRA (more -s overrides,
#   space separated)  SB_DOMAIN [switchboard.test] (the development
#   certificate's name; scripts/tls-dev-ca.sh makes it once in $SB_RUN/tls)
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/sb-env.sh

setup=1
[ "${1:-}" = "--no-setup" ] && setup=0

if [ "$setup" = 1 ]; then
	scripts/install-deps.sh
	scripts/build.sh
	scripts/hugepages.sh
fi
[ "$(id -u)" -eq 0 ] || { echo "sb-up: must run as root (namespaces, TAP, hugepages)" >&2; exit 1; }
for b in sb-dataplane sb-control sbctl; do
	[ -x "$(sb_bin $b)" ] || { echo "sb-up: $(sb_bin $b) not built (run make)" >&2; exit 1; }
done
if ip netns list | grep -qw "$SB_NS"; then
	echo "sb-up: namespace $SB_NS exists: already running? (stop it with scripts/sb-down.sh)" >&2
	exit 1
fi

mkdir -p "$SB_RUN"
# A development CA and a certificate for the domain, made once per run
# folder; the gateway is pointed at them, clients trust ca.pem.
tls_dir="$SB_RUN/tls"
tls_ca=$(scripts/tls-dev-ca.sh "$tls_dir" "$SB_DOMAIN" | tail -1)
ip netns add "$SB_NS"
ip netns exec "$SB_NS" ip link set lo up

overrides=(-s "eal.file_prefix=$SB_PREFIX" -s "port0.vdev=net_tap0,iface=$SB_TAP"
	   -s "port0.ipv4=$SB_GW_IP/24" -s "dataplane.pidfile=$SB_RUN/dataplane.pid"
	   -s "control.socket=$SB_RUN/sb.sock" -s "control.pidfile=$SB_RUN/control.pid"
	   -s "tls.cert_file=$tls_dir/$SB_DOMAIN.pem" -s "tls.key_file=$tls_dir/$SB_DOMAIN.key")
[ -n "${SB_STORE:-}" ] && overrides+=(-s "store.path=$SB_STORE")
for kv in ${SB_EXTRA:-}; do overrides+=(-s "$kv"); done
printf '%s\n' "${overrides[@]}" | grep -v '^-s$' > "$SB_RUN/overrides"

# The dataplane runs inside the namespace, so the TAP it creates appears
# there and the namespace's kernel is the client side.
ip netns exec "$SB_NS" setsid "$(sb_bin sb-dataplane)" -c "$SB_CONF" "${overrides[@]}" \
	>"$SB_RUN/dataplane.log" 2>&1 < /dev/null &
echo $! > "$SB_RUN/dataplane.pid"
if ! sb_wait 30 "ip netns exec $SB_NS ip link show $SB_TAP" "$SB_RUN/dataplane.pid"; then
	echo "sb-up: sb-dataplane did not come up; its log:" >&2
	tail -20 "$SB_RUN/dataplane.log" >&2
	exit 1
fi
# The TAP appears when the port starts, before the workers and the shared
# state are complete: sb-control attaches only once the dataplane says it runs.
if ! sb_wait 30 "grep -q 'sb.main: running' $SB_RUN/dataplane.log" "$SB_RUN/dataplane.pid"; then
	echo "sb-up: sb-dataplane did not finish starting; its log:" >&2
	tail -20 "$SB_RUN/dataplane.log" >&2
	exit 1
fi
ip netns exec "$SB_NS" ip addr add "$SB_HOST_IP/24" dev "$SB_TAP"
ip netns exec "$SB_NS" ip link set "$SB_TAP" up

scripts/sb-control-start.sh
echo "sb-up: gateway $SB_GW_IP is up (dataplane pid $(cat "$SB_RUN/dataplane.pid"), control pid $(cat "$SB_RUN/control.pid"))"
echo "sb-up: development CA for $SB_DOMAIN: $tls_ca (clients verify the gateway with it)"
