#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Install every Debian package the build, the tests and the demo need.
# Idempotent and quiet when everything is present; needs root otherwise.
set -euo pipefail

packages=(
	# build
	meson ninja-build pkg-config gcc
	dpdk dpdk-dev libdpdk-dev
	libssl-dev liburcu-dev libcmocka-dev libnuma-dev liblmdb-dev libexpat1-dev
	libidn2-dev libicu-dev
	libmicrohttpd-dev # sb-control's Prometheus endpoint (control/metrics)
	libsystemd-dev    # sd_notify for the Type=notify units (etc/systemd)
	libinih-dev       # the configuration file syntax (lib/config/config_ini.c)
	# tests and demo
	iproute2 iputils-ping python3-slixmpp procps libstrophe-dev python3-scapy nftables python3-openssl profanity
	openssl # the development CA of make run (scripts/tls-dev-ca.sh)
	python3-prometheus-client # parses the metrics endpoint (test_ops_metrics.sh)
	systemd # systemd-analyze verify of etc/systemd's units (test ops-units)
)

missing=()
for p in "${packages[@]}"; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed"; then
		missing+=("$p")
	fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
	echo "install-deps: missing packages: ${missing[*]}" >&2
	echo "install-deps: run as root (or: sudo apt-get install ${missing[*]})" >&2
	exit 1
fi
echo "install-deps: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
if ! apt-get install -y -qq --no-install-recommends "${missing[@]}" >/tmp/sb-apt.log 2>&1; then
	apt-get update -qq >>/tmp/sb-apt.log 2>&1
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >>/tmp/sb-apt.log 2>&1 || {
		echo "install-deps: apt-get failed; see /tmp/sb-apt.log" >&2
		tail -5 /tmp/sb-apt.log >&2
		exit 1
	}
fi
