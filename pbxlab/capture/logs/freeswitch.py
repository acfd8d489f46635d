"""FreeSWITCH mod_sofia log lines and ``sofia status profile ... reg`` records.

Strategy: as for Asterisk, one anchor and one expression per event, found with
``search`` so the several line shapes work (``2013-12-31 17:39:54.767815
[WARNING] sofia_reg.c:1533``, with a CPU-idle ``96.03%`` column, year-less
``08-03 07:56:53.026292 [WARN] [SOFIA] [sofia_reg.c:4130]``, or wrapped in a
syslog/systemd line whose own time wins).  Covered: auth challenge and failure,
``Can't find user``, ACL rejections (not ``Falling back to Digest auth``,
which is not a rejection), gateway ``Failed Registration [code]`` and ``Ping
failed/succeeded``, and the debug ``Register:`` entry that spans four lines
(``From: [user@host]``, ``Contact: [...]``, ``Expires: [N]``; the reader joins
the lines :func:`lookahead` asks for).

:func:`parse_reg_record` reads one record of ``sofia status profile X reg``
(a snapshot): its time is ``Expires`` minus ``EXPSECS``, when it was printed.

Contract: ``parse_line(str) -> LogEvent | None`` and
``parse_reg_record(str) -> LogEvent | None``, both raise LogLineError.
"""

from __future__ import annotations

import re
from datetime import datetime, timedelta

from pbxlab.capture.logs.model import LogEvent, malformed, normalize_source
from pbxlab.capture.logs.timestamps import Stamp, leading_stamp

FORMAT = "freeswitch"

_AUTH = re.compile(
    r"SIP auth (?P<kind>challenge|failure) \((?P<method>[A-Z]+)\) on sofia profile "
    r"'(?P<profile>[^']*)' for \[(?P<user>[^@\]]*)(?:@(?P<domain>[^\]]*))?\] "
    r"from ip (?P<ip>[^\s_*]+)"
)
_NO_USER = re.compile(
    r"Can't find user \[(?P<user>[^@\]]*)(?:@(?P<domain>[^\]]*))?\] from (?P<ip>[^\s_*]+)"
)
_ACL = re.compile(r"IP (?P<ip>\S+) Rejected by (?P<acl>register acl|acl \"[^\"]*\"|acl \S+)")
_GW_FAILED = re.compile(
    r"(?P<gateway>\S+) Failed Registration \[(?P<code>\d+)\], setting retry to "
    r"(?P<retry>\d+) seconds"
)
_PING = re.compile(
    r"Ping (?P<result>failed|succeeded) (?P<gateway>\S+) with code (?P<code>\d+)"
    r"(?: - count (?P<count>[\d/]+), state (?P<state>[A-Z]+))?"
)
_REGISTER = re.compile(
    r"Register:\s*\n\W*From:\s+\[(?P<user>[^@\]]*)@(?P<host>[^\]]*)\]\s*\n"
    r"\W*Contact:\s+\[(?P<contact>[^\]]*)\]\s*\n\W*Expires:\s+\[(?P<expires>-?\d+)\]"
)
_URI_IN_CONTACT = re.compile(r"<(?P<uri>[^>]+)>|(?P<bare>sips?:\S+)")

# gateway registration failures: credentials, no answer, anything else
_AUTH_CODES = {"401", "403", "407", "904"}
_TIMEOUT_CODES = {"408", "503", "504"}

TRIGGERS = (
    "SIP auth ",
    "Can't find user",
    "Rejected by ",
    "Failed Registration [",
    "Ping failed",
    "Ping succeeded",
    "Register:",
)


def lookahead(line: str) -> int:
    """How many following lines complete the entry ``line`` starts (3 for ``Register:``)."""
    return 3 if line.rstrip().endswith("Register:") else 0


def _contact_uri(text: str) -> str:
    m = _URI_IN_CONTACT.search(text)
    if not m:
        return text.strip()
    return m["uri"] or m["bare"]


