"""Asterisk security events: the security log and the NOTICE lines that
fail2ban and CrowdSec watch.

Strategy: one table of (anchor, expression, how to build the event).  Covered:
chan_sip ``Registration from '...' failed for '...' - reason``, res_pjsip
``Request ['METHOD'] from '...' failed for '...' (callid: ...) - reason``,
res_security_log ``SecurityEvent="..."`` key/value lines, chan_iax2 and
manager.c authentication failures, calls rejected for an unknown extension,
``Rejecting unknown SIP connection``, ``hacking attempt detected`` and FreePBX
``Friendly Scanner``.  Reasons map to events: a wrong credential is
``auth_failed``, a non-existent account ``unknown_user``, a policy refusal
(ACL, domain, unknown dialled number, scanner) ``rejected``, a challenge sent
``challenge``.

In security-log lines SessionID may hold any character, quotes included; the
remote address is therefore the *last* ``RemoteAddress="..."`` of the line.

Contract: ``parse_line(str) -> LogEvent | None``, raises LogLineError.
"""

from __future__ import annotations

import re
from collections.abc import Callable

from pbxlab.capture.logs.model import LogEvent, malformed, normalize_source, uri_user
from pbxlab.capture.logs.timestamps import Stamp, complete_stamp, leading_stamp, parse_stamp

FORMAT = "asterisk_security"

_REG_FAILED = re.compile(
    r"Registration from '(?P<from>.*)' failed for '(?P<src>[^']+)' - (?P<reason>.+?)\s*$"
)
_REQ_FAILED = re.compile(
    r"Request (?:'(?P<method>[A-Z]+)' )?from '(?P<from>.*)' failed for '(?P<src>[^']+)'"
    r"(?: \(callid: (?P<callid>[^)]*)\))? - (?P<reason>.+?)\s*$"
)
_SECURITY = re.compile(r'SecurityEvent="(?P<event>[A-Za-z]+)"')
_FIELD = {
    name: re.compile(name + r'="(?P<v>[^"]*)"')
    for name in ("Service", "AccountID", "ACLName", "EventTV")
}
_REMOTE = re.compile(
    r'RemoteAddress="IPV[46]/(?P<transport>[A-Za-z]+)/(?P<ip>[^"]+?)/(?P<port>\d+)"'
)
_FAILED_AUTH_AS = re.compile(
    r"(?:Host )?(?P<ip>[\w.:\[\]]+) failed (?:to authenticate|MD5 authentication) "
    r"(?:as|for) '(?P<user>[^']*)'"
)
_NONEXISTENT_USER = re.compile(
    r"(?P<ip>[\w.:\[\]]+) tried to authenticate with nonexistent user '(?P<user>[^']*)'"
)
_IAX_NO_REG = re.compile(r"No registration for peer '(?P<user>[^']*)' \(from (?P<ip>[^)]+)\)")
_CALL_REJECTED = re.compile(
    r"Call (?:from '(?P<from>[^']*)' )?\((?P<src>[^)]+)\) to extension '(?P<exten>[^']*)' "
    r"rejected because extension not found in context '(?P<context>[^']*)'"
)
_UNKNOWN_CONNECTION = re.compile(r"Rejecting unknown SIP connection from (?P<src>[^\s\"]+)")
_HACKING = re.compile(r"hacking attempt detected '(?P<src>[^']+)'")
_SCANNER = re.compile(r"Friendly Scanner from (?P<src>[^\s\"]+)")

_CHANSIP_REASONS = {
    "Wrong password": "auth_failed",
    "Username/auth name mismatch": "auth_failed",
    "No matching peer found": "unknown_user",
}
_PJSIP_REASONS = {
    "No matching endpoint found": "unknown_user",
    "Failed to authenticate": "auth_failed",
    "Error to authenticate": "auth_failed",
}
_SECURITY_EVENTS = {
    "InvalidPassword": "auth_failed",
    "ChallengeResponseFailed": "auth_failed",
    "InvalidAccountID": "unknown_user",
    "ChallengeSent": "challenge",
    "FailedACL": "rejected",
    "RequestNotAllowed": "rejected",
    "AuthMethodNotAllowed": "rejected",
    "RequestBadFormat": "rejected",
    "UnexpectedAddress": "rejected",
    "InvalidTransport": "rejected",
    "SessionLimit": "rejected",
    "MemoryLimit": "rejected",
    "LoadAverageLimit": "rejected",
}
# successful logins and the like: security-log noise, not registrar events
_QUIET_SECURITY_EVENTS = {"SuccessfulAuth", "SessionTimeout", "RequestNotSupported"}
_NO_ACCOUNT = {"", "<unknown>"}


def _registration_failed(m: re.Match[str], line: str) -> LogEvent:
    reason = m["reason"]
    event = _CHANSIP_REASONS.get(reason, "rejected")
    return LogEvent(
        event,
        extension=uri_user(m["from"]),
        source=normalize_source(m["src"]),
        detail=f"chan_sip registration failed: {reason}",
    )


def _request_failed(m: re.Match[str], line: str) -> LogEvent:
    reason = m["reason"]
    base = reason.split(" after ", 1)[0]
    event = _PJSIP_REASONS.get(base, "rejected")
    method = f"{m['method']} " if m["method"] else ""
    return LogEvent(
        event,
        extension=uri_user(m["from"]),
        source=normalize_source(m["src"]),
        detail=f"res_pjsip {method}request failed: {reason}",
    )


