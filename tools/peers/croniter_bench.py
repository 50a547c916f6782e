#!/usr/bin/env python3
"""croniter computing the same fire times as bench-scheduler: for each
expression in the file, PER next fire times from 2026-01-05T00:05:00Z."""
import sys
import time
from datetime import datetime, timezone

from croniter import croniter

expressions = open(sys.argv[1]).read().split("\n")
per = int(sys.argv[2])
start_time = datetime(2026, 1, 5, 0, 5, tzinfo=timezone.utc)
t0 = time.perf_counter()
checksum = 0
for expression in expressions:
    it = croniter(expression, start_time)
    for _ in range(per):
        checksum += int(it.get_next(float))
print(f"fires={len(expressions) * per} seconds={time.perf_counter() - t0} checksum={checksum}")
