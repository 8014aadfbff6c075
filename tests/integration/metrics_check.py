#!/usr/bin/python3
# SPDX-License-Identifier: BSD-3-Clause
"""The operator's views of Switchboard's figures, checked as a client would
read them (test_ops_metrics.sh):

  scrape URL OUT     GET URL, parse it with Debian's prometheus_client,
                     check the conventions (every family has HELP and TYPE,
                     switchboard_ prefix, counters *_total), write
                     {sample name{labels}: value} to OUT as JSON
  moved BEFORE AFTER NAME...  each named sample grew from BEFORE to AFTER
  refused URL SRC    a connection from address SRC gets no HTTP answer
  stats FILE         FILE is `sbctl stats --json`: shape version 1 as
                     docs/OPERATIONS.md describes it
  dashboard JSON SCRAPED  every metric the Grafana dashboard JSON queries
                     is among the samples of a scrape (OUT of scrape)
Exit 0 when the check holds; else 1 with one line saying why.
"""
import json
import socket
import sys
import urllib.parse
import urllib.request

from prometheus_client.parser import text_string_to_metric_families


def fail(msg):
    print("metrics_check: FAIL: " + msg)
    sys.exit(1)


def scrape(url, out):
    with urllib.request.urlopen(url, timeout=30) as r:
        ctype = r.headers.get("Content-Type", "")
        text = r.read().decode()
    if not ctype.startswith("text/plain; version=0.0.4"):
        fail("content type %r" % ctype)
    helps = sum(1 for line in text.splitlines() if line.startswith("# HELP "))
    types = sum(1 for line in text.splitlines() if line.startswith("# TYPE "))
    samples = {}
    families = 0
    for fam in text_string_to_metric_families(text):
        families += 1
        if fam.name != fam.name.lower():
            fail("family %s is not lower case" % fam.name)
        if not fam.name.startswith("switchboard_"):
            fail("family %s lacks the switchboard_ prefix" % fam.name)
        if not fam.documentation:
            fail("family %s has no HELP" % fam.name)
        if fam.type not in ("counter", "gauge", "histogram"):
            fail("family %s has type %s" % (fam.name, fam.type))
        for s in fam.samples:
            if fam.type == "counter" and not s.name.endswith("_total"):
                fail("counter sample %s does not end in _total" % s.name)
            key = s.name + "".join("{%s=%s}" % kv for kv in sorted(s.labels.items()))
            samples[key] = s.value
    if helps != families or types != families:
        fail("%d families, %d HELP and %d TYPE lines" % (families, helps, types))
    if families < 200:
        fail("only %d families" % families)
    with open(out, "w") as f:
        json.dump(samples, f)
    print("metrics_check: %d families, %d samples" % (families, len(samples)))


def moved(before, after, names):
    with open(before) as f:
        b = json.load(f)
    with open(after) as f:
        a = json.load(f)
    for n in names:
        if n not in a:
            fail("no sample %s" % n)
        if not a[n] > b.get(n, 0):
            fail("%s did not grow: %s -> %s" % (n, b.get(n), a[n]))
        print("metrics_check: %s %d -> %d" % (n, b.get(n, 0), a[n]))


def refused(url, src):
    u = urllib.parse.urlparse(url)
    s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    s.settimeout(30)
    s.bind((src, 0))
    try:
        s.connect((u.hostname, u.port))
        s.sendall(b"GET /metrics HTTP/1.0\r\n\r\n")
        data = s.recv(4096)
    except (ConnectionResetError, BrokenPipeError):
        data = b""
    if data:
        fail("%s was answered: %r" % (src, data[:80]))
    print("metrics_check: a scrape from %s got no answer" % src)


def stats(path):
    with open(path) as f:
        doc = json.load(f)
    if doc.get("version") != 1:
        fail("version %r" % doc.get("version"))
    if set(doc) != {"version", "counters", "gauges", "histograms"}:
        fail("top-level keys %s" % sorted(doc))
    for group, names in doc["histograms"].items():
        for name, h in names.items():
            if set(h) != {"buckets", "sum", "count"} or h["buckets"][-1] != {
                    "le": "+Inf", "count": h["count"]}:
                fail("histogram %s.%s: %r" % (group, name, h))
            counts = [b["count"] for b in h["buckets"]]
            if counts != sorted(counts):
                fail("histogram %s.%s is not cumulative" % (group, name))
    for need in ("stanza_wait_seconds", "login_wait_seconds"):
        if need not in doc["histograms"].get("shard", {}):
            fail("no histogram shard.%s" % need)
    for group in ("dataplane", "tcp", "c2s", "tls", "shard", "route", "im", "store", "mgmt",
                  "control"):
        if group not in doc["counters"]:
            fail("no counter group %s" % group)
    for kind in ("counters", "gauges"):  # histograms: checked above
        for group, names in doc[kind].items():
            for name, v in names.items():
                if isinstance(v, int):
                    continue
                if not isinstance(v, list) or not v:
                    fail("%s.%s.%s is neither a number nor a list" % (kind, group, name))
                for s in v:
                    if set(s) != {"labels", "value"} or not isinstance(s["value"], int):
                        fail("%s.%s.%s: sample %r" % (kind, group, name, s))
    for need in (("xmpp", "sessions"), ("ring", "up_depth"), ("ring", "down_depth"),
                 ("pool", "msg_in_use"), ("tcp_state", "conns")):
        if need[1] not in doc["gauges"].get(need[0], {}):
            fail("no gauge %s.%s" % need)
    print("metrics_check: stats --json has %d counter groups, %d gauge groups"
          % (len(doc["counters"]), len(doc["gauges"])))


def dashboard(path, scraped):
    import re
    with open(path) as f:
        dash = json.load(f)
    with open(scraped) as f:
        names = {k.split("{")[0] for k in json.load(f)}
    used = set()
    for p in dash["panels"]:
        for t in p["targets"]:
            # a name followed by "{" or "[" or ")" or a space; "drop_.*" is a regex
            used |= {m for m in re.findall(r"switchboard_[a-z0-9_]+", t["expr"])
                     if not m.endswith("_")}
    missing = sorted(used - names)
    if missing:
        fail("the dashboard queries metrics not served: %s" % ", ".join(missing))
    print("metrics_check: the dashboard's %d metrics are all served" % len(used))


def main():
    if len(sys.argv) >= 4 and sys.argv[1] == "scrape":
        scrape(sys.argv[2], sys.argv[3])
    elif len(sys.argv) >= 5 and sys.argv[1] == "moved":
        moved(sys.argv[2], sys.argv[3], sys.argv[4:])
    elif len(sys.argv) == 4 and sys.argv[1] == "refused":
        refused(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 4 and sys.argv[1] == "dashboard":
        dashboard(sys.argv[2], sys.argv[3])
    elif len(sys.argv) == 3 and sys.argv[1] == "stats":
        stats(sys.argv[2])
    else:
        print(__doc__)
        sys.exit(2)


if __name__ == "__main__":
    main()
