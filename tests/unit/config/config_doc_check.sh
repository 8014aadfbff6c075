#!/bin/sh
# SPDX-License-Identifier: BSD-3-Clause
#
# docs/CONFIG.md must be what "sbctl config doc" writes from
# lib/config/config_keys.def. On a difference, prints it and how to fix it.
set -u
sbctl=$1
doc=$2
out=$(mktemp)
trap 'rm -f "$out"' EXIT
"$sbctl" config doc > "$out" || { echo "FAIL: sbctl config doc exited $?"; exit 1; }
if ! diff -u "$doc" "$out"; then
	echo "FAIL: $doc differs from the key table; run: build/control/sbctl config doc > docs/CONFIG.md"
	exit 1
fi
echo ok
