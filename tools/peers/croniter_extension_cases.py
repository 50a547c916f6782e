"""Writes fixtures/cron/croniter-extension-cases.json: croniter's day
extensions (L and nW in day-of-month, w#k and Lw in day-of-week) as croniter
computes them, in the schema of croniter-cases.json. Seeded; run it again
only to regenerate with a newer croniter (and say so in fixtures/README.md).

    python3 tools/peers/croniter_extension_cases.py > fixtures/cron/croniter-extension-cases.json
"""
import json
import random
import sys
from datetime import datetime, timedelta, timezone
from zoneinfo import ZoneInfo

import croniter as croniter_module
from croniter import croniter, CroniterBadCronError, CroniterBadDateError

rng = random.Random(20261202)
fixed = [
    "0 0 L * *", "30 12 L * *", "0 0 1,L * *", "0 0 15-L * *", "0 0 10-L/5 * *", "0 0 L 2 *", "0 9 L JAN,APR,JUL,OCT *",
    "0 0 * * 5#2", "0 0 * * FRI#1", "0 0 * * fri#5", "0 0 * * 7#1", "0 0 * * 1#1,1#3", "0 0 * * MON-FRI#1",
    "0 0 * * L5", "0 0 * * L0", "0 0 * * L7", "0 18 * DEC L5", "0 0 * * L1,L5",
    "0 0 L * 1", "0 0 L * MON-FRI", "0 0 1,L * SUN", "0 0 1-7 * 1#1", "0 0 8-14 * 5#2", "0 0 20-L * L5",
    "0 0 15 * 5#2", "0 0 1 * L5", "0 0 L * 5#1", "0 0 31 2 L5", "0 0 L 2 1#5",
    "0 0 15W * *", "0 0 W15 * *", "0 0 1W * *", "0 0 31W * *", "0 0 30W 2 *", "0 12 15W * 1-5", "0 0 15W * SAT",
    "0 0 1W * 0", "0 0 15W * 5#3", "0 0 10W * L5", "0 0 20W JUN *",
    # Rejected by croniter (and by Cairn):
    "0 0 * * 5L", "0 0 L-2 * *", "0 0 * * L", "0 0 * * 1,5#2", "0 0 * * 5#6", "0 0 * * 5#0", "0 0 * * L8", "0 0 LW * *",
    "0 0 1,15W * *", "0 0 32W * *", "0 0 0W * *", "0 0 15W-20 * *",
]
weekdays = ["0", "1", "2", "3", "4", "5", "6", "7", "SUN", "MON", "TUE", "WED", "THU", "FRI", "SAT"]
for _ in range(60):
    minute = rng.choice(["0", "15", "*/20", "5,35"])
    hour = rng.choice(["0", "6", "9-17/4", "23"])
    month = rng.choice(["*", "*", "2", "1-6", "JUN,DEC", "*/3"])
    dom = rng.choice(["*", "*", "L", "1,L", f"{rng.randint(1, 28)}-L", f"{rng.randint(1, 31)}", "?", f"{rng.randint(1, 31)}W"])
    if rng.random() < 0.5:
        dow = f"{rng.choice(weekdays)}#{rng.randint(1, 5)}"
        if rng.random() < 0.3:
            dow += f",{rng.choice(weekdays)}#{rng.randint(1, 5)}"
    elif rng.random() < 0.5:
        dow = f"L{rng.randint(0, 7)}"
    else:
        dow = rng.choice(["*", "1-5", "SAT,SUN", "?"])
    fixed.append(f"{minute} {hour} {dom} {month} {dow}")

zones = ["UTC", "UTC", "UTC", "Europe/Berlin", "America/New_York", "Asia/Tokyo"]
cases = []
for expr in fixed:
    start = datetime(2020, 1, 1, tzinfo=timezone.utc) + timedelta(minutes=rng.randint(0, 8 * 365 * 1440))
    tz = rng.choice(zones)
    case = {"expr": expr, "start": start.strftime("%Y-%m-%dT%H:%M:%SZ"), "tz": tz}
    try:
        it = croniter(expr, start.astimezone(ZoneInfo(tz)))
    except (CroniterBadCronError, ValueError, KeyError):
        case["invalid"] = True
        cases.append(case)
        continue
    try:
        case["next"] = [it.get_next(datetime).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") for _ in range(5)]
        it = croniter(expr, start.astimezone(ZoneInfo(tz)))
        case["prev"] = [it.get_prev(datetime).astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ") for _ in range(3)]
    except CroniterBadDateError as error:
        case.pop("next", None)
        case.pop("prev", None)
        case["error"] = str(error)
    cases.append(case)

json.dump({
    "generator": f"croniter {croniter_module.__version__ if hasattr(croniter_module, '__version__') else '7.0.0'}",
    "dialect": "croniter's day extensions: L (alone, in lists, as a range's end) and nW in day-of-month, w#k and Lw in day-of-week",
    "seed": 20261202,
    "cases": cases,
}, sys.stdout, indent=1)
print()
