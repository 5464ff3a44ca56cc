"""Business time on a calendar: how much working time lies between two instants, and when a
target amount of working time is reached. Pure: no database access (``from_calendar`` only
reads a calendar's already-loaded rows).

Definition. An instant is *working* when its local wall-clock time (in the calendar's zone)
falls inside one of that local weekday's ``[start, end)`` intervals and its local date is not
a holiday, and it lies in no pause. Business time between two instants is the measure of the
working instants between them. So on the day clocks spring forward, 02:00-03:00 local does
not exist and counts nothing; on the day they fall back, a repeated local hour counts twice —
it was worked twice.

Exact to the microsecond (datetime arithmetic, no floats), and fast: it walks days (and whole
weeks at a time where nothing in the week is paused), never minutes, and remembers each day's
working intervals per calendar.
"""

from __future__ import annotations

import bisect
import itertools
import zoneinfo
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from org.models import BusinessCalendar

MIDNIGHT = time(0, 0)
ZERO = timedelta(0)
ONE_DAY = timedelta(days=1)
# A calendar with some working time finds it within a few weeks (holidays aside); a search
# that walks this far has no working time to find and stops with an error instead of looping.
MAX_SEARCH_DAYS = 366 * 20
_CACHE_LIMIT = 50_000

Interval = tuple[datetime, datetime]
Pause = tuple[datetime, datetime]