def parse_message(entry: str) -> LogEvent | None:
    """The sofia event in ``entry`` (a line, or a ``Register:`` line and its 3 followers)."""
    if "SIP auth " in entry:
        m = _AUTH.search(entry)
        if not m:
            raise malformed(FORMAT, "a sofia auth challenge/failure line", entry)
        event = "challenge" if m["kind"] == "challenge" else "auth_failed"
        return LogEvent(
            event,
            extension=m["user"] or None,
            source=m["ip"],
            detail=f"{m['method']} on profile {m['profile']}",
        )
    if "Can't find user" in entry:
        m = _NO_USER.search(entry)
        if not m:
            raise malformed(FORMAT, "a sofia 'Can't find user' line", entry)
        domain = f"@{m['domain']}" if m["domain"] else ""
        return LogEvent(
            "unknown_user",
            extension=m["user"] or None,
            source=m["ip"],
            detail=f"can't find user {m['user']}{domain}",
        )
    if "Rejected by " in entry:
        m = _ACL.search(entry)
        if not m:
            raise malformed(FORMAT, "a sofia ACL rejection", entry)
        if "Falling back to Digest" in entry:
            return None  # the ACL did not match, so sofia asks for a password instead
        return LogEvent("rejected", source=m["ip"], detail=f"rejected by {m['acl']}")
    if "Failed Registration [" in entry:
        m = _GW_FAILED.search(entry)
        if not m:
            raise malformed(FORMAT, "a sofia gateway registration failure", entry)
        code = m["code"]
        event = (
            "auth_failed"
            if code in _AUTH_CODES
            else "unreachable"
            if code in _TIMEOUT_CODES
            else "rejected"
        )
        return LogEvent(
            event,
            extension=m["gateway"],
            detail=f"gateway registration failed [{code}], retry in {m['retry']} s",
        )
    if "Ping failed" in entry or "Ping succeeded" in entry:
        m = _PING.search(entry)
        if not m:
            raise malformed(FORMAT, "a sofia gateway ping line", entry)
        event = "unreachable" if m["result"] == "failed" else "reachable"
        state = f", state {m['state']}" if m["state"] else ""
        return LogEvent(
            event,
            extension=m["gateway"],
            detail=f"gateway OPTIONS ping {m['result']} with {m['code']}{state}",
        )
    if "Register:" in entry and "\n" in entry:
        m = _REGISTER.search(entry)
        if not m:
            raise malformed(FORMAT, "a sofia 'Register:' entry", entry)
        expires = int(m["expires"])
        event = "registered" if expires > 0 else "unregistered"
        return LogEvent(
            event,
            extension=m["user"],
            contact=_contact_uri(m["contact"]),
            detail=f"expires {expires} s",
        )
    return None


def parse_line(entry: str) -> LogEvent | None:
    """The sofia event of one log entry, with the time its first line starts with.

    Returns None for a line that is not a registrar event; raises LogLineError
    for one that looks like an event but does not parse.
    """
    event = parse_message(entry)
    return None if event is None else event.with_stamp(leading_stamp(entry))


# --- sofia status profile <name> reg -------------------------------------------------

_STATUS = re.compile(
    r"(?P<state>Registered|Unregistered)\b(?P<how>[^—-]*?)\s*[—-]+\s*Expires:\s*"
    r"(?P<expires>\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\s*\(EXPSECS:\s*(?P<expsecs>-?\d+)\)"
)
_PING_TIME = re.compile(r"(?P<ms>\d+(?:\.\d+)?)\s*ms")


def reg_record_fields(text: str) -> dict[str, str]:
    """The ``Key: value`` pairs of one record, quoting backticks removed."""
    fields: dict[str, str] = {}
    for raw in text.splitlines():
        key, sep, value = raw.strip().strip("`").strip().partition(":")
        if sep and key:
            fields.setdefault(key.strip(), value.strip())
    return fields


def parse_reg_record(text: str) -> LogEvent | None:
    """The registration a ``sofia status profile X reg`` record shows (a snapshot).

    Returns None for text without a ``Status:`` field (headers, separators);
    raises LogLineError for a record whose Status does not parse.
    """
    fields = reg_record_fields(text)
    status = fields.get("Status")
    if status is None:
        return None
    m = _STATUS.search(status)
    if not m:
        raise malformed(FORMAT, "a 'sofia status ... reg' record", text)
    printed = datetime.strptime(m["expires"], "%Y-%m-%d %H:%M:%S") - timedelta(
        seconds=int(m["expsecs"])
    )
    user = fields.get("User", "")
    ip, port = fields.get("IP"), fields.get("Port")
    rtt = _PING_TIME.search(fields.get("Ping Time", ""))
    ping = fields.get("Ping Status")
    detail = f"sofia status: {m['state']}{m['how'].rstrip()}, expires {m['expires']}"
    if ping:
        detail += f", ping {ping}"
    return LogEvent(
        "registered" if m["state"] == "Registered" else "unregistered",
        stamp=Stamp.from_datetime(printed),
        extension=user.split("@", 1)[0] or None,
        contact=_contact_uri(fields.get("Contact", "")) or None,
        source=normalize_source(f"{ip}:{port}" if ip and port else ip) if ip else None,
        rtt_ms=float(rtt["ms"]) if rtt else None,
        user_agent=fields.get("Agent") or None,
        detail=detail,
        snapshot=True,
    )


__all__ = ["FORMAT", "TRIGGERS", "lookahead", "parse_line", "parse_message", "parse_reg_record"]
