#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Configure (once) and build into build/ with warnings as errors.
set -euo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"
if [ ! -f build/build.ninja ]; then
	meson setup build -Dwerror=true >/tmp/sb-meson-setup.log 2>&1 || {
		cat /tmp/sb-meson-setup.log >&2
		exit 1
	}
fi
ninja -C build >/tmp/sb-ninja.log 2>&1 || {
	grep -E 'error|warning' -A5 /tmp/sb-ninja.log | head -60 >&2
	echo "build: failed; full log in /tmp/sb-ninja.log" >&2
	exit 1
}
