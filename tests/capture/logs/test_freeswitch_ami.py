"""FreeSWITCH sofia lines and records, Asterisk AMI blocks: single-entry tables."""

from __future__ import annotations

import pytest

from pbxlab.capture.logs import asterisk_ami, freeswitch
from pbxlab.capture.logs.timestamps import Stamp
from pbxlab.errors import LogLineError

FREESWITCH = [
    (
        "2013-12-31 17:39:54.767815 [WARNING] sofia_reg.c:1533 SIP auth challenge (INVITE) on "
        "sofia profile 'internal' for [0114487@192.168.2.51] from ip 81.94.202.251",
        "challenge",
        "0114487",
        "81.94.202.251",
        None,
        "INVITE on profile internal",
    ),
    (
        "2023-03-06 15:13:32.685002 96.83% [WARNING] sofia_reg.c:3223 SIP auth failure "
        "(REGISTER) on sofia profile '123' for [123] from ip 1.2.3.4",
        "auth_failed",
        "123",
        "1.2.3.4",
        None,
        "REGISTER on profile 123",
    ),
    (
        "08-03 07:56:53.026292 [WARN] [SOFIA] [sofia_reg.c:4130] Can't find user "
        "[101@148.251.134.154] from 192.0.2.3",
        "unknown_user",
        "101",
        "192.0.2.3",
        None,
        "can't find user 101@148.251.134.154",
    ),
    (
        "2023-03-06 15:13:23.504993 96.80% [WARNING] sofia_reg.c:3223 IP 1.2.3.4 Rejected by "
        "register acl",
        "rejected",
        None,
        "1.2.3.4",
        None,
        "rejected by register acl",
    ),
    (
        "2023-01-30 10:07:10.270909 99.03% [WARNING] sofia_reg.c:520 fonial Failed "
        "Registration [408], setting retry to 30 seconds.",
        "unreachable",
        "fonial",
        None,
        None,
        "gateway registration failed [408], retry in 30 s",
    ),
    (
        "2025-01-22 12:03:30.642694 [DEBUG] sofia.c:6417 Ping succeeded gw1 with code 200 - "
        "count 1/1/1, state UP",
        "reachable",
        "gw1",
        None,
        None,
        "gateway OPTIONS ping succeeded with 200, state UP",
    ),
    (
        "2024-05-01 10:00:00.000000 [DEBUG] sofia_reg.c:1 Register:\nFrom:    [1001@pbx]\n"
        'Contact: ["1001" <sip:1001@198.51.100.7:5060;fs_nat=yes>]\nExpires: [0]',
        "unregistered",
        "1001",
        "sip:1001@198.51.100.7:5060;fs_nat=yes",
        None,
        "expires 0 s",
    ),
]


@pytest.mark.parametrize(("entry", "event", "extension", "source", "rtt", "detail"), FREESWITCH)
def test_freeswitch_entries(
    entry: str, event: str, extension: str, source: str, rtt: float | None, detail: str
) -> None:
    parsed = freeswitch.parse_line(entry)
    assert parsed is not None
    assert (parsed.event, parsed.extension, parsed.rtt_ms, parsed.detail) == (
        event,
        extension,
        rtt,
        detail,
    )
    # the Register: entry carries the contact in place of a network source
    assert source in (parsed.source, parsed.contact)
    assert parsed.stamp is not None


def test_register_entry_asks_for_three_more_lines() -> None:
    assert freeswitch.lookahead("2024-05-01 10:00:00.0 [DEBUG] sofia_reg.c:1 Register:") == 3
    assert freeswitch.lookahead("2024-05-01 10:00:00.0 [DEBUG] sofia_reg.c:1 Can't find") == 0


@pytest.mark.parametrize(
    "line",
    [
        "2013-12-31 17:39:54.767815 [DEBUG] sofia.c:7954 IP 185.24.234.141 Rejected by acl "
        '"domains". Falling back to Digest auth.',
        "2023-01-30 10:07:41.330707 98.90% [NOTICE] sofia_reg.c:463 Registering fonial",
        "2015-08-03 12:00:21.224996 [DEBUG] switch_core_state_machine.c:636 State DESTROY",
    ],
)
def test_freeswitch_lines_that_are_not_events(line: str) -> None:
    assert freeswitch.parse_line(line) is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ("2013-12-31 17:39:54 [WARNING] sofia_reg.c:1 SIP auth failure for nobody", "auth"),
        ("2013-12-31 17:39:54 [WARNING] sofia_reg.c:1 Can't find user 101", "Can't find user"),
        ("x Register:\nFrom: 1001\nContact: x\nExpires: y", "Register:"),
    ],
)
def test_freeswitch_malformed(line: str, message: str) -> None:
    with pytest.raises(LogLineError, match=message):
        freeswitch.parse_line(line)


