"""chan_pjsip, chan_sip and security lines: single-line tables."""

from __future__ import annotations

from collections.abc import Callable

import pytest

from pbxlab.capture.logs import asterisk_chansip, asterisk_pjsip, asterisk_security
from pbxlab.capture.logs.formats import ASTERISK_TRIGGERS, get_format
from pbxlab.capture.logs.model import LogEvent
from pbxlab.capture.logs.timestamps import Stamp
from pbxlab.errors import LogLineError

Parse = Callable[[str], LogEvent | None]

# (line, event, extension, contact, source, rtt_ms, detail)
PJSIP = [
    (
        "[Oct 28 15:36:06]     -- Added contact 'sip:a@192.168.1.46:60144;transport=ws' to AOR "
        "'101' with expiration of 600 seconds",
        "registered",
        "101",
        "sip:a@192.168.1.46:60144;transport=ws",
        None,
        None,
        "expires 600 s",
    ),
    (
        "[2024-01-02 03:04:05] VERBOSE[123] res_pjsip_registrar.c: Removed contact "
        "'sip:b@10.0.0.2:5060' from AOR '201' due to expiration",
        "expired",
        "201",
        "sip:b@10.0.0.2:5060",
        None,
        None,
        "removed due to expiration",
    ),
    (
        "[2024-01-02 03:04:05] VERBOSE[123] res_pjsip_registrar.c: Removed contact "
        "'sip:b@10.0.0.2:5060' from AOR '201' due to request",
        "unregistered",
        "201",
        "sip:b@10.0.0.2:5060",
        None,
        None,
        "removed due to request",
    ),
    (
        "[2024-01-02 03:04:05] DEBUG[1] res_pjsip_registrar.c: Refreshed contact "
        "'sip:b@10.0.0.2:5060' on AOR '201' with new expiration of 3600 seconds",
        "refreshed",
        "201",
        "sip:b@10.0.0.2:5060",
        None,
        None,
        "expires 3600 s",
    ),
    (
        "[Nov 15 16:39:57]     -- Contact 201/sip:201@10.0.0.2:5060 is now Reachable.  "
        "RTT: 12.345 msec",
        "reachable",
        "201",
        "sip:201@10.0.0.2:5060",
        None,
        12.345,
        None,
    ),
    (
        "[Nov 15 16:39:57]     -- Contact 201/sip:201@10.0.0.2:5060 is now Unreachable.  "
        "RTT: 0.000 msec",
        "unreachable",
        "201",
        "sip:201@10.0.0.2:5060",
        None,
        None,
        None,
    ),
    (
        "Nov 15 16:39:57 pbx asterisk[812]: VERBOSE[901] res_pjsip_registrar.c:     -- Added "
        "contact 'sip:7@198.51.100.7:5060' to AOR '7' with expiration of 120 seconds",
        "registered",
        "7",
        "sip:7@198.51.100.7:5060",
        None,
        None,
        "expires 120 s",
    ),
    (
        "[Nov 15 16:39:57]   == Endpoint 201 is now Unreachable",
        "unreachable",
        "201",
        None,
        None,
        None,
        "endpoint",
    ),
    (
        "  Contact:  dhg1inet01/sip:192.168.202.22:5060             3fc5bbd1b6 Avail         0.544",
        "registered",
        "dhg1inet01",
        "sip:192.168.202.22:5060",
        None,
        0.544,
        "pjsip show contacts: Avail",
    ),
]

