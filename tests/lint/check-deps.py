#!/usr/bin/env python3
# SPDX-License-Identifier: BSD-3-Clause
"""docs/ARCHITECTURE.md's dependency tables against the build.

Two tables in docs/ARCHITECTURE.md, between <!-- deps:... --> markers:

  deps:folders   | folder | may use | may not use |: a folder's sources are
                 compiled with include directories of the folders it may
                 use only (and DPDK's only when "DPDK" is listed);
  deps:programs  | program | links |: each program links exactly the
                 Switchboard libraries (sb_*) listed.

Read from build/compile_commands.json and build/build.ninja, so the check
is of what the build does, not of what the meson.build files seem to say.
Usage: check-deps.py SOURCE_ROOT BUILD_ROOT. Prints every mismatch; exit 1
if there is one.
"""
import json
import os
import re
import sys

TOPS = ("lib", "dataplane", "control", "perf", "tests")


def table(doc, name):
    m = re.search(r"<!-- deps:%s -->(.*?)<!-- /deps:%s -->" % (name, name), doc, re.S)
    if m is None:
        sys.exit("check-deps: docs/ARCHITECTURE.md has no deps:%s table" % name)
    rows = []
    for line in m.group(1).splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if len(cells) < 2 or set(cells[0]) <= set("-: ") or cells[0] in ("folder", "program"):
            continue
        rows.append(cells)
    return rows


def top_of(path, src):
    rel = os.path.relpath(os.path.realpath(path), src)
    first = rel.split(os.sep)[0]
    return first if first in TOPS else None


def check_folders(src, build, rows, bad):
    allowed = {}
    for cells in rows:
        folder = cells[0].strip("`/ ")
        uses = cells[1]
        if "everything" in uses:
            allowed[folder] = (set(TOPS), True)
            continue
        tops = {t for t in TOPS if re.search(r"\b%s\b" % t, uses)} | {folder}
        allowed[folder] = (tops, "DPDK" in uses)
    with open(os.path.join(build, "compile_commands.json")) as f:
        cmds = json.load(f)
    for c in cmds:
        path = os.path.join(c["directory"], c["file"])
        folder = top_of(path, src)
        if folder is None or folder not in allowed:
            continue
        tops, dpdk = allowed[folder]
        args = c.get("arguments") or c["command"].split()
        for i, a in enumerate(args):
            inc = a[2:] if a.startswith("-I") else None
            if inc is None:
                continue
            if inc == "":
                inc = args[i + 1]
            full = os.path.normpath(os.path.join(c["directory"], inc))
            if "/dpdk" in full and full.startswith("/usr/"):
                if not dpdk:
                    bad.append("%s: compiled against DPDK headers; %s/ may not use DPDK"
                               % (os.path.relpath(path, src), folder))
                continue
            t = top_of(full, src)
            if full.startswith(os.path.realpath(build)):
                t = top_of(os.path.join(src, os.path.relpath(full, os.path.realpath(build))), src)
            if t is not None and t not in tops:
                bad.append("%s: includes from %s/, which %s/ may not use (docs/ARCHITECTURE.md)"
                           % (os.path.relpath(path, src), t, folder))


def check_programs(build, rows, bad):
    want = {}
    for cells in rows:
        prog = cells[0].strip("` ")
        want[prog] = set(re.findall(r"\bsb_\w+", cells[1]))
    seen = set()
    with open(os.path.join(build, "build.ninja")) as f:
        for line in f:
            m = re.match(r"build ([^ :]+): c_LINKER (.*)", line)
            if m is None:
                continue
            prog = os.path.basename(m.group(1))
            if prog not in want:
                continue
            seen.add(prog)
            got = set(re.findall(r"lib(sb_\w+)\.a\b", m.group(2)))
            for lib in sorted(got - want[prog]):
                bad.append("%s links %s, which the deps:programs table does not list" % (prog, lib))
            for lib in sorted(want[prog] - got):
                bad.append("%s does not link %s, which the deps:programs table lists" % (prog, lib))
    for prog in sorted(set(want) - seen):
        bad.append("%s is in the deps:programs table but not in the build" % prog)


def main():
    src, build = os.path.realpath(sys.argv[1]), os.path.realpath(sys.argv[2])
    with open(os.path.join(src, "docs", "ARCHITECTURE.md")) as f:
        doc = f.read()
    bad = []
    check_folders(src, build, table(doc, "folders"), bad)
    check_programs(build, table(doc, "programs"), bad)
    for b in sorted(set(bad)):
        print(b)
    if bad:
        print("check-deps: the build and docs/ARCHITECTURE.md disagree (see above)")
        return 1
    print("check-deps: the build matches docs/ARCHITECTURE.md's dependency tables")
    return 0


if __name__ == "__main__":
    sys.exit(main())
