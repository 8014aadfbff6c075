#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Reserve 2 MiB hugepages and mount hugetlbfs on /dev/hugepages.
# usage: hugepages.sh [MiB]   (default 1024; SB_HUGEPAGES_MB overrides)
# Keeps a larger reservation that is already there. Clear message and exit 1
# when it cannot (not root, not enough free memory).
set -euo pipefail

want_mb=${1:-${SB_HUGEPAGES_MB:-1024}}
want_pages=$(( (want_mb + 1) / 2 ))
nr=/sys/kernel/mm/hugepages/hugepages-2048kB/nr_hugepages

if [ ! -w "$nr" ]; then
	have=$(cat "$nr" 2>/dev/null || echo 0)
	if [ "$have" -ge "$want_pages" ] && mountpoint -q /dev/hugepages; then
		exit 0
	fi
	echo "hugepages: need root to reserve $want_mb MiB of 2 MiB pages (have $have pages)" >&2
	exit 1
fi

have=$(cat "$nr")
if [ "$have" -lt "$want_pages" ]; then
	avail_kb=$(awk '/MemAvailable/ {print $2}' /proc/meminfo)
	need_kb=$(( (want_pages - have) * 2048 ))
	if [ "$avail_kb" -lt "$need_kb" ]; then
		echo "hugepages: $want_mb MiB wanted but only $((avail_kb / 1024)) MiB available" >&2
		exit 1
	fi
	echo "$want_pages" > "$nr"
	have=$(cat "$nr")
	if [ "$have" -lt "$want_pages" ]; then
		echo "hugepages: kernel gave $have of $want_pages pages (memory fragmented?)" >&2
		exit 1
	fi
fi

mkdir -p /dev/hugepages
if ! mountpoint -q /dev/hugepages; then
	mount -t hugetlbfs -o pagesize=2M nodev /dev/hugepages || {
		echo "hugepages: cannot mount hugetlbfs on /dev/hugepages" >&2
		exit 1
	}
fi
