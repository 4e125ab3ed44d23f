#!/usr/bin/env python3
# t/readme-examples.py README OUTDIR: writes each example command of the
# README ("    $ cmd", "\" continuations joined) to OUTDIR/N.cmd and the
# output lines shown under it to OUTDIR/N.out. Used by t/0990-readme.sh.
# Licence: GPL-2.0-only.
import os
import sys

lines = open(sys.argv[1], encoding="utf-8").read().split("\n")
out = sys.argv[2]
n = 0
i = 0
while i < len(lines):
    line = lines[i]
    if not line.startswith("    $ "):
        i += 1
        continue
    cmd = line[6:]
    while cmd.endswith("\\") and i + 1 < len(lines):
        i += 1
        cmd = cmd[:-1] + lines[i].strip()
        if not cmd.endswith("\\"):
            cmd = cmd.replace("\\", "\\", 1)
    i += 1
    shown = []
    while i < len(lines) and lines[i].startswith("    ") and not lines[i].startswith("    $ "):
        shown.append(lines[i][4:])
        i += 1
    n += 1
    with open(os.path.join(out, "%03d.cmd" % n), "w", encoding="utf-8") as f:
        f.write(cmd + "\n")
    with open(os.path.join(out, "%03d.out" % n), "w", encoding="utf-8") as f:
        f.write("".join(s + "\n" for s in shown))
