"""The generic registrar-event format: CSV or JSON lines, one event per record.

Strategy: a platform that keeps its own registrar (a hosted PBX) exports its
events in pbxlab's own vocabulary, so nothing is guessed.  Fields:

==========  ========  ==========================================================
field       required  meaning
==========  ========  ==========================================================
ts          yes       ISO 8601 (``2024-05-01T10:00:00Z``, offset optional: a
                      naive time is local time in ``tz``) or epoch seconds
event       yes       one of :data:`pbxlab.tables.EVENT_KINDS`
extension   no        extension / AOR user
contact     no        Contact URI
source      no        ip or ip:port the request came from
rtt_ms      no        qualify round-trip time in milliseconds
user_agent  no        User-Agent
detail      no        free text
==========  ========  ==========================================================

CSV has a header row naming the fields (any order); JSON lines are objects.
Other fields are kept in ``detail`` as ``name=value``, except fields whose
name suggests a secret (``password``, ``secret``, ``token``...), which are
dropped.  A record with a bad ``ts``/``event``/``rtt_ms`` is a malformed event
(an ``errors`` row).

Contract: ``parse_record(mapping) -> LogEvent``; ``parse_csv_line(str, header)``
and ``parse_jsonl_line(str) -> LogEvent | None`` (None for a blank line); all
raise LogLineError.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any

from pbxlab.capture.logs.model import LogEvent, malformed
from pbxlab.capture.logs.timestamps import Stamp, parse_stamp
from pbxlab.errors import LogFormatError, LogLineError
from pbxlab.tables import EVENT_KINDS

FORMAT_CSV = "generic_csv"
FORMAT_JSONL = "generic_jsonl"
# never copy a credential an export may carry into the events table
_SECRET_FIELD = re.compile(r"pass|secret|token|credential", re.IGNORECASE)
FIELDS = ("ts", "event", "extension", "contact", "source", "rtt_ms", "user_agent", "detail")
REQUIRED = ("ts", "event")


def _stamp(value: Any, fmt: str, text: str) -> Stamp:
    if isinstance(value, bool) or value is None or value == "":
        raise malformed(fmt, "a generic event without ts", text)
    if isinstance(value, int | float):
        return Stamp.from_epoch(float(value))
    try:
        return parse_stamp(str(value))
    except ValueError as exc:
        try:
            return Stamp.from_epoch(float(str(value)))
        except ValueError:
            raise LogLineError(
                f"ts {value!r} is neither ISO 8601 nor epoch seconds", log_format=fmt, excerpt=text
            ) from exc


def parse_record(record: Mapping[str, Any], fmt: str = FORMAT_JSONL, text: str = "") -> LogEvent:
    """The event of one generic record; raises LogLineError for a bad ts/event/rtt_ms."""
    excerpt = text or repr(dict(record))
    event = record.get("event")
    if event not in EVENT_KINDS:
        raise LogLineError(
            f"event {event!r} is not one of {', '.join(EVENT_KINDS)}",
            log_format=fmt,
            excerpt=excerpt,
        )
    rtt_value = record.get("rtt_ms")
    rtt: float | None = None
    if rtt_value not in (None, ""):
        try:
            rtt = float(rtt_value)
        except (TypeError, ValueError) as exc:
            raise LogLineError(
                f"rtt_ms {rtt_value!r} is not a number", log_format=fmt, excerpt=excerpt
            ) from exc
    extra = [
        f"{k}={v}"
        for k, v in record.items()
        if k not in FIELDS and v not in (None, "") and not _SECRET_FIELD.search(str(k))
    ]
    detail_parts = [str(record["detail"])] if record.get("detail") not in (None, "") else []
    detail = "; ".join(detail_parts + extra) or None

    def field(name: str) -> str | None:
        value = record.get(name)
        return None if value in (None, "") else str(value)

    return LogEvent(
        str(event),
        stamp=_stamp(record.get("ts"), fmt, excerpt),
        extension=field("extension"),
        contact=field("contact"),
        source=field("source"),
        rtt_ms=rtt,
        user_agent=field("user_agent"),
        detail=detail,
    )


def csv_header(line: str) -> tuple[str, ...]:
    """The field names of a generic CSV header row.

    Raises LogFormatError when ``ts`` or ``event`` is missing.
    """
    try:
        names = tuple(name.strip() for name in next(csv.reader([line]), []))
    except csv.Error as exc:
        raise LogFormatError(f"generic CSV header is not CSV ({exc}): {line!r}") from exc
    missing = [n for n in REQUIRED if n not in names]
    if missing:
        raise LogFormatError(f"generic CSV header lacks {', '.join(missing)}: {line!r}")
    return names


def parse_csv_line(line: str, header: Sequence[str]) -> LogEvent | None:
    """The event of one CSV data row under ``header``; None for a blank row."""
    if not line.strip():
        return None
    try:
        values = next(csv.reader([line]))
    except csv.Error as exc:
        raise LogLineError(f"not a CSV row: {exc}", log_format=FORMAT_CSV, excerpt=line) from exc
    if len(values) != len(header):
        raise LogLineError(
            f"{len(values)} fields where the header has {len(header)}",
            log_format=FORMAT_CSV,
            excerpt=line,
        )
    return parse_record(dict(zip(header, values, strict=True)), FORMAT_CSV, line)


def parse_jsonl_line(line: str) -> LogEvent | None:
    """The event of one JSON line; None for a blank line."""
    if not line.strip():
        return None
    try:
        record = json.loads(line)
    except json.JSONDecodeError as exc:
        raise LogLineError(
            f"not a JSON object: {exc.msg}", log_format=FORMAT_JSONL, excerpt=line
        ) from exc
    if not isinstance(record, dict):
        raise malformed(FORMAT_JSONL, "a JSON-lines event (not an object)", line)
    return parse_record(record, FORMAT_JSONL, line)


__all__ = [
    "FIELDS",
    "FORMAT_CSV",
    "FORMAT_JSONL",
    "REQUIRED",
    "csv_header",
    "parse_csv_line",
    "parse_jsonl_line",
    "parse_record",
]
