"""ul.dump / ul_dump JSON snapshots and the generic CSV / JSON-lines format."""

from __future__ import annotations

import json

import pytest

from pbxlab.capture.logs import generic, ul_dump
from pbxlab.capture.logs.timestamps import Stamp
from pbxlab.errors import LogFormatError, LogLineError

KAMAILIO_RPC = {
    "jsonrpc": "2.0",
    "result": {
        "Domains": [
            {
                "Domain": {
                    "Domain": "location",
                    "AoRs": [
                        {
                            "Info": {
                                "AoR": "201@pbx.example",
                                "Contacts": [
                                    {
                                        "Contact": {
                                            "Address": "sip:201@10.0.0.5:5060",
                                            "Expires": 300,
                                            "User-Agent": "Yealink",
                                            "Received": "sip:198.51.100.4:4100",
                                            "Keepalive": 0,
                                            "Last-Modified": 1700000000,
                                        }
                                    },
                                    {
                                        "Contact": {
                                            "Address": "sip:201@10.0.0.6:5060",
                                            "Expires": 30,
                                            "User-Agent": "[not set]",
                                            "Keepalive": 1,
                                            "Last-Keepalive": 1700000100,
                                            "Last-Modified": 1700000050,
                                        }
                                    },
                                ],
                            }
                        },
                    ],
                }
            }
        ]
    },
    "id": 1,
}


def test_kamailio_jsonrpc_dump() -> None:
    events = ul_dump.parse_document(json.dumps(KAMAILIO_RPC))
    assert [(e.event, e.extension, e.contact, e.source, e.user_agent) for e in events] == [
        ("registered", "201", "sip:201@10.0.0.5:5060", "198.51.100.4:4100", "Yealink"),
        ("registered", "201", "sip:201@10.0.0.6:5060", None, None),
        ("reachable", "201", "sip:201@10.0.0.6:5060", None, None),
    ]
    assert events[0].stamp == Stamp.from_epoch(1700000000)
    assert events[2].stamp == Stamp.from_epoch(1700000100)
    assert all(e.snapshot for e in events)


def test_opensips_dump_after_cli_prompt() -> None:
    text = "(opensips-cli): mi ul_dump\n" + json.dumps(
        {
            "Domains": [
                {
                    "name": "location",
                    "AORs": [
                        {
                            "AOR": "1000",
                            "Contacts": [
                                {
                                    "Contact": "sip:1000@172.16.4.113:5667",
                                    "Expires": "expired",
                                    "User-agent": "n/a",
                                },
                                {
                                    "Contact": "sip:1000@172.16.4.114:5667",
                                    "Expires": 120,
                                    "User-agent": "Bria",
                                },
                            ],
                        }
                    ],
                }
            ]
        }
    )
    events = ul_dump.parse_document(text)
    assert [(e.event, e.stamp, e.user_agent, e.detail) for e in events] == [
        ("expired", None, None, "ul_dump: expired"),
        ("registered", None, "Bria", "ul_dump: expires 120 s"),
    ]


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("no json here", "no JSON document"),
        ('{"AoR": "1", "Contacts": [', "not valid JSON at line 1"),
        ('{"AoR": "1", "Contacts": [{"Contact": {"Expires": 3}}]}', "without an address"),
        ('{"AoR": "1", "Contacts": 5}', "Contacts is not a list"),
    ],
)
def test_ul_dump_errors(text: str, message: str) -> None:
    with pytest.raises(LogLineError, match=message):
        ul_dump.parse_document(text)


HEADER = ("ts", "event", "extension", "contact", "source", "rtt_ms", "user_agent", "detail")


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "2024-05-01T10:00:00Z,registered,201,sip:201@10.0.0.5,198.51.100.4:5060,,Yealink,",
            ("registered", Stamp(2024, 5, 1, 10, 0, 0, 0, 0), "201", None, None),
        ),
        (
            "1714557600,reachable,201,,,12.5,,qualify",
            ("reachable", Stamp(2024, 5, 1, 10, 0, 0, 0, 0), "201", 12.5, "qualify"),
        ),
        (
            "2024-05-01 12:00:00,expired,202,,,,,",
            ("expired", Stamp(2024, 5, 1, 12, 0, 0), "202", None, None),
        ),
    ],
)
def test_generic_csv_rows(line: str, expected: tuple[object, ...]) -> None:
    event = generic.parse_csv_line(line, HEADER)
    assert event is not None
    assert (event.event, event.stamp, event.extension, event.rtt_ms, event.detail) == expected


def test_generic_jsonl_keeps_unknown_fields_but_no_secrets_in_detail() -> None:
    event = generic.parse_jsonl_line(
        '{"ts": 1714557600.5, "event": "auth_failed", "extension": "7", "tenant": "acme", '
        '"sip_password": "hunter2", "AuthToken": "x"}'
    )
    assert event is not None
    assert (event.event, event.extension, event.detail) == ("auth_failed", "7", "tenant=acme")
    assert event.stamp == Stamp(2024, 5, 1, 10, 0, 0, 500000, 0)
    assert generic.parse_jsonl_line("   ") is None


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('{"ts": "2024-05-01T10:00:00Z", "event": "online"}', "event 'online' is not one of"),
        ('{"ts": "soon", "event": "registered"}', "ts 'soon' is neither"),
        ('{"event": "registered"}', "without ts"),
        ('{"ts": 1, "event": "reachable", "rtt_ms": "fast"}', "rtt_ms 'fast'"),
        ("[1, 2]", "not an object"),
        ("{nope", "not a JSON object"),
    ],
)
def test_generic_jsonl_errors(line: str, message: str) -> None:
    with pytest.raises(LogLineError, match=message):
        generic.parse_jsonl_line(line)


def test_generic_csv_header_and_width() -> None:
    with pytest.raises(LogFormatError, match="lacks event"):
        generic.csv_header("ts,extension")
    assert generic.csv_header(" ts , event ,x") == ("ts", "event", "x")
    with pytest.raises(LogLineError, match="3 fields where the header has 8"):
        generic.parse_csv_line("a,b,c", HEADER)
