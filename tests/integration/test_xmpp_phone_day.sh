#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# A phone's day (issue 18): bob's link drops without a stream close (RST
# and FIN in turn) and his client resumes its XEP-0198 session, while alice
# writes to him; every message arrives once, in order, and none bounces
# (tests/integration/xmpp_phone_day.py). The suite runs a short day: a drop
# every 3 s for 30 s at 5 messages/s. The issue's full day (a drop every
# 30 s for 5 minutes at 1 message/s) is
#   PHONE_DAY="300 30 2 1" meson test -C build xmpp_phone_day
# (its result is in docs/BENCHMARKS.md).
IT_NAME=xphone
. "$(dirname "$0")/lib.sh"
read -r duration period gap rate <<<"${PHONE_DAY:-30 3 1 5}"

it_step "start, accounts"
it_start
it_user_add alice pw-alice
it_user_add bob pw-bob

it_step "bob's day: ${duration} s, a drop every ${period} s, away ${gap} s, alice at ${rate}/s"
ip netns exec "$SB_NS" /usr/bin/python3 "$top/tests/integration/xmpp_phone_day.py" \
	"$top/tests/integration" "$duration" "$period" "$gap" "$rate" || it_fail "phone day"
$SBCTL status | grep -E "^ *(sm_hibernated|sm_resumed|sm_queued) " || true
