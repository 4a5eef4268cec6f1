"""ISO 8601 time specs of rights and subscriptions, parsed with isodate.

Accepted forms (ISO 8601-1:2019 §5.5, intervals and recurring intervals):
  `start/end`, `start/PnD` (duration after a start), `PnD/end` (duration before an end),
  `PnD` (a duration from now), `R/start/P1M` and `Rn/start/P1M` (repeating, unbounded or n
  times) and `R//P1M` or `R/P1M` (repeating from now). Times need `Z` or an offset: a time
  without one would mean a different instant on every server. Instants are kept to the second
  when they come from "now", so that what is shown is what is stored.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from typing import Any, TypeAlias

import isodate

from rights.errors import TimeIntervalEmpty, TimeSpecInvalid, TimeSpecNotRepeating

# isodate's Duration (months, years) is untyped; a timedelta otherwise.
Duration: TypeAlias = Any
MAX_SPEC_LENGTH = 200
_REPEAT_RE = re.compile(r"R(\d*)")


@dataclass(frozen=True)
class Interval:
    start: dt.datetime
    end: dt.datetime


@dataclass(frozen=True)
class Repeating:
    """Period i covers [start + i·period, start + (i+1)·period); `repetitions` None: unbounded."""

    start: dt.datetime
    period: Duration
    repetitions: int | None = None

    def period_start(self, index: int) -> dt.datetime:
        # From the anchor each time: Jan 31 + 2 months is Mar 31, not Mar 28.
        return self.start + self.period * index if index else self.start

    def index_at(self, moment: dt.datetime) -> int:
        """The index of the period containing *moment* (0 before the start)."""
        if moment <= self.start:
            return 0
        # An estimate from the period's nominal length, corrected by stepping.
        nominal = (self.period_start(1) - self.start).total_seconds()
        index = max(0, int((moment - self.start).total_seconds() // nominal) - 1)
        while self.period_start(index + 1) <= moment:
            index += 1
        while index and self.period_start(index) > moment:
            index -= 1
        return index

    @property
    def end(self) -> dt.datetime | None:
        return None if self.repetitions is None else self.period_start(self.repetitions)

    def isoformat(self, repetitions: int | None = None) -> str:
        count = self.repetitions if repetitions is None else repetitions
        times = "" if count is None else count
        return f"R{times}/{format_instant(self.start)}/{format_duration(self.period)}"


def utc_now() -> dt.datetime:
    return dt.datetime.now(dt.UTC).replace(microsecond=0)


def format_instant(moment: dt.datetime) -> str:
    """UTC with Z (spec §1.3 example), fractions of a second only when there are some."""
    utc = moment.astimezone(dt.UTC)
    text = utc.strftime("%Y-%m-%dT%H:%M:%S")
    if utc.microsecond:
        text += f".{utc.microsecond:06d}".rstrip("0")
    return text + "Z"


def format_interval(start: dt.datetime, end: dt.datetime) -> str:
    return f"{format_instant(start)}/{format_instant(end)}"


def format_duration(duration: Duration) -> str:
    return str(isodate.duration_isoformat(duration))


def parse_instant(text: str) -> dt.datetime:
    try:
        moment = isodate.parse_datetime(text)
    except (isodate.ISO8601Error, ValueError, OverflowError, TypeError):
        raise TimeSpecInvalid(f"{text!r} is not an ISO 8601 date and time.") from None
    if moment.tzinfo is None or moment.utcoffset() is None:
        raise TimeSpecInvalid(f"{text!r} needs Z or a UTC offset.")
    return moment.astimezone(dt.UTC)


def _duration(text: str) -> Duration:
    if not text.startswith("P"):
        raise TimeSpecInvalid(f"{text!r} is not an ISO 8601 duration.")
    try:
        duration = isodate.parse_duration(text)
    except (isodate.ISO8601Error, ValueError, OverflowError, TypeError):
        raise TimeSpecInvalid(f"{text!r} is not an ISO 8601 duration.") from None
    probe = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    try:
        if probe + duration <= probe:
            raise TimeSpecInvalid(f"{text!r}: a duration must be positive.")
    except OverflowError:
        raise TimeSpecInvalid(f"{text!r} is too long.") from None
    return duration


def _add(start: dt.datetime, duration: Duration) -> dt.datetime:
    try:
        return start + duration
    except (OverflowError, ValueError):
        raise TimeSpecInvalid("The interval ends after year 9999.") from None


def _check_text(spec: object) -> str:
    if not isinstance(spec, str) or not spec.strip() or len(spec) > MAX_SPEC_LENGTH:
        raise TimeSpecInvalid()
    if "\x00" in spec:
        raise TimeSpecInvalid()
    return spec.strip()


def parse_interval(spec: object, *, now: dt.datetime | None = None) -> Interval:
    """The interval *spec* names (`start/end`, `start/P…`, `P…/end` or `P…` from *now*).

    Raise TimeSpecInvalid, or TimeIntervalEmpty when it does not end after it starts.
    """
    text = _check_text(spec)
    now = now or utc_now()
    if text.startswith("R"):
        raise TimeSpecInvalid("A repeating time spec does not name one interval.")
    parts = text.split("/")
    if len(parts) == 1:
        start = now
        end = _add(start, _duration(parts[0]))
    elif len(parts) == 2:
        first, second = parts
        if first.startswith("P") and second.startswith("P"):
            raise TimeSpecInvalid("An interval cannot be two durations.")
        if first.startswith("P"):
            end = parse_instant(second)
            try:
                start = end - _duration(first)
            except (OverflowError, ValueError):
                raise TimeSpecInvalid("The interval starts before year 1.") from None
        else:
            start = parse_instant(first)
            end = (
                _add(start, _duration(second)) if second.startswith("P") else parse_instant(second)
            )
    else:
        raise TimeSpecInvalid()
    if end <= start:
        raise TimeIntervalEmpty()
    return Interval(start=start, end=end)


def parse_repeating(spec: object, *, now: dt.datetime | None = None) -> Repeating:
    """The recurring interval *spec* names: `R[n]/start/P…`, `R[n]//P…` or `R[n]/P…` (from now).

    Raise TimeSpecNotRepeating for a plain interval, TimeSpecInvalid for anything malformed.
    """
    text = _check_text(spec)
    now = now or utc_now()
    parts = text.split("/")
    match = _REPEAT_RE.fullmatch(parts[0])
    if match is None:
        if parts[0].startswith("R"):
            raise TimeSpecInvalid()
        raise TimeSpecNotRepeating()
    repetitions = int(match.group(1)) if match.group(1) else None
    if repetitions is not None and not 1 <= repetitions <= 10_000:
        raise TimeSpecInvalid("A repeating time spec repeats 1 to 10000 times.")
    if len(parts) == 2:
        start, period = now, _duration(parts[1])
    elif len(parts) == 3:
        start = parse_instant(parts[1]) if parts[1] else now
        period = _duration(parts[2])
    else:
        raise TimeSpecInvalid()
    spec_out = Repeating(start=start, period=period, repetitions=repetitions)
    # Every period must be representable (an R10000/…/P1000Y would overflow).
    if repetitions is not None:
        try:
            spec_out.period_start(repetitions)
        except (OverflowError, ValueError):
            raise TimeSpecInvalid("The last period ends after year 9999.") from None
    return spec_out


def parse_duration(spec: object) -> Duration:
    """A positive ISO 8601 duration (`P1M`, `PT12H`); raise TimeSpecInvalid otherwise."""
    return _duration(_check_text(spec))
