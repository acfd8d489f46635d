"""Log times: what a line starts with, and how it becomes UTC."""

from __future__ import annotations

from datetime import UTC, datetime

import pandas as pd
import pytest

from pbxlab.capture.logs.timestamps import (
    Stamp,
    TimeResolver,
    complete_stamp,
    leading_stamp,
    parse_stamp,
)
from pbxlab.errors import InputError


@pytest.mark.parametrize(
    ("line", "stamp"),
    [
        ("[2012-02-13 17:21:54] NOTICE[1638] chan_sip.c:", Stamp(2012, 2, 13, 17, 21, 54)),
        ("[2026-01-07 11:25:15,523] VERBOSE[13892]", Stamp(2026, 1, 7, 11, 25, 15, 523000)),
        ("[Feb  2 11:45:23] NOTICE[1362]", Stamp(None, 2, 2, 11, 45, 23)),
        ("messages-20170203:[Feb  2 11:45:23] NOTICE", Stamp(None, 2, 2, 11, 45, 23)),
        ("verbose.5:[2022-04-19 15:21:15] VERBOSE", Stamp(2022, 4, 19, 15, 21, 15)),
        ("Nov 4 18:30:40 localhost asterisk[32229]:", Stamp(None, 11, 4, 18, 30, 40)),
        ("│Feb  9 16:19:47.152646 spce proxy[22541]:", Stamp(None, 2, 9, 16, 19, 47, 152646)),
        ("> 2025-01-22 12:01:13.083037 [WARNING]", Stamp(2025, 1, 22, 12, 1, 13, 83037)),
        ("**_> 2025-01-22 12:01:58.522687 [WARNING]", Stamp(2025, 1, 22, 12, 1, 58, 522687)),
        ("08-03 07:56:53.026292 [WARN] [SOFIA]", Stamp(None, 8, 3, 7, 56, 53, 26292)),
        (
            "2016-09-25T18:57:58.150982 www.srv.tld freeswitch[122921]: 2016-09-25 18:57:58",
            Stamp(2016, 9, 25, 18, 57, 58, 150982),
        ),
        ("2024-05-01T10:00:00+02:00 host app:", Stamp(2024, 5, 1, 10, 0, 0, 0, 7200)),
        ("2024-05-01T10:00:00Z", Stamp(2024, 5, 1, 10, 0, 0, 0, 0)),
        ("NOTICE[566]: chan_sip.c:28926 handle_request_register:", None),
        ("    -- Contact 101/sip:x is now Reachable", None),
        ("Foo  2 11:45:23 not a month", None),
    ],
)
def test_leading_stamp(line: str, stamp: Stamp | None) -> None:
    assert leading_stamp(line) == stamp


@pytest.mark.parametrize(
    ("text", "stamp"),
    [
        ("1373098165-824497", Stamp(2013, 7, 6, 8, 9, 25, 824497, 0)),
        ("1510231303", Stamp(2017, 11, 9, 12, 41, 43, 0, 0)),
        ("2021-12-21T12:57:01.209+0000", Stamp(2021, 12, 21, 12, 57, 1, 209000, 0)),
        ("2015-05-24T08:42:16.296+0300", Stamp(2015, 5, 24, 8, 42, 16, 296000, 10800)),
    ],
)
def test_parse_stamp(text: str, stamp: Stamp) -> None:
    assert parse_stamp(text) == stamp


