#!/usr/bin/env python3
"""The merge of halves, interleaved: ROUNDS times, Cairn (bench-ydoc in its
BENCH_HALVES mode) then pycrdt (yrs), each the mean of N merges back to back.
A shared machine's load moves both sides of one round alike, so the median of
the per-round ratios is steadier than two runs minutes apart.
Usage: ydoc_merge_rounds.py BENCH_YDOC HALVES_DIR [ROUNDS [N]]"""
import os
import statistics
import subprocess
import sys
import time

from pycrdt import Doc

binary, halves = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 7
n = int(sys.argv[4]) if len(sys.argv) > 4 else 300
a = open(os.path.join(halves, "a.update"), "rb").read()
b = open(os.path.join(halves, "b.update"), "rb").read()


def yrs_mean():
    doc = None
    t0 = time.perf_counter()
    for _ in range(n):
        doc = Doc()
        doc.apply_update(a)
        doc.apply_update(b)
        doc = None
    return (time.perf_counter() - t0) / n


def cairn_mean():
    env = dict(os.environ, BENCH_HALVES=halves, BENCH_MERGE_LOOP=str(n))
    out = subprocess.run([binary], env=env, capture_output=True, text=True, check=True).stdout.split()
    # "a: SECONDS b: SECONDS sizes ...": loading each half, per merge (b includes
    # freeing the document, as yrs_mean does).
    return float(out[1]) + float(out[3])


ratios, cairn, yrs = [], [], []
for _ in range(rounds):
    c, y = cairn_mean(), yrs_mean()
    cairn.append(c)
    yrs.append(y)
    ratios.append(c / y)
print(f"rounds={rounds} cairn_median_seconds={statistics.median(cairn)} yrs_median_seconds={statistics.median(yrs)} "
      f"ratio_median={statistics.median(ratios)} ratio_min={min(ratios)} ratio_max={max(ratios)}")
