#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Start (or restart) sb-control against the running sb-dataplane of this
# instance (see sb-env.sh), and wait until its socket answers.
set -euo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
. scripts/sb-env.sh

mapfile -t overrides < "$SB_RUN/overrides"
args=()
for kv in "${overrides[@]}"; do args+=(-s "$kv"); done
setsid "$(sb_bin sb-control)" -c "$SB_CONF" "${args[@]}" >>"$SB_RUN/control.log" 2>&1 < /dev/null &
echo $! > "$SB_RUN/control.pid"
if ! sb_wait 30 "$(sb_bin sbctl) -S $SB_RUN/sb.sock ping" "$SB_RUN/control.pid"; then
	echo "sb-control-start: sb-control did not come up; its log:" >&2
	tail -20 "$SB_RUN/control.log" >&2
	exit 1
fi
