#!/usr/bin/env bash
# SPDX-License-Identifier: BSD-3-Clause
# Memory of hibernated XEP-0198 sessions. A gateway on a TAP in a fresh
# namespace (the integration tests' harness, tests/integration/lib.sh, run
# folder /tmp/sbit-<tag>xsmbench); SM_N [200] resources of one account
# enable resumption, each receives SM_UNACKED [10] chat messages (about 120
# bytes each) it does not acknowledge, and all are cut by a RST. Read before
# the logins, with the sessions bound, and once all are hibernated: the
# shared message pool's objects in use (sbctl status) and sb-control's
# VmRSS; printed per session. Root (namespaces); run under
# flock /tmp/sb-bench.lock.
IT_NAME=xsmbench
. "$(dirname "$0")/../../tests/integration/lib.sh"
N=${SM_N:-200}
K=${SM_UNACKED:-10}
export SB_EXTRA="control.max_resources=$((N + 10)) xmpp.conn_rate_per_addr=100000 xmpp.conn_burst_per_addr=65535"

pool() { $SBCTL status | sed -n 's/.*msg_pool in_use \([0-9]*\)\/.*/\1/p'; }
hib() { $SBCTL status | awk '$1 == "sm_hibernated" { v = $2 } END { print v + 0 }'; }

it_start
it_user_add h secret-h
it_user_add s secret-s
ctl_pid=$(cat "$SB_RUN/control.pid")
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$ctl_pid/status"; }
p0=$(pool); r0=$(rss)
ip netns exec "$SB_NS" /usr/bin/python3 - "$top/tests/integration" "$N" "$K" "$SB_RUN/bound" <<'PY'
import os, sys, time
sys.path.insert(0, sys.argv[1])
from xmpp_wire import Wire, fail
n, k, mark = int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
SM = "urn:xmpp:sm:3"
ws = []
for i in range(n):
    w = Wire().login("h", "secret-h", bind=False)
    w.bind(presence=False)
    w.send("<enable xmlns='%s' resume='true'/>" % SM)
    w.wait(lambda s: s.name == SM + " enabled", 10, "<enabled/>")
    ws.append(w)
s = Wire().login("s", "secret-s")
for w in ws:
    for j in range(k):
        s.send("<message to='%s' type='chat' id='x%d'><body>a message of a typical length, "
               "about one line of text in a chat window</body></message>" % (w.jid, j))
for w in ws:
    for j in range(k):
        w.wait(lambda st: st.attrs.get("id") == "x%d" % j, 30, "message")
open(mark, "w").close()
time.sleep(2)
for w in ws:
    w.reset()
PY
for _ in $(seq 100); do [ "$(hib)" -ge "$N" ] && break; sleep 0.2; done
p1=$(pool); r1=$(rss)
echo "hibernated sessions: $(hib) of $N, each with $K unacknowledged messages"
echo "message pool objects in use: $p0 before, $p1 hibernated: $(( (p1 - p0) / N )) objects ($(( (p1 - p0) * 2048 / N )) bytes) per session"
echo "sb-control VmRSS: $r0 KiB before, $r1 KiB hibernated: $(( (r1 - r0) * 1024 / N )) bytes per session (session, its SM state, heap growth)"
