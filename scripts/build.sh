#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Configure (once) and build into build/ with warnings as errors. Logs stay
# in the checkout (build/), so two checkouts on one machine never mix them.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ ! -f build/build.ninja ]; then
	setup_log=$(mktemp)
	meson setup build -Dwerror=true >"$setup_log" 2>&1 || {
		cat "$setup_log" >&2
		rm -f "$setup_log"
		exit 1
	}
	rm -f "$setup_log"
fi
ninja -C build >build/ninja.log 2>&1 || {
	grep -E 'error|warning' -A5 build/ninja.log | head -60 >&2
	echo "build: failed; full log in $top/build/ninja.log" >&2
	exit 1
}