@pytest.mark.parametrize(
    ("prefix", "own", "expected"),
    [
        (
            Stamp(None, 12, 21, 12, 57, 1),
            Stamp(2021, 12, 21, 12, 57, 1, 209000, 0),
            Stamp(2021, 12, 21, 12, 57, 1),
        ),
        (
            Stamp(None, 1, 1, 0, 0, 1),
            Stamp(2021, 12, 31, 23, 59, 59, 0, 0),
            Stamp(None, 1, 1, 0, 0, 1),
        ),  # different month: no safe year
        (
            Stamp(2013, 5, 13, 7, 10, 53),
            Stamp(2013, 5, 13, 10, 10, 53, 500975, 0),
            Stamp(2013, 5, 13, 7, 10, 53),
        ),  # a dated prefix wins
        (None, Stamp(2024, 7, 8, 22, 25, 10, 0, -21600), Stamp(2024, 7, 8, 22, 25, 10, 0, -21600)),
        (Stamp(None, 3, 6, 8, 44, 27), None, Stamp(None, 3, 6, 8, 44, 27)),
    ],
)
def test_complete_stamp(prefix: Stamp | None, own: Stamp | None, expected: Stamp) -> None:
    assert complete_stamp(prefix, own) == expected


def test_parse_stamp_refuses_non_times() -> None:
    with pytest.raises(ValueError, match="not a time"):
        parse_stamp("yesterday")


def _utc(ns: int) -> pd.Timestamp:
    return pd.Timestamp(ns, tz="UTC")


def test_year_from_reference_places_dates_before_it() -> None:
    resolver = TimeResolver(reference=datetime(2005, 8, 14, 12, 0, tzinfo=UTC))
    assert _utc(resolver.to_ns(Stamp(None, 11, 4, 18, 30, 40))) == pd.Timestamp(
        "2004-11-04 18:30:40", tz="UTC"
    )
    assert _utc(resolver.to_ns(Stamp(None, 8, 14, 20, 0, 0))).year == 2005  # one day of slack


def test_given_year_wraps_from_december_to_january() -> None:
    resolver = TimeResolver(year=2023)
    stamps = [
        Stamp(None, 12, 31, 23, 59, 0),
        Stamp(None, 1, 1, 0, 1, 0),
        Stamp(None, 1, 2, 0, 0, 0),
    ]
    years = [_utc(resolver.to_ns(s)).year for s in stamps]
    assert years == [2023, 2024, 2024]


def test_given_year_does_not_wrap_on_small_disorder() -> None:
    resolver = TimeResolver(year=2022)
    assert _utc(resolver.to_ns(Stamp(None, 3, 6, 8, 44, 27))).year == 2022
    assert _utc(resolver.to_ns(Stamp(None, 3, 6, 8, 44, 25))).year == 2022


def test_leap_day_without_year_goes_to_a_leap_year() -> None:
    resolver = TimeResolver(reference=datetime(2026, 6, 1, tzinfo=UTC))
    assert _utc(resolver.to_ns(Stamp(None, 2, 29, 10, 0, 0))).year == 2024


def test_local_time_zone_and_explicit_offsets() -> None:
    paris = TimeResolver(tz="Europe/Paris", year=2024)
    assert _utc(paris.to_ns(Stamp(2024, 7, 1, 12, 0, 0))) == pd.Timestamp(
        "2024-07-01 10:00", tz="UTC"
    )
    assert _utc(paris.to_ns(Stamp(2024, 1, 1, 12, 0, 0))) == pd.Timestamp(
        "2024-01-01 11:00", tz="UTC"
    )
    # a written offset wins over tz
    assert _utc(paris.to_ns(Stamp(2024, 7, 1, 12, 0, 0, 0, 0))) == pd.Timestamp(
        "2024-07-01 12:00", tz="UTC"
    )


def test_comma_and_dot_milliseconds_agree() -> None:
    assert leading_stamp("[2026-01-07 11:25:15,523]") == leading_stamp("[2026-01-07 11:25:15.523]")


def test_unknown_zone_is_an_input_error() -> None:
    with pytest.raises(InputError, match="unknown time zone 'Mars/Olympus'"):
        TimeResolver(tz="Mars/Olympus")


def test_impossible_date_raises_value_error() -> None:
    with pytest.raises(ValueError, match="day is out of range"):
        TimeResolver().to_ns(Stamp(2023, 2, 30, 0, 0, 0))
