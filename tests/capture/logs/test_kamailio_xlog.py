"""Kamailio/OpenSIPS headers, the xlog mapping, and the example mapping file."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbxlab.capture.logs import kamailio
from pbxlab.capture.logs.xlog import load_mapping, mapping_from_dict
from pbxlab.errors import InputError, LogLineError

EXAMPLE = Path(__file__).resolve().parents[3] / "docs" / "examples" / "xlog-mapping.toml"


@pytest.mark.parametrize(
    ("line", "tag", "message"),
    [
        (
            "Feb 17 09:40:56 sp1 proxy[25182]: NOTICE: <script>: hello",
            "proxy",
            "NOTICE: <script>: hello",
        ),
        (
            "May 20 09:50:49 lab /usr/local/sbin/opensips[3727535]: ERROR:core:main: failed",
            "/usr/local/sbin/opensips",
            "ERROR:core:main: failed",
        ),
        (
            "│Feb  9 16:19:47.152646 spce proxy[22541]: DEBUG: usrloc [udomain.c:697]: x",
            "proxy",
            "DEBUG: usrloc [udomain.c:697]: x",
        ),
        ("107(3957) NOTICE: <script>: port-c=6902", None, "NOTICE: <script>: port-c=6902"),
        ("no header at all", None, "no header at all"),
    ],
)
def test_split_header(line: str, tag: str | None, message: str) -> None:
    assert kamailio.split_header(line) == (tag, message)


# (message after the header, event, extension, contact, source, rtt_ms, user_agent, detail)
EXAMPLE_LINES = [
    (
        "NOTICE: <script>: Authentication failed, no credentials - R=sip:192.168.1.71 "
        "ID=4e4b@0.0.0.0 UA='Jitsi2.9.5521Linux'",
        "challenge",
        None,
        None,
        None,
        None,
        "Jitsi2.9.5521Linux",
        "ruri=sip:192.168.1.71; call_id=4e4b@0.0.0.0",
    ),
    (
        "WARNING: <script>: Authentication failed for 201 from 198.51.100.4:5060 UA='Yealink'",
        "auth_failed",
        "201",
        None,
        "198.51.100.4:5060",
        None,
        "Yealink",
        "auth-failed",
    ),
    (
        "INFO: <script>: registration saved: 201 contact=<sip:201@10.1.1.5:5060;ob> "
        "src=198.51.100.4:41000 expires=3600 UA='Yealink'",
        "registered",
        "201",
        "sip:201@10.1.1.5:5060;ob",
        "198.51.100.4:41000",
        None,
        "Yealink",
        "expires=3600",
    ),
    (
        "INFO: <script>: registration removed: 201 contact=<sip:201@10.1.1.5:5060> "
        "src=198.51.100.4:41000",
        "unregistered",
        "201",
        "sip:201@10.1.1.5:5060",
        "198.51.100.4:41000",
        None,
        None,
        "registration-removed",
    ),
    (
        "INFO: <script>: keepalive ok 201@pbx sip:201@198.51.100.4:41000 rtt=42.5ms",
        "reachable",
        "201",
        "sip:201@198.51.100.4:41000",
        None,
        42.5,
        None,
        "keepalive-ok",
    ),
    (
        "WARNING: <script>: keepalive lost 201@pbx sip:201@198.51.100.4:41000",
        "unreachable",
        "201",
        "sip:201@198.51.100.4:41000",
        None,
        None,
        None,
        "keepalive-lost",
    ),
]


@pytest.mark.parametrize(("message", "expected"), [(m, tuple(rest)) for m, *rest in EXAMPLE_LINES])
def test_example_mapping(message: str, expected: tuple[object, ...]) -> None:
    mapping = load_mapping(EXAMPLE)
    line = f"Feb 17 09:40:56 sp1 kamailio[25182]: {message}"
    event = kamailio.parse_line(line, mapping)
    assert event is not None
    assert (
        event.event,
        event.extension,
        event.contact,
        event.source,
        event.rtt_ms,
        event.user_agent,
        event.detail,
    ) == expected
    assert event.stamp is not None and event.stamp.day == 17


def test_example_mapping_reports_an_anchored_line_it_cannot_read() -> None:
    mapping = load_mapping(EXAMPLE)
    with pytest.raises(LogLineError, match="xlog pattern 'registration-saved'"):
        kamailio.parse_line("Feb 17 09:40:56 sp1 proxy[1]: INFO: registration saved: ???", mapping)


def test_without_mapping_no_line_is_an_event() -> None:
    line = "Feb 17 09:40:56 sp1 proxy[1]: INFO: registration saved: 201 contact=x src=y expires=1"
    assert kamailio.parse_line(line, None) is None


def test_unanchored_pattern_ignores_lines_it_does_not_match() -> None:
    mapping = mapping_from_dict(
        {"pattern": [{"name": "up", "event": "reachable", "regex": r"peer (?P<extension>\d+) up"}]}
    )
    assert mapping.triggers is None
    assert mapping.parse("peer 7 down") is None
    event = mapping.parse("peer 7 up")
    assert event is not None and event.extension == "7" and event.detail == "up"


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({}, "at least one"),
        ({"pattern": [{"name": "x", "event": "online", "regex": "a"}]}, "event 'online'"),
        ({"pattern": [{"name": "x", "event": "registered"}]}, "needs a regex"),
        ({"pattern": [{"name": "x", "event": "registered", "regex": "("}]}, "bad regex"),
        (
            {"pattern": [{"name": "x", "event": "registered", "regex": "a", "when": 1}]},
            "unknown keys",
        ),
    ],
)
def test_invalid_mappings(data: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message):
        mapping_from_dict(data, "test.toml")


def test_mapping_file_errors_name_the_file(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"missing\.toml: cannot read"):
        load_mapping(tmp_path / "missing.toml")
    bad = tmp_path / "bad.toml"
    bad.write_text("[[pattern]\n")
    with pytest.raises(InputError, match=r"bad\.toml: not a valid TOML"):
        load_mapping(bad)


@pytest.mark.parametrize(
    ("line", "continues"),
    [
        (" (127.0.0.1:5060) ID=8e40@0.0.0.0 UA='Jitsi2.9.5521Linux'", True),
        ("\tcontinued", True),
        ("Feb 16 17:04:43 sp1 proxy[9687]: DEBUG: usrloc [udomain.c:174]: x", False),
        ("  107(3957) NOTICE: <script>: port-c=6902", False),
        ("", False),
    ],
)
def test_continuation_lines(line: str, continues: bool) -> None:
    assert kamailio.continues(line) is continues


def test_wrapped_xlog_line_is_joined_back(corpus: Path, tmp_path: Path) -> None:
    from pbxlab.capture.logs import read_registrar_log

    mapping = tmp_path / "requests.toml"
    mapping.write_text(
        "[[pattern]]\n"
        'name = "register-request"\n'
        'event = "challenge"\n'
        'contains = "New request on proxy - M=REGISTER"\n'
        "regex = '''F=sip:(?P<extension>[^@\\s]+)@\\S+ T=\\S+ IP=(?P<source>\\S+) \\(\\S+\\) "
        "ID=\\S+ UA='(?P<user_agent>[^']*)''''\n"
    )
    log = corpus / "logs/kamailio/gh_kamailio_issue997_register_max_contacts_debug.log"
    read = read_registrar_log(log, xlog=mapping, year=2017)
    assert read.errors.empty
    assert read.events[["line", "extension", "source", "user_agent"]].values.tolist() == [
        [1, "43993005", "192.168.1.42:53152", "Jitsi2.9.5521Linux"]
    ]
