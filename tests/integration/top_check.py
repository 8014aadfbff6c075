# SPDX-License-Identifier: BSD-3-Clause
"""Checks of test_ops_top.sh against the shapes docs/OPERATIONS.md gives:

  top FILE ROWS CLIENTS      sbctl top --json: ROWS lines, each one object
                             with every key; with CLIENTS chatting, stanzas
                             and packets moving, sessions and bytes/session
                             there, busy % within 0..100 and not all 0
  memory FILE CLIENTS SHARDS sbctl memory --json: every key, totals that add
                             up, bytes per connection > 0
  alarm_stats FILE NAME      sbctl stats --json: alarm NAME active, raised
  alarm_scrape URL NAME      the Prometheus endpoint says the same (parsed by
                             prometheus_client)
"""
import json
import sys
import urllib.request

TOP_KEYS = ["version", "time", "interval_s", "conns", "sessions", "logins_per_s",
            "stanzas_in_per_s", "stanzas_out_per_s", "pkts_in_per_s", "pkts_out_per_s",
            "retransmit_pct", "ring_depth_max", "ring_size", "backlog_max", "backlog_where",
            "drops", "drops_per_s", "drop_top", "drop_top_count", "lcores",
            "bytes_per_session", "alarms"]
MEM_SUBS = ["tcp", "xmpp", "tls", "sessions", "rings_pools", "store"]


def fail(msg):
    print("top_check: FAIL: " + msg)
    sys.exit(1)


def top(path, rows, clients):
    lines = open(path).read().splitlines()
    if len(lines) != rows:
        fail("%d lines, expected %d" % (len(lines), rows))
    objs = [json.loads(line) for line in lines]
    for o in objs:
        missing = [k for k in TOP_KEYS if k not in o]
        if missing:
            fail("row lacks %s" % missing)
        if o["version"] != 1 or o["ring_size"] <= 0 or not o["lcores"]:
            fail("row %r" % o)
        if o["sessions"] < clients or o["conns"] < clients:
            fail("%d sessions, %d connections with %d clients" %
                 (o["sessions"], o["conns"], clients))
        if o["bytes_per_session"] <= 0:
            fail("bytes_per_session %r" % o["bytes_per_session"])
        for lc in o["lcores"]:
            if not 0 <= lc["busy_pct"] <= 100:
                fail("busy %r" % lc)
    # Counters are published every 100 ms, so a single row could fall
    # between two publications: the rows together must show the traffic.
    for k in ("stanzas_in_per_s", "stanzas_out_per_s", "pkts_in_per_s", "pkts_out_per_s"):
        if sum(o[k] for o in objs) <= 0:
            fail("%s never moved: %r" % (k, [o[k] for o in objs]))
    if sum(lc["busy_pct"] for o in objs for lc in o["lcores"]) <= 0:
        fail("no lcore was ever busy")
    print("top: %d rows, %.0f stanzas/s in, busy %s" %
          (rows, max(o["stanzas_in_per_s"] for o in objs),
           [lc["busy_pct"] for lc in objs[-1]["lcores"]]))


def memory(path, clients, shards):
    m = json.load(open(path))
    for k in ("version", "buffers", "connections", "sessions", "client_bytes", "bytes_per_connection",
              "total", "subsystems", "lcores", "shards"):
        if k not in m:
            fail("memory lacks %s" % k)
    if m["connections"] < clients or m["sessions"] < clients:
        fail("%d connections, %d sessions" % (m["connections"], m["sessions"]))
    if m["bytes_per_connection"] <= 0 or m["client_bytes"] <= 0:
        fail("bytes per connection %r" % m["bytes_per_connection"])
    if sorted(m["subsystems"]) != sorted(MEM_SUBS):
        fail("subsystems %r" % sorted(m["subsystems"]))
    total_in = total_res = 0
    for name, sub in m["subsystems"].items():
        in_use = sum(i["in_use"] for i in sub["items"].values())
        res = sum(i["reserved"] for i in sub["items"].values())
        if (in_use, res) != (sub["in_use"], sub["reserved"]):
            fail("%s: items do not add up" % name)
        total_in += in_use
        total_res += res
    if (total_in, total_res) != (m["total"]["in_use"], m["total"]["reserved"]):
        fail("the subsystems do not add up to the total")
    items = m["subsystems"]["tcp"]["items"]
    if items["connections"]["objects"] < clients or items["table"]["reserved"] <= 0 or \
            "out_of_order" in items:
        fail("tcp %r" % items)
    x = m["subsystems"]["xmpp"]["items"]
    if x["streams"]["objects"] < clients or x["jids"]["objects"] < clients:
        fail("xmpp %r" % x)
    pools = m["subsystems"]["rings_pools"]["items"]
    for p in ("msg_pool", "mbuf_pool", "rings"):
        if pools[p]["reserved"] <= 0 or pools[p]["in_use"] > pools[p]["reserved"]:
            fail("%s %r" % (p, pools[p]))
    if len(m["shards"]) != shards or sum(s["sessions"] for s in m["shards"]) < clients:
        fail("shards %r" % m["shards"])
    if any(s["store_map"] <= 0 or s["store_used"] <= 0 for s in m["shards"]):
        fail("store %r" % m["shards"])
    for lc in m["lcores"]:
        if lc["start_bytes"] <= 0 or lc["reserved"] <= 0 or "send_queues" not in lc:
            fail("lcore %r" % lc)
    b = m["buffers"]
    if sorted(b) != ["out_of_order", "receive", "send_queues"] or \
            sum(lc["send_queues"] for lc in m["lcores"]) != b["send_queues"]:
        fail("buffers %r" % b)
    print("memory: %d connections, %d bytes per connection, %d B reserved in all" %
          (m["connections"], m["bytes_per_connection"], m["total"]["reserved"]))


def labelled(arr, name):
    for e in arr:
        if e["labels"].get("alarm") == name:
            return e["value"]
    fail("no alarm %s" % name)


def alarm_stats(path, name):
    s = json.load(open(path))
    if labelled(s["gauges"]["alarm"]["active"], name) != 1:
        fail("stats: %s not active" % name)
    if labelled(s["counters"]["alarm"]["raised"], name) < 1:
        fail("stats: %s never raised" % name)
    if labelled(s["gauges"]["alarm"]["level"], name) < labelled(
            s["gauges"]["alarm"]["high_water"], name) * 3 // 4:
        fail("stats: %s active below its mark" % name)
    print("stats: alarm %s active" % name)


def alarm_scrape(url, name):
    from prometheus_client.parser import text_string_to_metric_families
    with urllib.request.urlopen(url, timeout=30) as r:
        text = r.read().decode()
    got = {}
    for fam in text_string_to_metric_families(text):
        for s in fam.samples:
            if s.labels.get("alarm") == name:
                got[s.name] = s.value
    if got.get("switchboard_alarm_active") != 1 or got.get("switchboard_alarm_raised_total",
                                                           0) < 1:
        fail("scrape: %r" % got)
    print("metrics: %r" % got)


mode = sys.argv[1]
if mode == "top":
    top(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
elif mode == "memory":
    memory(sys.argv[2], int(sys.argv[3]), int(sys.argv[4]))
elif mode == "alarm_stats":
    alarm_stats(sys.argv[2], sys.argv[3])
elif mode == "alarm_scrape":
    alarm_scrape(sys.argv[2], sys.argv[3])
else:
    fail("mode %s" % mode)
