"""User-defined mappings from a deployment's own log lines to events.

Strategy: Kamailio and OpenSIPS log what each deployment's routing script asks
for with ``xlog()``, so no built-in parser can know those lines.  A mapping is
a small TOML file of named patterns; each pattern says which event a line
means, and its regular expression's *named groups* fill the event's columns::

    [[pattern]]
    name = "register-ok"              # shown in errors
    event = "registered"              # one of pbxlab.tables.EVENT_KINDS
    contains = "REGISTER ok"          # optional literal: fast pre-filter *and* anchor
    regex = 'REGISTER ok: (?P<extension>\\w+) from (?P<source>\\S+)'

Groups named ``extension``, ``contact``, ``source``, ``rtt_ms``, ``user_agent``
or ``detail`` fill those columns; any other named group is kept in ``detail``
as ``name=value``.  A line containing ``contains`` that the regex does not
match is a malformed event line (an ``errors`` row); without ``contains`` a
non-matching line is simply not an event.  Patterns are tried in file order;
the first that matches wins.  See ``docs/examples/xlog-mapping.toml``.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pbxlab.capture.logs.model import LogEvent, malformed
from pbxlab.errors import InputError
from pbxlab.tables import EVENT_KINDS

FORMAT = "xlog"
_COLUMNS = ("extension", "contact", "source", "user_agent", "detail")


@dataclass(frozen=True, slots=True)
class XlogPattern:
    """One named pattern: lines matching ``regex`` are ``event`` events."""

    name: str
    event: str
    regex: re.Pattern[str]
    contains: str | None = None

    def apply(self, message: str) -> LogEvent | None:
        """The event ``message`` means under this pattern, or None; raises LogLineError."""
        if self.contains is not None and self.contains not in message:
            return None
        m = self.regex.search(message)
        if m is None:
            if self.contains is not None:
                raise malformed(FORMAT, f"xlog pattern {self.name!r}", message)
            return None
        groups = {k: v for k, v in m.groupdict().items() if v is not None}
        rtt: float | None = None
        if "rtt_ms" in groups:
            try:
                rtt = float(groups.pop("rtt_ms"))
            except ValueError as exc:
                raise malformed(FORMAT, f"xlog pattern {self.name!r} (rtt_ms)", message) from exc
        extra = [f"{k}={v}" for k, v in groups.items() if k not in _COLUMNS]
        detail = "; ".join([groups["detail"], *extra] if "detail" in groups else extra)
        return LogEvent(
            self.event,
            extension=groups.get("extension") or None,
            contact=groups.get("contact") or None,
            source=groups.get("source") or None,
            rtt_ms=rtt,
            user_agent=groups.get("user_agent") or None,
            detail=detail or self.name,
        )


@dataclass(frozen=True, slots=True)
class XlogMapping:
    """An ordered set of :class:`XlogPattern`."""

    patterns: tuple[XlogPattern, ...]

    @property
    def triggers(self) -> tuple[str, ...] | None:
        """Literals every candidate line contains, or None when a pattern has none."""
        if any(p.contains is None for p in self.patterns):
            return None
        return tuple(p.contains for p in self.patterns if p.contains is not None)

    def parse(self, message: str) -> LogEvent | None:
        """The event of the first pattern that matches ``message``; raises LogLineError."""
        for pattern in self.patterns:
            event = pattern.apply(message)
            if event is not None:
                return event
        return None


def mapping_from_dict(data: Mapping[str, Any], origin: str = "<mapping>") -> XlogMapping:
    """A mapping from parsed TOML (``{"pattern": [...]}``); raises InputError naming the fault."""
    entries = data.get("pattern")
    if not isinstance(entries, Sequence) or not entries:
        raise InputError(f"{origin}: an xlog mapping needs at least one [[pattern]] table")
    patterns = []
    for index, entry in enumerate(entries, 1):
        if not isinstance(entry, Mapping):
            raise InputError(f"{origin}: pattern #{index} is not a table")
        name = str(entry.get("name") or f"pattern #{index}")
        unknown = set(entry) - {"name", "event", "regex", "contains"}
        if unknown:
            raise InputError(f"{origin}: pattern {name!r} has unknown keys {sorted(unknown)}")
        event = entry.get("event")
        if event not in EVENT_KINDS:
            raise InputError(
                f"{origin}: pattern {name!r} has event {event!r}; "
                f"use one of {', '.join(EVENT_KINDS)}"
            )
        regex = entry.get("regex")
        if not isinstance(regex, str):
            raise InputError(f"{origin}: pattern {name!r} needs a regex string")
        try:
            compiled = re.compile(regex)
        except re.error as exc:
            raise InputError(f"{origin}: pattern {name!r} has a bad regex: {exc}") from exc
        contains = entry.get("contains")
        if contains is not None and not isinstance(contains, str):
            raise InputError(f"{origin}: pattern {name!r}: contains must be a string")
        patterns.append(XlogPattern(name, str(event), compiled, contains or None))
    return XlogMapping(tuple(patterns))


def load_mapping(source: XlogMapping | str | Path) -> XlogMapping:
    """The mapping in a TOML file (or an already built mapping, returned as is).

    Raises InputError when the file is missing, not TOML, or a pattern is invalid.
    """
    if isinstance(source, XlogMapping):
        return source
    path = Path(source)
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise InputError(f"{path}: cannot read xlog mapping: {exc.strerror}") from exc
    except tomllib.TOMLDecodeError as exc:
        raise InputError(f"{path}: not a valid TOML xlog mapping: {exc}") from exc
    return mapping_from_dict(data, str(path))


__all__ = ["XlogMapping", "XlogPattern", "load_mapping", "mapping_from_dict"]
