#!/usr/bin/env python
"""Benchmark: org.business_time ``due`` and ``elapsed`` (pure, no database).

    .venv/bin/python bench/business_time_bench.py [--calls 10000]

Prints calls per second for 10,000 ``due`` calls with a one-week target (168 business hours,
about a month of a 9-17 weekday calendar) from starts spread over a year, on a fresh calendar
(cold day cache) and again (warm), and for ``elapsed`` over one to sixty days.
"""

import argparse
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from org.business_time import CalendarSpec, due, elapsed


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--calls", type=int, default=10_000)
    args = parser.parse_args()
    rng = random.Random(2026)
    year = datetime(2026, 1, 1, tzinfo=UTC)
    starts = [year + timedelta(minutes=rng.randrange(525_600)) for _ in range(args.calls)]
    holidays = frozenset({date(2026, 1, 1), date(2026, 4, 3), date(2026, 12, 25)})

    def calendar() -> CalendarSpec:
        hours = {d: [(clock(9), clock(12, 30)), (clock(13, 30), clock(17))] for d in range(5)}
        return CalendarSpec("Europe/Berlin", hours, holidays)

    def run(label: str, spec: CalendarSpec, fn: object) -> None:
        began = time.perf_counter()
        for start in starts:
            fn(spec, start)  # type: ignore[operator]
        seconds = time.perf_counter() - began
        print(f"{label:<52} {seconds:7.3f} s  {args.calls / seconds:10,.0f} calls/s")

    week = timedelta(weeks=1)
    spec = calendar()
    run("due, one-week target, cold calendar", spec, lambda s, t: due(s, t, week))
    run("due, one-week target, warm calendar", spec, lambda s, t: due(s, t, week))
    run("due, 4-hour target", spec, lambda s, t: due(s, t, timedelta(hours=4)))
    pause = [(year + timedelta(days=40), year + timedelta(days=43))]
    run("due, one-week target, one 3-day pause", spec, lambda s, t: due(s, t, week, pause))
    spans = [timedelta(days=rng.randint(1, 60)) for _ in starts]
    it = iter(spans * 2)
    run("elapsed over 1-60 days", spec, lambda s, t: elapsed(s, t, t + next(it)))
    always = CalendarSpec.always("America/New_York")
    run("due, one-week target, 24x7 across DST", always, lambda s, t: due(s, t, week))


if __name__ == "__main__":
    main()