def _security_event(m: re.Match[str], line: str) -> LogEvent | None:
    name = m["event"]
    if name in _QUIET_SECURITY_EVENTS:
        return None
    event = _SECURITY_EVENTS.get(name)
    if event is None:
        raise malformed(FORMAT, f"a security event of unknown type {name!r}", line)
    remotes = list(_REMOTE.finditer(line))
    if not remotes:
        raise malformed(FORMAT, "a security event without RemoteAddress", line)
    remote = remotes[-1]
    ip = remote["ip"]
    source = f"[{ip}]:{remote['port']}" if ":" in ip else f"{ip}:{remote['port']}"
    fields = {k: p.search(line) for k, p in _FIELD.items()}
    account = fields["AccountID"]["v"] if fields["AccountID"] else ""
    service = fields["Service"]["v"] if fields["Service"] else "?"
    detail = f"{name} ({service}/{remote['transport']})"
    if fields["ACLName"]:
        detail += f" acl {fields['ACLName']['v']}"
    return LogEvent(
        event,
        stamp=_event_tv(fields["EventTV"]["v"]) if fields["EventTV"] else None,
        extension=None if account in _NO_ACCOUNT else account,
        source=source,
        detail=detail,
    )


def _event_tv(text: str) -> Stamp | None:
    # the event's own time; only its year is used (the line prefix often has none)
    try:
        return parse_stamp(text)
    except ValueError:
        return None


def _failed_auth_as(m: re.Match[str], line: str) -> LogEvent:
    who = "AMI login" if "manager.c" in line else "IAX2" if "iax2" in line else "login"
    return LogEvent(
        "auth_failed",
        extension=m["user"] or None,
        source=normalize_source(m["ip"]),
        detail=f"{who} failed",
    )


def _nonexistent_user(m: re.Match[str], line: str) -> LogEvent:
    return LogEvent(
        "unknown_user",
        extension=m["user"] or None,
        source=normalize_source(m["ip"]),
        detail="AMI login with nonexistent user",
    )


def _iax_no_registration(m: re.Match[str], line: str) -> LogEvent:
    return LogEvent(
        "unknown_user",
        extension=m["user"] or None,
        source=normalize_source(m["ip"]),
        detail="IAX2 registration for unknown peer",
    )


def _call_rejected(m: re.Match[str], line: str) -> LogEvent:
    return LogEvent(
        "rejected",
        source=normalize_source(m["src"]),
        detail=f"call to unknown extension {m['exten']!r} in context {m['context']!r}",
    )


def _rejected(what: str) -> Callable[[re.Match[str], str], LogEvent]:
    def build(m: re.Match[str], line: str) -> LogEvent:
        return LogEvent("rejected", source=normalize_source(m["src"]), detail=what)

    return build


_Build = Callable[[re.Match[str], str], LogEvent | None]
# (anchor literal, expression, builder, what the line is called in errors)
_RULES: tuple[tuple[str, re.Pattern[str], _Build, str], ...] = (
    ("Registration from '", _REG_FAILED, _registration_failed, "a chan_sip registration failure"),
    ("SecurityEvent=", _SECURITY, _security_event, "a security-log event"),
    ("' failed for '", _REQ_FAILED, _request_failed, "a res_pjsip request failure"),
    ("failed to authenticate as", _FAILED_AUTH_AS, _failed_auth_as, "a login failure"),
    ("failed MD5 authentication", _FAILED_AUTH_AS, _failed_auth_as, "an IAX2 login failure"),
    ("nonexistent user", _NONEXISTENT_USER, _nonexistent_user, "an AMI login failure"),
    ("No registration for peer", _IAX_NO_REG, _iax_no_registration, "an IAX2 registration"),
    ("rejected because extension not found", _CALL_REJECTED, _call_rejected, "a rejected call"),
    (
        "Rejecting unknown SIP connection",
        _UNKNOWN_CONNECTION,
        _rejected("unknown SIP connection rejected"),
        "a rejected connection",
    ),
    (
        "hacking attempt detected",
        _HACKING,
        _rejected("chan_sip hacking attempt detected"),
        "a hacking-attempt notice",
    ),
    ("Friendly Scanner from", _SCANNER, _rejected("friendly-scanner"), "a scanner notice"),
)

# the reader's pre-filter: every rule's line holds one of these (fewer than the anchors,
# because each trigger costs a scan of the whole text)
TRIGGERS = (
    "' failed for '",  # chan_sip "Registration from" and res_pjsip "Request from"
    "SecurityEvent=",
    "authenticat",  # IAX2 and AMI login failures
    "No registration for peer",
    "rejected because extension not found",
    "Rejecting unknown SIP connection",
    "hacking attempt detected",
    "Friendly Scanner from",
)


def parse_message(line: str) -> LogEvent | None:
    """The security event in ``line`` without its time; see the module doc."""
    for anchor, pattern, build, what in _RULES:
        if anchor in line:
            m = pattern.search(line)
            if not m:
                raise malformed(FORMAT, what, line)
            return build(m, line)
    return None


def parse_line(line: str) -> LogEvent | None:
    """The security event of one log line, with the time the line starts with.

    Returns None for a line that is not a security event; raises LogLineError
    for one that looks like an event but does not parse.
    """
    event = parse_message(line)
    return (
        None
        if event is None
        else event.with_stamp(complete_stamp(leading_stamp(line), event.stamp))
    )


__all__ = ["FORMAT", "TRIGGERS", "parse_line", "parse_message"]