def test_sofia_status_reg_record_is_stamped_when_printed() -> None:
    record = (
        'Call-ID: abc@10.0.0.1\nUser: 200@pbx.example\nContact: "Desk" '
        "sip:200@198.51.100.20:5070;transport=tls\nAgent: Yealink T46U\n"
        "Status: Registered(TLS)(unknown) EXP(2025-06-25 19:01:21) EXPSECS(202)\n"
    )
    with pytest.raises(LogLineError, match="sofia status"):
        freeswitch.parse_reg_record(record)
    good = record.replace(
        "Status: Registered(TLS)(unknown) EXP(2025-06-25 19:01:21) EXPSECS(202)",
        "Status: Registered (TLS) (unknown) - Expires: 2025-06-25 19:01:21 (EXPSECS: 202)",
    )
    event = freeswitch.parse_reg_record(good + "Ping Status: Reachable\nPing Time: 12.5 ms\n")
    assert event is not None
    assert event.stamp == Stamp(2025, 6, 25, 18, 57, 59)
    assert (event.event, event.extension, event.rtt_ms, event.user_agent) == (
        "registered",
        "200",
        12.5,
        "Yealink T46U",
    )
    assert event.contact == "sip:200@198.51.100.20:5070;transport=tls"
    assert freeswitch.parse_reg_record("Registrations:\n=================") is None


AMI = [
    (
        "Event: PeerStatus\nPrivilege: system,all\nChannelType: SIP\nPeer: SIP/201\n"
        "PeerStatus: Registered\nAddress: 203.0.113.5:5060\n",
        "registered",
        "201",
        None,
        "203.0.113.5:5060",
        None,
    ),
    (
        "Event: PeerStatus\nPeer: SIP/201\nPeerStatus: Reachable\nTime: 35\n",
        "reachable",
        "201",
        None,
        None,
        35.0,
    ),
    (
        "Event: ContactStatus\nURI: sip:201@203.0.113.5:5060\nContactStatus: Unreachable\n"
        "AOR: 201\nEndpointName: 201\nRoundtripUsec: 0\n",
        "unreachable",
        "201",
        "sip:201@203.0.113.5:5060",
        None,
        0.0,
    ),
    (
        "Event: ContactStatus\nURI: sip:201@203.0.113.5:5060\nContactStatus: Created\nAOR: 201\n",
        "registered",
        "201",
        "sip:201@203.0.113.5:5060",
        None,
        None,
    ),
    (
        "Event: ExtensionStatus\nExten: 259\nContext: default\nHint: SIP/ddddd\nStatus: 8\n",
        "ringing",
        "259",
        None,
        None,
        None,
    ),
    (
        "Event: DeviceStateChange\nDevice: PJSIP/202\nState: INUSE\n",
        "in_use",
        "202",
        None,
        None,
        None,
    ),
    (
        "Event: Registry\nChannelType: PJSIP\nUsername: trunk\nDomain: sip:provider.example\n"
        "Status: Rejected\nCause: 403 Forbidden\n",
        "auth_failed",
        "trunk",
        None,
        "sip:provider.example",
        None,
    ),
    (
        "Event: ContactList\nObjectName: 201;@abc\nUri: sip:201@10.0.0.9:5060\nAor: 201\n"
        "Status: Reachable\nRoundtripUsec: 1500\n",
        "registered",
        "201",
        "sip:201@10.0.0.9:5060",
        None,
        1.5,
    ),
]


@pytest.mark.parametrize(("block", "event", "extension", "contact", "source", "rtt"), AMI)
def test_ami_blocks(
    block: str,
    event: str,
    extension: str,
    contact: str | None,
    source: str | None,
    rtt: float | None,
) -> None:
    parsed = asterisk_ami.parse_block(block)
    assert parsed is not None
    assert (parsed.event, parsed.extension, parsed.contact, parsed.source, parsed.rtt_ms) == (
        event,
        extension,
        contact,
        source,
        rtt,
    )


def test_ami_timestamp_header_gives_the_time() -> None:
    parsed = asterisk_ami.parse_block(
        "Event: PeerStatus\nTimestamp: 1700000000.250000\nPeer: PJSIP/7\nPeerStatus: Unreachable\n"
    )
    assert parsed is not None
    assert parsed.stamp == Stamp(2023, 11, 14, 22, 13, 20, 250000, 0)


@pytest.mark.parametrize(
    "block",
    [
        "Event: Newexten\nChannel: SIP/1-0\nApplication: Set\n",
        "Response: Error\nMessage: No Contacts found\n",
        "Event: DeviceStateChange\nDevice: Local/259@default\nState: INUSE\n",
        "Event: ExtensionStatus\nExten: 259\nStatus: -1\n",
        "Event: Registry\nUsername: t\nStatus: Request Sent\n",
    ],
)
def test_ami_blocks_that_are_not_events(block: str) -> None:
    assert asterisk_ami.parse_block(block) is None


@pytest.mark.parametrize(
    ("block", "message"),
    [
        ("Event: PeerStatus\nPeer: SIP/1\n", "missing PeerStatus"),
        ("Event: PeerStatus\nPeer: SIP/1\nPeerStatus: Sleepy\n", "status 'Sleepy'"),
        ("Event: ContactStatusDetail\nAOR: 1\nStatus: Avail\n", "without URI"),
    ],
)
def test_ami_malformed(block: str, message: str) -> None:
    with pytest.raises(LogLineError, match=message):
        asterisk_ami.parse_block(block)