@dataclass(frozen=True, eq=False)
class CalendarSpec:
    """Working hours per local weekday (0 = Monday) as wall-clock ``[start, end)`` intervals;
    ``time(0, 0)`` as an end means the midnight that ends the day. Holidays are local dates."""

    tz: str
    hours: dict[int, list[tuple[time, time]]]
    holidays: frozenset[date] = frozenset()
    _zone: zoneinfo.ZoneInfo = field(init=False, repr=False)
    _days: dict[date, tuple[tuple[Interval, ...], timedelta]] = field(init=False, repr=False)
    _weeks: dict[date, timedelta] = field(init=False, repr=False)
    _midnights: dict[date, datetime] = field(init=False, repr=False)
    # every day whole and no holiday: business time is wall time
    round_the_clock: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        try:
            zone = zoneinfo.ZoneInfo(self.tz)
        except (zoneinfo.ZoneInfoNotFoundError, ValueError) as exc:
            raise ValueError(f"Unknown time zone {self.tz!r}.") from exc
        normalised: dict[int, list[tuple[time, time]]] = {}
        for weekday, intervals in self.hours.items():
            if weekday not in range(7):
                raise ValueError(f"Weekday must be 0 (Monday) to 6 (Sunday), not {weekday!r}.")
            ordered = sorted(intervals)
            for start, end in ordered:
                if end != MIDNIGHT and end <= start:
                    raise ValueError(f"Working hours must end after they start ({start}-{end}).")
            for (_, end), (next_start, _) in itertools.pairwise(ordered):
                if end == MIDNIGHT or next_start < end:
                    raise ValueError(f"Working hours on weekday {weekday} overlap.")
            if ordered:
                normalised[weekday] = ordered
        object.__setattr__(self, "hours", normalised)
        object.__setattr__(self, "holidays", frozenset(self.holidays))
        object.__setattr__(self, "_zone", zone)
        object.__setattr__(self, "_days", {})
        object.__setattr__(self, "_weeks", {})
        object.__setattr__(self, "_midnights", {})
        whole_day = [(MIDNIGHT, MIDNIGHT)]
        object.__setattr__(
            self,
            "round_the_clock",
            not self.holidays and all(normalised.get(d) == whole_day for d in range(7)),
        )

    @classmethod
    def always(cls, tz: str = "UTC") -> CalendarSpec:
        """24 x 7: every instant is working time."""
        return cls(tz=tz, hours={day: [(MIDNIGHT, MIDNIGHT)] for day in range(7)})

    @classmethod
    def from_calendar(cls, calendar: BusinessCalendar) -> CalendarSpec:
        """From a calendar row; prefetch ``hours`` and ``holidays`` to read it in no query."""
        hours: dict[int, list[tuple[time, time]]] = {}
        for row in calendar.hours.all():
            hours.setdefault(int(row.weekday), []).append((row.start, row.end))
        holidays = frozenset(h.date for h in calendar.holidays.all())
        return cls(tz=calendar.time_zone, hours=hours, holidays=holidays)

    # --- Working intervals of one local day, as absolute (UTC) instants --------------------
    def local_date(self, moment: datetime) -> date:
        return moment.astimezone(self._zone).date()

    def day(self, day: date) -> tuple[tuple[Interval, ...], timedelta]:
        """The day's working intervals in UTC, in order, and their total."""
        cached = self._days.get(day)
        if cached is not None:
            return cached
        intervals: list[Interval] = []
        if day not in self.holidays:
            for start, end in self.hours.get(day.weekday(), ()):
                intervals.extend(self._absolute(day, start, end))
        intervals = _merge(intervals)
        result = (tuple(intervals), sum((b - a for a, b in intervals), ZERO))
        if len(self._days) >= _CACHE_LIMIT:
            self._days.clear()
            self._weeks.clear()
            self._midnights.clear()
        self._days[day] = result
        return result

    def week(self, first: date) -> timedelta:
        """Total working time of the seven local days from ``first``."""
        total = self._weeks.get(first)
        if total is None:
            total = sum((self.day(first + timedelta(days=i))[1] for i in range(7)), ZERO)
            self._weeks[first] = total
        return total

    def midnight(self, day: date) -> datetime:
        """The first instant of a local day, in UTC."""
        instant = self._midnights.get(day)
        if instant is None:
            instant = datetime.combine(day, MIDNIGHT, self._zone).astimezone(UTC)
            self._midnights[day] = instant
        return instant

    def _absolute(self, day: date, start: time, end: time) -> Iterator[Interval]:
        """Instants whose local wall-clock time lies in ``[day+start, day+end)``: one interval
        per stretch of constant UTC offset (two on a day whose offset changes inside it)."""
        wall_start = datetime.combine(day, start)
        wall_end = datetime.combine(day + ONE_DAY if end == MIDNIGHT else day, end)
        for piece_start, piece_end, offset in self._pieces(day):
            # In this piece, local wall time = UTC + offset, a straight line.
            lo = max(piece_start, (wall_start - offset).replace(tzinfo=UTC))
            hi = min(piece_end, (wall_end - offset).replace(tzinfo=UTC))
            if lo < hi:
                yield lo, hi

    def _pieces(self, day: date) -> list[tuple[datetime, datetime, timedelta]]:
        """The local day as UTC stretches of constant offset, with that offset. The day runs
        from the first instant of local midnight to that of the next (a midnight that falls in
        a gap maps to the transition itself)."""
        begin, finish = self.midnight(day), self.midnight(day + ONE_DAY)
        pieces = []
        cursor = begin
        while cursor < finish:
            offset = self._offset(cursor)
            change = self._next_change(cursor, finish, offset)
            pieces.append((cursor, change, offset))
            cursor = change
        return pieces

    def _offset(self, moment: datetime) -> timedelta:
        offset = moment.astimezone(self._zone).utcoffset()
        assert offset is not None
        return offset

    def _next_change(self, lo: datetime, hi: datetime, offset: timedelta) -> datetime:
        """The first instant in ``(lo, hi)`` with another UTC offset, else ``hi``; zones
        change offset on whole seconds, so a bisection to the second is exact."""
        if self._offset(hi - timedelta(seconds=1)) == offset:
            return hi
        low, high = 0, int((hi - lo).total_seconds())
        while high - low > 1:
            mid = (low + high) // 2
            if self._offset(lo + timedelta(seconds=mid)) == offset:
                low = mid
            else:
                high = mid
        return lo + timedelta(seconds=high)


# --- Public functions --------------------------------------------------------------------
def elapsed(
    spec: CalendarSpec, start: datetime, end: datetime, pauses: Iterable[Pause] = ()
) -> timedelta:
    """Business time in ``[start, end)``, leaving out holidays and the pause intervals."""
    _aware(start, "start")
    _aware(end, "end")
    if end <= start:
        return ZERO
    paused = _normalise_pauses(pauses)
    if spec.round_the_clock and not paused:
        # in UTC: between two times of one zone Python subtracts wall clocks (off by the DST
        # shift); the day-by-day walk below gives the same (a queue row's time left, 500 clocks
        # sorted for "breaching soon")
        return end.astimezone(UTC) - start.astimezone(UTC)
    pause_starts = [p[0] for p in paused]
    total = ZERO
    first = day = spec.local_date(start)
    last = spec.local_date(end)
    while day <= last:
        # A whole week strictly inside (start, end) with no pause in it counts at once.
        if (
            day > first
            and day + timedelta(days=6) < last
            and not _week_paused(spec, day, paused, pause_starts)
        ):
            total += spec.week(day)
            day += timedelta(days=7)
            continue
        intervals, day_total = spec.day(day)
        if day_total:
            for a, b in intervals:
                lo, hi = max(a, start), min(b, end)
                if lo < hi:
                    total += (hi - lo) - _overlap(paused, lo, hi)
        day += ONE_DAY
    return total


