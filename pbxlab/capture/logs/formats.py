"""The registry of log formats: how each is framed and which parser reads it.

Three framings: *line* formats (most logs: each line, or a line plus the few
it asks for, is one entry), *block* formats (AMI and ``sofia status`` output:
``Key: Value`` blocks) and *document* formats (JSON snapshots read whole).
A line format lists literal *triggers*: a line containing none of them cannot
be an event, which lets the reader skip irrelevant lines at ``str.find`` speed
instead of running every parser on every line.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from pbxlab.capture.logs import (
    asterisk_ami,
    asterisk_chansip,
    asterisk_pjsip,
    asterisk_security,
    freeswitch,
    generic,
    kamailio,
    ul_dump,
)
from pbxlab.capture.logs.model import LogEvent
from pbxlab.capture.logs.timestamps import Stamp, complete_stamp, leading_stamp
from pbxlab.capture.logs.xlog import XlogMapping
from pbxlab.errors import InputError


def no_lookahead(line: str) -> int:
    """Entries of most formats are single lines."""
    return 0


@dataclass(frozen=True, slots=True)
class LineFormat:
    """A log read line by line; ``triggers`` None means every line is a candidate."""

    name: str
    parse: Callable[[str], LogEvent | None]
    triggers: tuple[str, ...] | None
    lookahead: Callable[[str], int] = no_lookahead
    # a following line that continues the entry (a wrapped line), joined to it as is
    continues: Callable[[str], bool] | None = None


@dataclass(frozen=True, slots=True)
class BlockFormat:
    """A log of ``Key: Value`` blocks separated by blank lines (or by ``starts_block``)."""

    name: str
    parse: Callable[[str], LogEvent | None]
    starts_block: Callable[[str], bool]
    block_time: Callable[[str], Stamp | None]


@dataclass(frozen=True, slots=True)
class DocumentFormat:
    """A file parsed whole (a JSON snapshot)."""

    name: str
    parse: Callable[[str], list[LogEvent]]
    max_chars: int = 256 * 1024 * 1024


Format = LineFormat | BlockFormat | DocumentFormat

_ASTERISK_PARSERS = (
    asterisk_pjsip.parse_message,
    asterisk_chansip.parse_message,
    asterisk_security.parse_message,
)


def _asterisk(
    parsers: Sequence[Callable[[str], LogEvent | None]],
) -> Callable[[str], LogEvent | None]:
    def parse(line: str) -> LogEvent | None:
        if line.lstrip().startswith("#"):
            return None  # comment lines of test fixtures; Asterisk never writes one
        for parse_message in parsers:
            event = parse_message(line)
            if event is not None:
                return event.with_stamp(complete_stamp(leading_stamp(line), event.stamp))
        return None

    return parse


def _union(*groups: tuple[str, ...]) -> tuple[str, ...]:
    return tuple(dict.fromkeys(t for group in groups for t in group))


def _never(line: str) -> bool:
    return False


def _ami_block_time(text: str) -> Stamp | None:
    if "Timestamp:" not in text and "EventTime:" not in text:
        return None
    return asterisk_ami.block_stamp(asterisk_ami.parse_fields(text))


def _reg_record_starts(line: str) -> bool:
    return line.strip().strip("`").startswith("Call-ID:")


def _no_block_time(text: str) -> Stamp | None:
    return None


ASTERISK_TRIGGERS = _union(
    asterisk_pjsip.TRIGGERS, asterisk_chansip.TRIGGERS, asterisk_security.TRIGGERS
)

_STATIC: dict[str, Format] = {
    "asterisk": LineFormat("asterisk", _asterisk(_ASTERISK_PARSERS), ASTERISK_TRIGGERS),
    "asterisk_pjsip": LineFormat(
        "asterisk_pjsip", _asterisk((asterisk_pjsip.parse_message,)), asterisk_pjsip.TRIGGERS
    ),
    "asterisk_chansip": LineFormat(
        "asterisk_chansip",
        _asterisk((asterisk_chansip.parse_message,)),
        asterisk_chansip.TRIGGERS,
    ),
    "asterisk_security": LineFormat(
        "asterisk_security",
        _asterisk((asterisk_security.parse_message,)),
        asterisk_security.TRIGGERS,
    ),
    "asterisk_ami": BlockFormat("asterisk_ami", asterisk_ami.parse_block, _never, _ami_block_time),
    "freeswitch": LineFormat(
        "freeswitch", freeswitch.parse_line, freeswitch.TRIGGERS, freeswitch.lookahead
    ),
    "freeswitch_reg": BlockFormat(
        "freeswitch_reg", freeswitch.parse_reg_record, _reg_record_starts, _no_block_time
    ),
    "ul_dump": DocumentFormat("ul_dump", ul_dump.parse_document),
    "generic_jsonl": LineFormat("generic_jsonl", generic.parse_jsonl_line, None),
}
_KAMAILIO_FAMILY = kamailio.FORMATS

FORMATS: tuple[str, ...] = (*_STATIC, *_KAMAILIO_FAMILY, "generic_csv")


def get_format(
    name: str, xlog: XlogMapping | None = None, csv_fields: Sequence[str] | None = None
) -> Format:
    """The format called ``name``; Kamailio/OpenSIPS use ``xlog``, CSV its header fields.

    Raises InputError for an unknown name.
    """
    if name in _STATIC:
        return _STATIC[name]
    if name in _KAMAILIO_FAMILY:
        triggers = xlog.triggers if xlog is not None else ()

        def parse_kamailio(line: str) -> LogEvent | None:
            return kamailio.parse_line(line, xlog)

        return LineFormat(name, parse_kamailio, triggers, continues=kamailio.continues)
    if name == "generic_csv":
        fields = tuple(csv_fields or ())

        def parse_csv(line: str) -> LogEvent | None:
            return generic.parse_csv_line(line, fields)

        return LineFormat(name, parse_csv, None)
    raise InputError(f"unknown log format {name!r}; known: auto, {', '.join(FORMATS)}")


__all__ = [
    "ASTERISK_TRIGGERS",
    "FORMATS",
    "BlockFormat",
    "DocumentFormat",
    "Format",
    "LineFormat",
    "get_format",
]
