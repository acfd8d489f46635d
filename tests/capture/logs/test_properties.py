"""Property: any text given to a parser gives an event, "not an event" (None),
or the parser's own LogLineError -- never another exception."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from hypothesis import given, settings
from hypothesis import strategies as st

from pbxlab.capture.logs import asterisk_ami, freeswitch, generic, kamailio, ul_dump
from pbxlab.capture.logs.formats import FORMATS, LineFormat, get_format
from pbxlab.capture.logs.model import LogEvent
from pbxlab.capture.logs.xlog import load_mapping
from pbxlab.errors import LogLineError
from pbxlab.tables import EVENT_KINDS

EXAMPLE = load_mapping(
    Path(__file__).resolve().parents[3] / "docs" / "examples" / "xlog-mapping.toml"
)

# fragments of real event lines, so that random text often reaches deep into the parsers
FRAGMENTS = [
    "[Oct 28 15:36:06] ",
    "[2026-01-07 11:25:15,523] ",
    "Nov  4 18:30:40 pbx asterisk[1]: ",
    "NOTICE[1638] chan_sip.c: ",
    "    -- ",
    "Added contact '",
    "Removed contact '",
    "' to AOR '",
    "' from AOR '",
    " due to ",
    " with expiration of ",
    " seconds",
    "Contact ",
    " is now ",
    "Reachable",
    "Unreachable",
    "Lagged",
    "UNREACHABLE!",
    "  RTT: ",
    " msec",
    "Endpoint ",
    "Peer '",
    "Registered SIP '",
    "Unregistered SIP '",
    "' at ",
    " port ",
    " expires ",
    "Registration from '",
    "' failed for '",
    "' - ",
    "Wrong password",
    "Request '",
    "Request from '",
    "(callid: ",
    'SecurityEvent="',
    'RemoteAddress="IPV4/UDP/',
    'AccountID="',
    "InvalidPassword",
    "failed to authenticate as '",
    "No registration for peer '",
    "Call from '",
    " rejected because extension not found in context '",
    "Rejecting unknown SIP connection from ",
    "hacking attempt detected '",
    "Friendly Scanner from ",
    "tried to authenticate with nonexistent user '",
    "  Contact:  ",
    "/sip:",
    "@",
    "1.2.3.4",
    ":5060",
    " OK (3 ms)",
    " ms)",
    " 5060 ",
    "2013-12-31 17:39:54.767815 [WARNING] sofia_reg.c:1533 ",
    "SIP auth challenge (",
    "SIP auth failure (",
    ") on sofia profile '",
    "' for [",
    "] from ip ",
    "Can't find user [",
    "] from ",
    "IP ",
    " Rejected by ",
    "register acl",
    "Failed Registration [",
    "], setting retry to ",
    "Ping failed ",
    "Ping succeeded ",
    " with code ",
    " - count ",
    ", state ",
    "Register:",
    "\nFrom:    [",
    "\nContact: [",
    "\nExpires: [",
    "]",
    "'",
    '"',
    ",",
    "(",
    ")",
    " ",
    "\t",
    "timed out, trying again",
    " is ringing",
    " answered ",
    "SIP/",
    "-0000000a",
    "Authentication failed, no credentials",
    " - R=",
    " ID=",
    " UA='",
    "registration saved: ",
    " contact=",
    " src=",
    "keepalive ok ",
    " rtt=",
    "ms",
    "keepalive lost ",
]
lines = st.one_of(
    st.text(max_size=200),
    st.lists(st.one_of(st.sampled_from(FRAGMENTS), st.text(max_size=8)), max_size=14).map("".join),
)


def _check(parse: Callable[[str], LogEvent | None], text: str) -> None:
    try:
        event = parse(text)
    except LogLineError:
        return
    if event is not None:
        assert isinstance(event, LogEvent)
        assert event.event in EVENT_KINDS


LINE_PARSERS = [get_format(name, xlog=EXAMPLE, csv_fields=generic.FIELDS) for name in FORMATS]


@settings(max_examples=400, deadline=None)
@given(lines)
def test_line_parsers_return_event_none_or_their_error(text: str) -> None:
    for fmt in LINE_PARSERS:
        if isinstance(fmt, LineFormat):
            _check(fmt.parse, text)
    _check(lambda t: kamailio.parse_line(t, EXAMPLE), text)
    _check(freeswitch.parse_line, text)


blocks = st.lists(
    st.tuples(
        st.sampled_from(
            [
                "Event",
                "Peer",
                "PeerStatus",
                "URI",
                "ContactStatus",
                "AOR",
                "Exten",
                "Status",
                "Device",
                "State",
                "Timestamp",
                "EventTime",
                "RoundtripUsec",
                "Time",
                "Address",
                "Username",
                "Domain",
                "Call-ID",
                "User",
                "Contact",
                "Ping Time",
                "IP",
                "Port",
                "Agent",
            ]
        ),
        st.one_of(
            st.sampled_from(
                [
                    "PeerStatus",
                    "ContactStatus",
                    "ExtensionStatus",
                    "Registry",
                    "DeviceStateChange",
                    "ContactStatusDetail",
                    "ContactList",
                    "Registered",
                    "Reachable",
                    "8",
                    "INUSE",
                    "PJSIP/1",
                    "N/A",
                    "Registered (UDP) - Expires: 2025-01-01 00:00:00 (EXPSECS: 5)",
                    "1700000000.5",
                    "2014-10-28 16:36:40",
                ]
            ),
            st.text(max_size=30),
        ),
    ),
    max_size=8,
).map(lambda pairs: "\n".join(f"{k}: {v}" for k, v in pairs))


@settings(max_examples=300, deadline=None)
@given(st.one_of(blocks, st.text(max_size=200)))
def test_block_parsers_return_event_none_or_their_error(text: str) -> None:
    _check(asterisk_ami.parse_block, text)
    _check(freeswitch.parse_reg_record, text)


@settings(max_examples=200, deadline=None)
@given(
    st.one_of(
        st.text(max_size=200),
        st.recursive(
            st.none() | st.booleans() | st.integers() | st.text(max_size=10),
            lambda children: (
                st.lists(children, max_size=4)
                | st.dictionaries(
                    st.sampled_from(
                        [
                            "AoR",
                            "AOR",
                            "Contacts",
                            "Contact",
                            "Address",
                            "Expires",
                            "Last-Modified",
                            "Keepalive",
                            "Last-Keepalive",
                            "Received",
                            "Info",
                            "x",
                        ]
                    ),
                    children,
                    max_size=5,
                )
            ),
            max_leaves=20,
        ).map(lambda value: __import__("json").dumps(value)),
    )
)
def test_ul_dump_returns_events_or_its_error(text: str) -> None:
    try:
        events = ul_dump.parse_document(text)
    except LogLineError:
        return
    assert all(e.event in EVENT_KINDS for e in events)
