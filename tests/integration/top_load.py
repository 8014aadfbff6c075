# SPDX-License-Identifier: BSD-3-Clause
"""Chat traffic for a bounded time, for the live-view test (test_ops_top.sh):

  top_load.py N SECONDS READY_FILE

logs in u0..u(N-1) (passwords pw-0..), touches READY_FILE, then for SECONDS
each client sends a chat message to the next one about every 20 ms and
reads what came; prints what it sent and received. Bounded in time and
rate: the box is shared.
"""
import os
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from xmpp_wire import Wire, fail  # noqa: E402

n, seconds, ready = int(sys.argv[1]), float(sys.argv[2]), sys.argv[3]
clients = [Wire().login("u%d" % i, "pw-%d" % i) for i in range(n)]
open(ready, "w").close()
sent = got = 0
end = time.monotonic() + seconds
while time.monotonic() < end:
    for i, c in enumerate(clients):
        to = "u%d@switchboard.test" % ((i + 1) % n)
        c.send("<message to='%s' type='chat' id='m%d'><body>tick %d</body></message>"
               % (to, sent, sent))
        sent += 1
    for c in clients:
        if not c.pump(0.02 / n):
            fail("a client was disconnected")
        got += sum(1 for s in c.inbox if s.name.endswith(" message"))
        c.inbox.clear()
for c in clients:
    c.pump(0.5)
    got += sum(1 for s in c.inbox if s.name.endswith(" message"))
    c.close()
print("top_load: %d clients sent %d messages, received %d" % (n, sent, got))
if got == 0:
    fail("no message arrived")