CHANSIP = [
    (
        "[Feb  2 11:45:23] NOTICE[1362] chan_sip.c: Peer '668' is now UNREACHABLE!  "
        "Last qualify: 46",
        "unreachable",
        "668",
        None,
        None,
        None,
        "last qualify 46 ms",
    ),
    (
        "[Jun 18 06:43:12] NOTICE[1409] chan_sip.c: Peer 'SIP/4001' is now Lagged. "
        "(3478ms / 3000ms)",
        "lagged",
        "4001",
        None,
        None,
        3478.0,
        "qualify 3478 ms / max 3000 ms",
    ),
    (
        "[2024-01-02 03:04:05] VERBOSE[9] chan_sip.c:     -- Registered SIP '202' at "
        "203.0.113.9:5062",
        "registered",
        "202",
        None,
        "203.0.113.9:5062",
        None,
        None,
    ),
    (
        "    -- Registered SIP '202' at 203.0.113.9 port 5062 expires 120",
        "registered",
        "202",
        None,
        "203.0.113.9:5062",
        None,
        "expires 120 s",
    ),
    (
        "[2024-01-02 03:04:05] VERBOSE[9] chan_sip.c:     -- Unregistered SIP '202'",
        "unregistered",
        "202",
        None,
        None,
        None,
        None,
    ),
    (
        "[2024-01-02 03:04:05] NOTICE[9] chan_sip.c:    -- Registration for "
        "'trunk@sip.example.net' timed out, trying again (Attempt #3)",
        "unreachable",
        "trunk",
        None,
        "sip.example.net",
        None,
        "outbound registration timed out (attempt 3)",
    ),
    (
        "[Nov  1 16:11:15]     -- SIP/2727-00000008 is ringing",
        "ringing",
        "2727",
        None,
        None,
        None,
        "dial",
    ),
    (
        "SOFTPHONEUSER 192.168.2.1      D   N      5061     OK (3 ms)            ",
        "registered",
        "SOFTPHONEUSER",
        None,
        "192.168.2.1:5061",
        3.0,
        "sip show peers: OK (3 ms)",
    ),
]

SECURITY = [
    (
        "[2012-02-13 17:21:54] NOTICE[1638] chan_sip.c: Registration from "
        "'<sip:301@example.com>' failed for '1.2.3.4' - Wrong password",
        "auth_failed",
        "301",
        None,
        "1.2.3.4",
        None,
        "chan_sip registration failed: Wrong password",
    ),
    (
        "[2016-05-23 10:18:16] NOTICE[19388] res_pjsip/pjsip_distributor.c: Request from "
        "'\"1000\" <sip:1000@10.0.0.1>' failed for '1.2.3.4:48336' (callid: 276666022) - "
        "No matching endpoint found",
        "unknown_user",
        "1000",
        None,
        "1.2.3.4:48336",
        None,
        "res_pjsip request failed: No matching endpoint found",
    ),
    (
        "[Dec 21 12:57:01] SECURITY[77]: res_security_log.c:114 security_event_stasis_cb: "
        'SecurityEvent="ChallengeSent",EventTV="2021-12-21T12:57:01.209+0000",Severity='
        '"Informational",Service="PJSIP",EventVersion="1",AccountID="6001",SessionID="x",'
        'LocalAddress="IPV4/UDP/172.17.0.2/5060",RemoteAddress="IPV4/UDP/172.17.0.1/54784",'
        'Challenge=""',
        "challenge",
        "6001",
        None,
        "172.17.0.1:54784",
        None,
        "ChallengeSent (PJSIP/UDP)",
    ),
    (
        '[Dec 21 12:57:01] SECURITY[77]: res_security_log.c:114 x: SecurityEvent="FailedACL",'
        'Service="SIP",AccountID="",RemoteAddress="IPV6/UDP/2001:db8::1/5060",ACLName="lan"',
        "rejected",
        None,
        None,
        "[2001:db8::1]:5060",
        None,
        "FailedACL (SIP/UDP) acl lan",
    ),
    (
        "[Jan 18 17:39:50] NOTICE[12049]: res_pjsip_session.c:2337 new_invite: Call from "
        "'anonymous' (TCP:[1.2.3.4]:61470) to extension '900' rejected because extension not "
        "found in context 'default'.",
        "rejected",
        None,
        None,
        "1.2.3.4:61470",
        None,
        "call to unknown extension '900' in context 'default'",
    ),
    (
        "[2016-05-06 07:08:09] NOTICE[31554] manager.c: 192.0.2.4 tried to authenticate with "
        "nonexistent user 'opennms'",
        "unknown_user",
        "opennms",
        None,
        "192.0.2.4",
        None,
        "AMI login with nonexistent user",
    ),
]


def _check(parse: Parse, line: str, expected: tuple[object, ...]) -> None:
    event = parse(line)
    assert event is not None
    got = (event.event, event.extension, event.contact, event.source, event.rtt_ms, event.detail)
    assert got == expected


