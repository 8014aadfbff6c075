#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Run every meson suite and end with one plain line "N passed, N failed"
# counted from meson-logs/testlog.json (meson prints no such line itself).
# Exit status: 0 only when nothing failed and something ran.
set -uo pipefail
top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top"

meson test -C build --print-errorlogs --num-processes 2 "$@"
rc=$?
log=build/meson-logs/testlog.json
if [ ! -s "$log" ]; then
	echo "0 passed, 1 failed"
	exit 1
fi
read -r passed failed < <(python3 - "$log" <<'PY'
import json, sys
passed = failed = 0
for line in open(sys.argv[1]):
    line = line.strip()
    if not line:
        continue
    r = json.loads(line).get("result", "")
    if r in ("OK", "EXPECTEDFAIL"):
        passed += 1
    else:
        failed += 1   # FAIL, TIMEOUT, SKIP, ERROR, UNEXPECTEDPASS: none is green
print(passed, failed)
PY
)
echo "$passed passed, $failed failed"
[ "$rc" -eq 0 ] && [ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
