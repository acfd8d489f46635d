"""Which log format a file holds, decided from its first 64 KiB.

Strategy: structural formats first (JSON snapshot, generic JSON lines and CSV,
AMI ``Key: Value`` blocks, ``sofia status ... reg`` records), because their
shape is unambiguous.  Otherwise every line of the head is tested against the
signature expressions of each family (Asterisk's ``LEVEL[tid]`` and console
``--``/``==`` prefixes, FreeSWITCH's ``[LEVEL] file.c:N``, Kamailio's and
OpenSIPS' syslog tags and level words) and the family with most matching lines
wins.  The reason names the count and the first matching line.  Binary input
(NUL bytes, pcap/pcapng magic, gzip of either) is refused with a message that
says what it is.
"""

from __future__ import annotations

import gzip
import json
import re
import zlib
from dataclasses import dataclass
from pathlib import Path

from pbxlab.errors import InputError, LogFormatError

HEAD_BYTES = 64 * 1024
_HEAD_LINES = 400
_GZIP_MAGIC = b"\x1f\x8b"
_CAPTURE_MAGICS = {
    b"\xd4\xc3\xb2\xa1": "pcap",
    b"\xa1\xb2\xc3\xd4": "pcap",
    b"\x4d\x3c\xb2\xa1": "pcap (ns)",
    b"\xa1\xb2\x3c\x4d": "pcap (ns)",
    b"\x0a\x0d\x0d\x0a": "pcapng",
}


@dataclass(frozen=True, slots=True)
class Detection:
    """The format chosen for a file and why."""

    format: str
    reason: str

    def __str__(self) -> str:
        return f"{self.format}: {self.reason}"


def read_head(path: str | Path, size: int = HEAD_BYTES) -> bytes:
    """Up to ``size`` bytes of the file, decompressed if it is gzip.

    Raises InputError when the file cannot be read, LogFormatError when a gzip
    file is corrupt.
    """
    try:
        with open(path, "rb") as raw:
            head = raw.read(size)
            if head[:2] != _GZIP_MAGIC:
                return head
        with gzip.open(path, "rb") as unzipped:
            return unzipped.read(size)
    except FileNotFoundError as exc:
        raise InputError(f"{path}: no such file") from exc
    except IsADirectoryError as exc:
        raise InputError(f"{path}: is a directory, not a log file") from exc
    except PermissionError as exc:
        raise InputError(f"{path}: permission denied") from exc
    except (OSError, EOFError, zlib.error) as exc:
        raise LogFormatError(f"{path}: corrupt gzip data: {exc}") from exc


def binary_kind(head: bytes) -> str | None:
    """What binary data ``head`` is ("pcap", "pcapng", "binary data"), or None for text."""
    kind = _CAPTURE_MAGICS.get(head[:4])
    if kind is not None:
        return f"a packet capture ({kind})"
    if b"\x00" in head[:8192]:
        return "binary data"
    sample = head[:8192].decode("utf-8", errors="replace")
    if sample and sample.count("\ufffd") > len(sample) // 10:
        return "binary data (not UTF-8 text)"
    return None


_KV_LINE = re.compile(r"^[A-Za-z][\w-]*: ?")
_AMI_KEYS = re.compile(r"^(?:Event|Response|Action|ActionID|Privilege|EventList): ")
_REG_STATUS = re.compile(r"^Status:\s+(?:Registered|Unregistered)\b")

_LEVEL = r"(?:VERBOSE|NOTICE|WARNING|ERROR|DEBUG|SECURITY|DTMF)"
_SIGNATURES: dict[str, tuple[re.Pattern[str], ...]] = {
    "asterisk": (
        re.compile(_LEVEL + r"\s?\[\d+\](?:\[C-[0-9a-f]+\])?:?\s+(?:[\w/.]+\.c[:\s]|Ext\. )"),
        re.compile(r"^(?:\S*\[[^\]]+\])?\s+(?:--|==) \S"),
        re.compile(r"^<--- (?:Received|Transmitting|Reliably Transmitting|SIP read from)"),
        re.compile(r"^\s*Contact:\s+(?:<Aor/ContactUri|\S+/\S+\s+[0-9a-f]+\s+[A-Za-z]+)"),
        re.compile(r"\s\d+\s+(?:OK \(\d+ ms\)|UNREACHABLE|LAGGED \(\d+ ms\)|Unmonitored)\s*$"),
        re.compile(r"\basterisk\[\d+\]:"),
    ),
    "freeswitch": (
        re.compile(
            r"\[(?:DEBUG|INFO|NOTICE|WARNING|WARN|ERR|CRIT|ALERT|CONSOLE)\]\s+"
            r"(?:\[\w+\]\s+)?\[?\w+\.c:\d+\]?"
        ),
        re.compile(r"\bfreeswitch\[\d+\]:"),
    ),
    "opensips": (
        re.compile(r"\bopensips\[\d+\]:"),
        re.compile(r"\]:\s+(?:DBG|INFO|NOTICE|WARNING|ERROR|CRITICAL|ALERT):[\w-]+:"),
    ),
    "kamailio": (
        re.compile(
            r"\b(?:kamailio|proxy|sip-router|ser)\[\d+\]:\s+"
            r"(?:DEBUG|INFO|NOTICE|WARNING|ERROR|CRITICAL|ALERT|BUG):"
        ),
        re.compile(
            r"\[\d+\]:\s+(?:DEBUG|INFO|NOTICE|WARNING|ERROR|CRITICAL|ALERT|BUG):\s+"
            r"(?:<script>|[\w-]+\s+\[[\w.]+:\d+\]|[\w_]+ [\w-]+ \[)"
        ),
        re.compile(r"^\s*\d+\(\d+\)\s+(?:DEBUG|INFO|NOTICE|WARNING|ERROR|CRITICAL|ALERT|BUG):\s"),
    ),
}
_LABELS = {
    "asterisk": "Asterisk log lines (LEVEL[thread] file.c: / console -- / CLI output)",
    "freeswitch": "FreeSWITCH log lines ([LEVEL] file.c:line)",
    "opensips": "OpenSIPS log lines (opensips[pid]: LEVEL:module:)",
    "kamailio": "Kamailio log lines (proxy[pid]: LEVEL: module [file.c:line])",
}


