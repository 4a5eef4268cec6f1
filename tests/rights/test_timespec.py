"""ISO 8601 time specs: intervals, durations from now, repeating intervals; bad ones refused."""

from __future__ import annotations

import datetime as dt

import pytest

from rights.errors import TimeIntervalEmpty, TimeSpecInvalid, TimeSpecNotRepeating
from rights.validators.timespec import (
    Repeating,
    format_instant,
    parse_duration,
    parse_interval,
    parse_repeating,
)

UTC = dt.UTC
NOW = dt.datetime(2026, 1, 31, 12, 0, tzinfo=UTC)


def test_start_end_interval():
    interval = parse_interval("2015-03-07T12:13:20Z/2015-04-07T12:13:20Z")
    assert interval.start == dt.datetime(2015, 3, 7, 12, 13, 20, tzinfo=UTC)
    assert interval.end == dt.datetime(2015, 4, 7, 12, 13, 20, tzinfo=UTC)


def test_start_and_duration_and_offsets_become_utc():
    interval = parse_interval("2015-03-07T14:13:20+02:00/P2D")
    assert interval.start == dt.datetime(2015, 3, 7, 12, 13, 20, tzinfo=UTC)
    assert interval.end == dt.datetime(2015, 3, 9, 12, 13, 20, tzinfo=UTC)


def test_a_duration_alone_runs_from_now():
    interval = parse_interval("P2D", now=NOW)
    assert (interval.start, interval.end) == (NOW, NOW + dt.timedelta(days=2))


def test_duration_before_an_end():
    interval = parse_interval("PT1H/2026-01-31T12:00:00Z")
    assert interval.start == NOW - dt.timedelta(hours=1)


@pytest.mark.parametrize(
    "spec",
    [
        "",
        "tomorrow",
        "2015-03-07/P2D",  # no time
        "2015-03-07T12:13:20/P2D",  # no offset
        "P2D/P3D",
        "a/b/c",
        "P",
        "P-1D",
        "PT0S",
        "2015-03-07T12:13:20Z/9999-12-31T23:59:59Z/x",
        "9999-12-31T00:00:00Z/P2D",
        "R/2015-03-07T12:13:20Z/P1M",
        "x" * 300,
        "P1D\x00",
        None,
        42,
    ],
)
def test_malformed_intervals_are_refused_with_a_code(spec):
    with pytest.raises(TimeSpecInvalid) as caught:
        parse_interval(spec, now=NOW)
    assert caught.value.code == "time_spec_invalid"


def test_an_interval_ending_before_it_starts_is_empty():
    with pytest.raises(TimeIntervalEmpty):
        parse_interval("2015-04-07T00:00:00Z/2015-03-07T00:00:00Z")


def test_repeating_from_a_start_keeps_month_ends():
    spec = parse_repeating("R/2026-01-31T00:00:00Z/P1M")
    assert spec.repetitions is None and spec.end is None
    assert [spec.period_start(i).date().isoformat() for i in range(4)] == [
        "2026-01-31",
        "2026-02-28",
        "2026-03-31",
        "2026-04-30",
    ]
    assert spec.isoformat() == "R/2026-01-31T00:00:00Z/P1M"


@pytest.mark.parametrize("text", ["R//P1M", "R/P1M"])
def test_repeating_without_a_start_starts_now(text):
    spec = parse_repeating(text, now=NOW)
    assert spec.start == NOW
    assert spec.isoformat() == "R/2026-01-31T12:00:00Z/P1M"


def test_bounded_repetitions_end():
    spec = parse_repeating("R3/2026-01-01T00:00:00Z/P1D")
    assert spec.repetitions == 3
    assert spec.end == dt.datetime(2026, 1, 4, tzinfo=UTC)


@pytest.mark.parametrize(
    ("moment", "index"),
    [
        ("2025-12-01T00:00:00Z", 0),
        ("2026-01-31T00:00:00Z", 0),
        ("2026-02-27T23:59:59Z", 0),
        ("2026-02-28T00:00:00Z", 1),
        ("2027-01-31T00:00:00Z", 12),
    ],
)
def test_the_period_containing_a_moment(moment, index):
    spec = Repeating(start=dt.datetime(2026, 1, 31, tzinfo=UTC), period=parse_duration("P1M"))
    assert spec.index_at(dt.datetime.fromisoformat(moment)) == index


def test_a_plain_interval_is_not_repeating():
    with pytest.raises(TimeSpecNotRepeating):
        parse_repeating("2015-03-07T12:13:20Z/P1M")


@pytest.mark.parametrize("spec", ["R0/2026-01-01T00:00:00Z/P1D", "Rx//P1M", "R//", "R/a/b/c"])
def test_malformed_repeating_specs(spec):
    with pytest.raises(TimeSpecInvalid):
        parse_repeating(spec, now=NOW)


def test_instants_print_in_utc_with_z():
    moment = dt.datetime(2015, 3, 7, 13, 13, 20, tzinfo=dt.timezone(dt.timedelta(hours=1)))
    assert format_instant(moment) == "2015-03-07T12:13:20Z"
    assert format_instant(moment.replace(microsecond=500000)) == "2015-03-07T12:13:20.5Z"