def due(
    spec: CalendarSpec, start: datetime, target: timedelta, pauses: Iterable[Pause] = ()
) -> datetime:
    """The earliest instant at which ``elapsed(spec, start, instant, pauses)`` reaches
    ``target``, in the time zone of ``start``."""
    _aware(start, "start")
    if target < ZERO:
        raise ValueError("A target cannot be negative.")
    if target == ZERO:
        return start
    paused = _normalise_pauses(pauses)
    pause_starts = [p[0] for p in paused]
    remaining = target
    day = spec.local_date(start)
    for step in range(MAX_SEARCH_DAYS):
        # Skip a whole week at once where nothing in it is paused and the target lies beyond.
        if step:
            week_total = spec.week(day)
            if remaining > week_total and not _week_paused(spec, day, paused, pause_starts):
                remaining -= week_total
                day += timedelta(days=7)
                continue
        intervals, day_total = spec.day(day)
        if day_total:
            for a, b in intervals:
                lo = max(a, start)
                if lo >= b:
                    continue
                for x, y in _unpaused(paused, pause_starts, lo, b):
                    span = y - x
                    if span >= remaining:
                        return (x + remaining).astimezone(start.tzinfo)
                    remaining -= span
        day += ONE_DAY
    raise ValueError(
        f"The calendar has no working time to reach {target} within {MAX_SEARCH_DAYS} days."
    )


# --- Helpers -----------------------------------------------------------------------------
def _aware(moment: datetime, name: str) -> None:
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise ValueError(f"{name} must be an aware datetime (with a time zone).")


def _merge(intervals: Sequence[Interval]) -> list[Interval]:
    merged: list[Interval] = []
    for a, b in sorted(intervals):
        if merged and a <= merged[-1][1]:
            if b > merged[-1][1]:
                merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged


def _normalise_pauses(pauses: Iterable[Any]) -> list[Interval]:
    cleaned = []
    for pause in pauses:
        a, b = pause
        _aware(a, "a pause's start")
        _aware(b, "a pause's end")
        if a < b:
            cleaned.append((a.astimezone(UTC), b.astimezone(UTC)))
    return _merge(cleaned)


def _overlap(paused: Sequence[Interval], lo: datetime, hi: datetime) -> timedelta:
    total = ZERO
    for a, b in paused:
        if a >= hi:
            break
        if b > lo:
            total += min(b, hi) - max(a, lo)
    return total


def _week_paused(
    spec: CalendarSpec, first: date, paused: Sequence[Interval], starts: Sequence[datetime]
) -> bool:
    """Whether any pause overlaps the seven local days from ``first``."""
    if not paused:
        return False
    hi = spec.midnight(first + timedelta(days=7))
    i = bisect.bisect_left(starts, hi)  # pauses starting before the week ends
    # Merged pauses are disjoint and ordered: the last one starting before the week ends
    # reaches furthest.
    return i > 0 and paused[i - 1][1] > spec.midnight(first)


def _unpaused(
    paused: Sequence[Interval], starts: Sequence[datetime], lo: datetime, hi: datetime
) -> Iterator[Interval]:
    """``[lo, hi)`` minus the (merged, ordered) pauses, as ordered pieces."""
    if not paused:
        yield lo, hi
        return
    cursor = lo
    i = max(bisect.bisect_right(starts, lo) - 1, 0)
    for a, b in paused[i:]:
        if a >= hi:
            break
        if b <= cursor:
            continue
        if a > cursor:
            yield cursor, a
        cursor = max(cursor, b)
        if cursor >= hi:
            return
    if cursor < hi:
        yield cursor, hi