@pytest.mark.parametrize(("line", "expected"), [(line, tuple(rest)) for line, *rest in PJSIP])
def test_pjsip_lines(line: str, expected: tuple[object, ...]) -> None:
    _check(asterisk_pjsip.parse_line, line, expected)


@pytest.mark.parametrize(("line", "expected"), [(line, tuple(rest)) for line, *rest in CHANSIP])
def test_chansip_lines(line: str, expected: tuple[object, ...]) -> None:
    _check(asterisk_chansip.parse_line, line, expected)


@pytest.mark.parametrize(("line", "expected"), [(line, tuple(rest)) for line, *rest in SECURITY])
def test_security_lines(line: str, expected: tuple[object, ...]) -> None:
    _check(asterisk_security.parse_line, line, expected)


@pytest.mark.parametrize("case", PJSIP + CHANSIP + SECURITY)
def test_every_event_line_holds_a_reader_trigger(case: tuple[object, ...]) -> None:
    # the reader only parses lines holding a trigger: an event line without one would be lost
    assert any(trigger in str(case[0]) for trigger in ASTERISK_TRIGGERS)


@pytest.mark.parametrize("case", PJSIP + CHANSIP + SECURITY)
def test_combined_asterisk_format_reads_every_family(case: tuple[object, ...]) -> None:
    parse = get_format("asterisk").parse  # type: ignore[union-attr]
    _check(parse, str(case[0]), tuple(case[1:]))


def test_line_time_is_kept_as_written() -> None:
    event = asterisk_chansip.parse_line(
        "messages-20170203:[Feb  2 11:45:23] NOTICE[1362] chan_sip.c: Peer '668' is now Reachable."
    )
    assert event is not None
    assert event.stamp == Stamp(None, 2, 2, 11, 45, 23)


@pytest.mark.parametrize(
    "line",
    [
        "[Oct 28 15:36:06]   == Contact 101/sip:x@1.2.3.4:5060 has been deleted",
        "[Oct 28 15:36:06]     -- Contact 101/sip:x@1.2.3.4:5060 is now Unknown.  RTT: 0.000 msec",
        "[2022-04-19 15:21:15] VERBOSE[31308][C-000009fa] pbx.c: Executing [s@x:1] NoOp()",
        "Via: SIP/2.0/UDP 10.9.1.1:5060;rport;branch=z9hG4bK",
        "Contact: <sip:asterisk@10.9.1.1:5060>;expires=120",
        "# [2016-05-06 07:08:09] WARNING[6410] Ext. s: Friendly Scanner from 192.0.2.5",
        "",
    ],
)
def test_lines_that_are_not_events(line: str) -> None:
    assert get_format("asterisk").parse(line) is None  # type: ignore[union-attr]


@pytest.mark.parametrize(
    ("parse", "line", "message"),
    [
        (
            asterisk_pjsip.parse_line,
            "-- Added contact 'sip:x@h' to AOR '1' with expiration",
            "Added contact",
        ),
        (asterisk_pjsip.parse_line, "-- Removed contact 'sip:x@h' from AOR", "Removed contact"),
        (
            asterisk_pjsip.parse_line,
            "-- Contact 201/sip:x@h is now Sleeping. RTT: 1 msec",
            "unknown state 'Sleeping'",
        ),
        (
            asterisk_chansip.parse_line,
            "NOTICE[1] chan_sip.c: Peer '' is now Reachable",
            "peer status",
        ),
        (asterisk_chansip.parse_line, "-- Registered SIP '' at", "Registered SIP"),
        (asterisk_security.parse_line, "Registration from '<sip:1@x>' failed for", "registration"),
        (
            asterisk_security.parse_line,
            'SecurityEvent="InvalidPassword",Service="SIP"',
            "without RemoteAddress",
        ),
        (
            asterisk_security.parse_line,
            'SecurityEvent="Bogus",RemoteAddress="IPV4/UDP/1.1.1.1/1"',
            "unknown type 'Bogus'",
        ),
    ],
)
def test_malformed_event_lines_raise(parse: Parse, line: str, message: str) -> None:
    with pytest.raises(LogLineError, match=message):
        parse(line)
