#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# XEP-0198 "the ack is a promise" at full size (issue 18): the integration
# test tests/integration/test_xmpp_sm_kill.sh with 4 clients exchanging
# 10,000 messages per round (2,500 each, an <r/> after every one),
# sb-control SIGKILLed at a random point of each of 20 rounds. CI runs the
# same test small (3 rounds of 4 x 300). SMK_MSGS / SMK_ROUNDS resize it;
# SMK_NOKILL=1 runs it without kills, for the ack-per-stanza throughput
# (messages/s per round, printed by the clients). Root (namespaces); run
# under flock /tmp/sb-bench.lock, with SB_IT_TAG set when others share
# the machine.
set -euo pipefail
top=$(cd "$(dirname "$0")/../.." && pwd)
export SB_SMKILL_MSGS=${SMK_MSGS:-2500}
export SB_SMKILL_ROUNDS=${SMK_ROUNDS:-20}
export SB_SMKILL_NOKILL=${SMK_NOKILL:-}
export SB_BUILD=${SB_BUILD:-$top/build}
exec "$top/tests/integration/test_xmpp_sm_kill.sh"