def _quote(line: str) -> str:
    return repr(line if len(line) <= 80 else line[:77] + "...")


def _structural(lines: list[str]) -> Detection | None:
    content = [(i, line) for i, line in enumerate(lines, 1) if line.strip()]
    if not content:
        return None
    first_no, first = content[0]
    stripped = first.strip()
    if stripped.startswith("{"):
        try:
            record = json.loads(stripped)
        except json.JSONDecodeError:
            record = None
        if isinstance(record, dict) and "ts" in record and "event" in record:
            return Detection(
                "generic_jsonl", f"line {first_no} is a JSON object with 'ts' and 'event'"
            )
    text = "\n".join(lines)
    json_start = next(
        (i for i, (_, line) in enumerate(content) if line.lstrip().startswith(("{", "["))), None
    )
    if json_start is not None and json_start <= 1 and re.search(r'"(?:AoR|AOR)"\s*:', text):
        return Detection("ul_dump", "a JSON document with AoR/AOR records (ul.dump / ul_dump)")
    if "," in first:
        fields = [f.strip() for f in first.split(",")]
        if "ts" in fields and "event" in fields:
            return Detection(
                "generic_csv", f"line {first_no} is a CSV header naming 'ts' and 'event'"
            )
    ami = sum(1 for _, line in content if _AMI_KEYS.match(line))
    kv = sum(1 for _, line in content if _KV_LINE.match(line))
    if ami and kv >= 0.8 * len(content):
        return Detection(
            "asterisk_ami",
            f"{kv} of {len(content)} lines are 'Key: Value' with AMI keys "
            f"(Event/Response/Action) on {ami}",
        )
    unquoted = [line.strip().strip("`").strip() for _, line in content]
    if any(_REG_STATUS.match(u) for u in unquoted) and any(
        u.startswith("Call-ID:") for u in unquoted
    ):
        return Detection(
            "freeswitch_reg", "'Call-ID:' and 'Status: Registered' records of sofia status ... reg"
        )
    return None


def detect_text(text: str) -> Detection:
    """The format of a log whose beginning is ``text``.

    Returns Detection("empty", ...) for blank text; raises LogFormatError when
    no known format fits.
    """
    lines = text.splitlines()[:_HEAD_LINES]
    if not any(line.strip() for line in lines):
        return Detection("empty", "the file holds no text")
    structural = _structural(lines)
    if structural is not None:
        return structural
    best: tuple[int, str, int, str] | None = None
    considered = [
        (i, line)
        for i, line in enumerate(lines, 1)
        if line.strip() and not line.lstrip().startswith("#")
    ]
    for family, patterns in _SIGNATURES.items():
        hits = [(i, line) for i, line in considered if any(p.search(line) for p in patterns)]
        if hits and (best is None or len(hits) > best[0]):
            best = (len(hits), family, hits[0][0], hits[0][1])
    if best is None:
        sample = considered[0][1] if considered else lines[0]
        raise LogFormatError(
            "not a registrar log format pbxlab knows (Asterisk, AMI, FreeSWITCH, Kamailio, "
            f"OpenSIPS, ul_dump JSON, generic CSV/JSON lines); it starts with {_quote(sample)}"
        )
    count, family, line_no, line = best
    return Detection(
        family,
        f"{count} of the first {len(considered)} lines look like {_LABELS[family]}, "
        f"e.g. line {line_no}: {_quote(line)}",
    )


def detect_log_format(path: str | Path) -> Detection:
    """Detect the format of the log at ``path`` from its first 64 KiB (gzip accepted).

    Returns a :class:`Detection` (``.format``, ``.reason``).  Raises InputError
    for a missing file and LogFormatError, naming the file, for binary data, a
    packet capture, or text in no known format.
    """
    head = read_head(path)
    kind = binary_kind(head)
    if kind is not None:
        hint = "; read it as a capture" if "capture" in kind else ""
        raise LogFormatError(f"{path}: {kind}, not a text log{hint}")
    text = head.decode("utf-8", errors="replace")
    if len(head) == HEAD_BYTES and "\n" in text:
        text = text[: text.rindex("\n")]  # drop the line the head cut in two
    try:
        return detect_text(text)
    except LogFormatError as exc:
        raise LogFormatError(f"{path}: {exc.message}") from exc


def looks_like_registrar_log(path: str | Path) -> bool:
    """Whether ``path`` is a log pbxlab can read (cheap: reads 64 KiB at most).

    False for captures (pcap, pcapng, gzip of either), binary data, empty or
    unreadable files and text in no known log format; never raises.
    """
    try:
        detection = detect_log_format(path)
    except (InputError, OSError):
        return False
    return detection.format != "empty"


__all__ = [
    "HEAD_BYTES",
    "Detection",
    "binary_kind",
    "detect_log_format",
    "detect_text",
    "looks_like_registrar_log",
    "read_head",
]
