"""Times as logs write them, and how they become UTC.

Strategy: parsing and resolving are separate.  :func:`leading_stamp` and
:func:`parse_stamp` are pure: they read the time a log line *starts with* (or a
time field) into a :class:`Stamp` that keeps what was written -- possibly no
year (syslog ``Feb  2 11:45:23``, FreeSWITCH ``08-03 07:56:53``), possibly no
zone.  A :class:`TimeResolver` then supplies what the text lacks:

* the year: either ``year`` (the year of the file's first dated line, moving on
  by one at each December -> January wrap), or a reference time (the file's
  modification time): each date is placed in the latest year that does not put
  it after the reference (one day of slack for clock and zone skew);
* the zone: naive times are local times in ``tz`` (default UTC); times that
  carry an offset (``Z``, ``+0300``) or are epoch seconds keep it.

Output is integer nanoseconds since the epoch, UTC.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta, timezone
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pbxlab.errors import InputError

MONTHS = {
    m: i
    for i, m in enumerate(
        ("jan", "feb", "mar", "apr", "may", "jun", "jul", "aug", "sep", "oct", "nov", "dec"), 1
    )
}
_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_NS_PER_US = 1000


@dataclass(frozen=True, slots=True)
class Stamp:
    """A time as written in a log: ``year`` None when the log omits it;
    ``utc_offset_s`` None for a local (naive) time, else the written offset."""

    year: int | None
    month: int
    day: int
    hour: int
    minute: int
    second: int
    microsecond: int = 0
    utc_offset_s: int | None = None

    @classmethod
    def from_epoch(cls, seconds: float) -> Stamp:
        """The UTC stamp of ``seconds`` since the epoch (a float keeps microseconds)."""
        moment = _EPOCH + timedelta(microseconds=round(seconds * 1_000_000))
        return cls.from_datetime(moment)

    @classmethod
    def from_datetime(cls, moment: datetime) -> Stamp:
        """A stamp from a datetime (naive -> local, aware -> its offset kept)."""
        offset = moment.utcoffset()
        return cls(
            moment.year,
            moment.month,
            moment.day,
            moment.hour,
            moment.minute,
            moment.second,
            moment.microsecond,
            None if offset is None else int(offset.total_seconds()),
        )


_FRACTION = r"(?:[.,](?P<{0}>\d{{1,9}}))?"
_TIME_PATTERN = (
    # ISO 8601 / Asterisk / FreeSWITCH / 3CX: 2012-02-13 17:21:54[,.]523[+03:00]
    r"(?P<Y>\d{4})[-/](?P<m>\d{2})[-/](?P<d>\d{2})[T ](?P<H>\d{2}):(?P<M>\d{2}):(?P<S>\d{2})"
    + _FRACTION.format("f")
    + r"(?P<z>Z|[+-]\d{2}:?\d{2}(?![\d:]))?"
    # syslog: Feb  2 11:45:23[.152646]
    r"|(?P<mon>[A-Z][a-z]{2})\s{1,2}(?P<sd>\d{1,2})\s(?P<sH>\d{2}):(?P<sM>\d{2}):(?P<sS>\d{2})"
    + _FRACTION.format("sf")
    # FreeSWITCH without a year: 08-03 07:56:53.026292
    + r"|(?P<mm>\d{2})-(?P<dd>\d{2})\s(?P<mH>\d{2}):(?P<mM>\d{2}):(?P<mS>\d{2})"
    + _FRACTION.format("mf")
)
# What may precede a line's time: quoting left by tickets and terminals (``> ``,
# ``│``, backticks, markdown emphasis) and a grep file prefix (``messages-20170203:``).
_LEADING = re.compile(r"[\s>│|*_`]{0,8}(?:[\w.\-/]+:(?=\[))?\[?(?:" + _TIME_PATTERN + r")")
_WHOLE = re.compile(r"\s*(?:" + _TIME_PATTERN + r")\s*")
_EPOCH_TEXT = re.compile(r"\s*(?P<s>\d{9,11})(?:[.\-](?P<f>\d{1,9}))?\s*")


def _fraction_us(text: str | None) -> int:
    if not text:
        return 0
    return int((text + "00000")[:6])


def _offset_s(text: str | None) -> int | None:
    if text is None:
        return None
    if text == "Z":
        return 0
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    return sign * (int(digits[:2]) * 3600 + int(digits[2:]) * 60)


def _stamp_from(match: re.Match[str]) -> Stamp | None:
    # groups by position (faster than by name on the reader's hot path):
    # 0-7 ISO, 8-13 syslog, 14-19 month-day
    g = match.groups()
    if g[0] is not None:
        return Stamp(
            int(g[0]),
            int(g[1]),
            int(g[2]),
            int(g[3]),
            int(g[4]),
            int(g[5]),
            _fraction_us(g[6]),
            _offset_s(g[7]),
        )
    if g[8] is not None:
        month = MONTHS.get(g[8].lower())
        if month is None:
            return None
        return Stamp(
            None, month, int(g[9]), int(g[10]), int(g[11]), int(g[12]), _fraction_us(g[13])
        )
    return Stamp(
        None, int(g[14]), int(g[15]), int(g[16]), int(g[17]), int(g[18]), _fraction_us(g[19])
    )


def leading_stamp(line: str) -> Stamp | None:
    """The time a log line starts with, or None when it starts with none.

    Accepts ``[2012-02-13 17:21:54]``, ``[2026-01-07 11:25:15,523]``, syslog
    ``Nov  4 18:30:40`` (with optional microseconds), ISO 8601 with ``T`` and an
    offset, FreeSWITCH ``08-03 07:56:53.026292``, after quoting characters or a
    ``file:`` prefix left by grep.  With two times (syslog wrapping another
    logger), the first one -- the time the line was logged -- wins.
    """
    match = _LEADING.match(line)
    return _stamp_from(match) if match else None


def complete_stamp(prefix: Stamp | None, own: Stamp | None) -> Stamp | None:
    """The time of a line: its ``prefix`` time, taking the year from a dated field
    of the message itself (``own``, e.g. a security event's ``EventTV``) when the
    prefix has none and both fall in the same month; ``own`` when there is no prefix.
    """
    if prefix is None:
        return own
    if (
        prefix.year is None
        and own is not None
        and own.year is not None
        and own.month == prefix.month
    ):
        return replace(prefix, year=own.year)
    return prefix


def parse_stamp(text: str) -> Stamp:
    """A whole time field: any :func:`leading_stamp` form, or epoch seconds
    (``1373098165``, ``1510231303.5``, Asterisk's ``1368439853-500975``).

    Raises ValueError naming the text when it is not a time.
    """
    match = _WHOLE.fullmatch(text)
    if match:
        stamp = _stamp_from(match)
        if stamp is not None:
            return stamp
    epoch = _EPOCH_TEXT.fullmatch(text)
    if epoch:
        seconds = int(epoch.group("s"))
        return Stamp.from_epoch(seconds + _fraction_us(epoch.group("f")) / 1_000_000)
    raise ValueError(f"not a time: {text!r}")


def zone(tz: str) -> ZoneInfo:
    """The IANA zone named ``tz``; raises InputError for an unknown name."""
    try:
        return ZoneInfo(tz)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise InputError(
            f"unknown time zone {tz!r} (use an IANA name like 'Europe/Paris')"
        ) from exc


class TimeResolver:
    """Turns the stamps of one file into UTC nanoseconds (see the module doc).

    ``year``: year of the first year-less stamp (wraps forward at Dec -> Jan);
    ``reference``: when ``year`` is None, year-less stamps fall in the latest
    year that keeps them before ``reference`` + 1 day.
    """

    _WRAP_MONTHS = 6

    def __init__(
        self, tz: str = "UTC", year: int | None = None, reference: datetime | None = None
    ) -> None:
        self.zone = zone(tz)
        self.year = year
        self.reference = reference or datetime.now(UTC)
        self._last_month: int | None = None

    def _year_of(self, stamp: Stamp) -> int:
        if self.year is not None:
            last = self._last_month
            if last is not None and stamp.month < last - self._WRAP_MONTHS:
                self.year += 1
            self._last_month = stamp.month
            return self.year
        limit = self.reference + timedelta(days=1)
        year = limit.year
        try:
            candidate = datetime(
                year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second, tzinfo=UTC
            )
        except ValueError:  # 29 February: the latest leap year
            candidate = None
        while candidate is None or candidate > limit:
            year -= 1
            try:
                candidate = datetime(
                    year, stamp.month, stamp.day, stamp.hour, stamp.minute, stamp.second, tzinfo=UTC
                )
            except ValueError:
                candidate = None
        return year

    def to_ns(self, stamp: Stamp) -> int:
        """UTC nanoseconds since the epoch; raises ValueError for an impossible date."""
        year = stamp.year if stamp.year is not None else self._year_of(stamp)
        tzinfo = (
            self.zone
            if stamp.utc_offset_s is None
            else timezone(timedelta(seconds=stamp.utc_offset_s))
        )
        moment = datetime(
            year,
            stamp.month,
            stamp.day,
            stamp.hour,
            stamp.minute,
            stamp.second,
            stamp.microsecond,
            tzinfo=tzinfo,
        )
        return ((moment - _EPOCH) // timedelta(microseconds=1)) * _NS_PER_US


__all__ = [
    "MONTHS",
    "Stamp",
    "TimeResolver",
    "complete_stamp",
    "leading_stamp",
    "parse_stamp",
    "zone",
]
