"""The bulk SIP parser gives exactly the per-message parser's frames, errors included.

parse_batch (bulk where it can, per message where it cannot) against
parse_batch_exact (per message, the reference), on every corpus capture, the
bundled samples, a generated capture, literal edge cases and generated
messages; plus checks that the bulk path really handles the common case (so
that equality is not won by sending everything to the reference).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from benchmarks.gen_capture import PRESETS, generate_capture
from pbxlab import read_capture
from pbxlab.capture import sip_batch
from pbxlab.capture.sip_batch import Packet, parse_batch, parse_batch_exact
from pbxlab.capture.sip_bulk import bulk_message_columns
from pbxlab.errors import UnsupportedFormatError
from tests.capture import samples
from tests.capture.test_properties import sip_like
from tests.conftest import CORPUS, SAMPLES


@pytest.fixture(autouse=True)
def bulk_for_every_batch(monkeypatch: pytest.MonkeyPatch) -> None:
    """Small batches normally skip the bulk parser; here it must run on everything,
    and in slices small enough that the bigger captures take several."""
    monkeypatch.setattr(sip_batch, "BULK_MIN_MESSAGES", 0)
    monkeypatch.setattr(sip_batch, "BULK_MAX_MESSAGES", 100)


def packets_of(payloads: list[bytes]) -> list[Packet]:
    return [
        ((1_700_000_000 * 10**9 + i, i + 1, "10.0.0.1", 5060, "10.0.0.2", 5060, "udp", "none"),
         24 + 100 * i, data)
        for i, data in enumerate(payloads)
    ]  # fmt: skip


def assert_same_as_exact(payloads: list[bytes]) -> None:
    packets = packets_of(payloads)
    frame, errors = parse_batch("x.pcap", packets)
    exact_frame, exact_errors = parse_batch_exact("x.pcap", packets)
    pd.testing.assert_frame_equal(frame, exact_frame)
    assert errors == exact_errors


def assert_capture_same_as_exact(path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    try:
        bulk = read_capture(path)
    except UnsupportedFormatError:
        return  # nothing is parsed (tests/capture/test_corpus.py checks the error)
    with monkeypatch.context() as patch:
        patch.setattr(sip_batch, "parse_batch", parse_batch_exact)
        exact = read_capture(path)
    pd.testing.assert_frame_equal(bulk.messages, exact.messages)
    pd.testing.assert_frame_equal(bulk.errors, exact.errors)
    pd.testing.assert_frame_equal(bulk.rtp_streams, exact.rtp_streams)


def corpus_captures() -> Iterator[str]:
    for path in sorted((CORPUS / "pcaps").rglob("*")):
        if path.is_file() and path.suffix not in (".md", ".txt", ".json"):
            yield str(path.relative_to(CORPUS))


@pytest.mark.parametrize("relative", list(corpus_captures()))
def test_corpus_capture_same_as_exact(relative: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_capture_same_as_exact(CORPUS / relative, monkeypatch)


def test_corpus_is_there() -> None:
    if not CORPUS.exists():
        pytest.skip(f"public corpus not found at {CORPUS}")
    assert len(list(corpus_captures())) > 40


@pytest.mark.parametrize("name", sorted(p.name for p in SAMPLES.glob("*.pcap")))
def test_sample_capture_same_as_exact(name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    assert_capture_same_as_exact(SAMPLES / name, monkeypatch)


def test_generated_capture_same_as_exact_and_mostly_bulk(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tmp_path / "tiny.pcap"
    truth = generate_capture(path, PRESETS["tiny"])
    handled: list[int] = []

    def counting(payloads: list[bytes]) -> Any:
        result = bulk_message_columns(payloads)
        handled.append(int(result.handled.sum()))
        return result

    monkeypatch.setattr(sip_batch, "bulk_message_columns", counting)
    assert_capture_same_as_exact(path, monkeypatch)
    messages = sum(truth.requests.values()) + sum(truth.responses.values())
    # what the bulk path leaves to Python here: messages with SDP bodies (this short
    # capture is call-heavy: ~16%; 2% of the default benchmark capture)
    assert sum(handled) > 0.8 * messages


# -- literal cases: (what, message, handled by the bulk path) ------------------------------

REGISTER = (
    b"REGISTER sip:pbx.example.com SIP/2.0\r\n"
    b"Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK-1;rport\r\n"
    b"From: <sip:201@pbx.example.com>;tag=a1\r\n"
    b"To: <sip:201@pbx.example.com>\r\n"
    b"Call-ID: reg-1@10.0.0.5\r\n"
    b"CSeq: 1 REGISTER\r\n"
    b"Contact: <sip:201@10.0.0.5:5062>;expires=3600\r\n"
    b"User-Agent: Yealink\r\n"
    b"Content-Length: 0\r\n\r\n"
)


def edit(old: bytes, new: bytes) -> bytes:
    assert old in REGISTER
    return REGISTER.replace(old, new)


CASES: list[tuple[str, bytes, bool]] = [
    ("plain register", REGISTER, True),
    ("compact and odd-case names", edit(b"Via:", b"v :").replace(b"From:", b"f:")
     .replace(b"Call-ID:", b"CALL-id:").replace(b"Contact:", b"m:"), True),
    ("response with received and rport", b"SIP/2.0 200 OK\r\n" + REGISTER.split(b"\r\n", 1)[1]
     .replace(b";rport", b";received=198.51.100.7;rport=41234"), True),
    ("status line without reason", b"SIP/2.0 200\r\n" + REGISTER.split(b"\r\n", 1)[1], True),
    ("lower-case SIP version", edit(b" SIP/2.0\r\n", b" sip/2.0\r\n"), True),
    ("two Via headers and a list", edit(b"From:", b"Via: SIP/2.0/TCP [2001:db8::1]:5060;"
     b"branch=b2, SIP/2.0/UDP h;branch=b3\r\nFrom:"), True),
    ("IPv6 top Via", edit(b"10.0.0.5:5062;branch", b"[2001:db8::5]:5062;branch"), True),
    ("Via without port, upper-case params", edit(b"10.0.0.5:5062;branch=z9hG4bK-1;rport",
     b"host.example.com;BRANCH=x;RPORT=5"), True),
    ("repeated Via parameter: the first wins", edit(b";rport", b";rport=1;rport=2"), True),
    ("Via port too big", edit(b":5062;branch", b":99999;branch"), True),
    ("Via port with six digits", edit(b":5062;branch", b":506200;branch"), False),
    ("Via with quoted parameter", edit(b";rport", b';x="a;b"'), False),
    ("Via with blank parameter", edit(b";rport", b"; rport"), False),
    ("Via empty list item", edit(b";rport\r\n", b";rport,\r\n"), False),
    ("malformed Via", edit(b"SIP/2.0/UDP 10.0.0.5", b"SIP/3.0/UDP 10.0.0.5"), False),
    ("no Via", edit(b"Via: SIP/2.0/UDP 10.0.0.5:5062;branch=z9hG4bK-1;rport\r\n", b""), True),
    ("quoted display name", edit(b"From: <", b'From: "Bob, Jr" <'), True),
    ("quoted display name, tag without value", edit(b"From: <", b'From: "Bob" <')
     .replace(b";tag=a1", b";TAG"), True),
    ("quoted display name, tel URI", edit(b"To: <sip:201@pbx.example.com>",
     b'To: "Bob"<tel:+15551234;phone-context=x>'), True),
    ("escaped quote in display name", edit(b"From: <", b'From: "Bob \\"B\\"" <'), False),
    ("text before a quoted name", edit(b"From: <", b'From: Dr "Bob" <'), False),
    ("unquoted display name", edit(b"From: <", b"From: Bob <"), False),
    ("addr-spec From with tag", edit(b"From: <sip:201@pbx.example.com>;tag=a1",
     b"From: sip:201@pbx.example.com;tag=a1"), True),
    ("tel URI", edit(b"To: <sip:201@pbx.example.com>", b"To: <tel:+15551234>"), True),
    ("tag inside the URI is not the tag", edit(b"To: <sip:201@pbx.example.com>",
     b"To: <sip:201@pbx.example.com;tag=uri>"), True),
    ("bracketed host with ';'", edit(b"To: <sip:201@pbx.example.com>",
     b"To: sip:201@[a;tag=x]"), False),
    ("From with password", edit(b"<sip:201@pbx", b"<sip:201:secret@pbx"), True),
    ("Contact with password", edit(b"<sip:201@10.0.0.5", b"<sip:201:pw@10.0.0.5"), False),
    ("Request-URI with password", edit(b"sip:pbx.example.com SIP", b"sip:a:pw@pbx SIP"), False),
    ("Contact star", edit(b"<sip:201@10.0.0.5:5062>;expires=3600", b"*"), True),
    ("Contact addr-spec", edit(b"<sip:201@10.0.0.5:5062>;expires=3600",
     b"sip:201@10.0.0.5;expires=60"), True),
    ("Contact quoted instance", edit(b";expires=3600",
     b';+sip.instance="<urn:uuid:1>";EXPIRES=" 60"'), True),
    ("Contact bad expires", edit(b";expires=3600", b";expires=soon"), True),
    ("Contact list", edit(b";expires=3600", b";expires=3600, <sip:201@10.0.0.6>"), False),
    ("two Contact headers", edit(b"User-Agent", b"Contact: <sip:x@y>\r\nUser-Agent"), False),
    ("empty Contact", edit(b"<sip:201@10.0.0.5:5062>;expires=3600", b""), False),
    ("Expires header", edit(b"User-Agent", b"Expires: 0\r\nUser-Agent"), True),
    ("malformed Expires", edit(b"User-Agent", b"Expires: never\r\nUser-Agent"), False),
    ("empty User-Agent falls back to Server", edit(b"User-Agent: Yealink",
     b"User-Agent:\r\nServer: Asterisk"), True),
    ("Authorization", edit(b"User-Agent", b'Authorization: Digest username="201", '
     b'realm="pbx", response="x"\r\nUser-Agent'), True),
    ("unquoted username", edit(b"User-Agent", b"Proxy-Authorization: Digest realm=x, "
     b"username = 201 ,nonce=1\r\nUser-Agent"), True),
    ("empty Authorization", edit(b"User-Agent", b"Authorization:\r\nUser-Agent"), True),
    ("no Call-ID", edit(b"Call-ID: reg-1@10.0.0.5\r\n", b""), False),
    ("malformed CSeq", edit(b"CSeq: 1 REGISTER", b"CSeq: one REGISTER"), False),
    ("folded header line", edit(b"User-Agent: Yealink", b"User-Agent: Yea\r\n link"), False),
    ("line without colon", edit(b"User-Agent: Yealink", b"User-Agent Yealink"), False),
    ("non-ASCII value", edit(b"Yealink", "Téléphone".encode()), False),
    ("control character", edit(b"Yealink", b"Yea\x0blink"), False),
    ("bare LF line ends", REGISTER.replace(b"\r\n", b"\n"), False),
    ("leading CRLF", b"\r\n" + REGISTER, False),
    ("body with SDP", edit(b"Content-Length: 0\r\n\r\n", b"Content-Type: application/sdp\r\n"
     b"Content-Length: 10\r\n\r\nv=0\r\nm=a\r\n"), False),
    ("body cut by Content-Length 0", REGISTER + b"junk", True),
    ("truncated body", edit(b"Content-Length: 0", b"Content-Length: 5"), False),
    ("no empty line", REGISTER[:-2], False),
    ("not SIP", b"GET / HTTP/1.1\r\nHost: x\r\n\r\n", False),
    ("empty payload", b"", False),
]  # fmt: skip


@pytest.mark.parametrize(("what", "data", "bulk"), CASES, ids=[c[0] for c in CASES])
def test_case_same_as_exact(what: str, data: bytes, bulk: bool) -> None:
    assert bool(bulk_message_columns([data]).handled[0]) is bulk, what
    assert_same_as_exact([data])


def test_cases_together_same_as_exact() -> None:
    assert_same_as_exact([data for _what, data, _bulk in CASES])


# -- generated messages --------------------------------------------------------------------

TOKENS = st.sampled_from(["201", "alice", "a.b-c", "+15551234", "", "x y", "b%41"])
HOSTS = st.sampled_from(["pbx.example.com", "10.0.0.5", "[2001:db8::1]", "h", ""])
PARAMS = st.lists(
    st.sampled_from([";tag=1", ";TAG=2", ";expires=60", ";expires=x", ";rport", ";rport=5",
                     ";received=1.2.3.4", ";branch=z9", ";transport=tcp", ";lr", '";q"',
                     '; expires = 5', ";x=\"<a>\"", ",", ";", "=", " "]),
    max_size=4,
).map("".join)  # fmt: skip


@st.composite
def uri(draw: st.DrawFn) -> str:
    scheme = draw(st.sampled_from(["sip", "SIP", "sips", "tel", "http"]))
    user = draw(TOKENS)
    password = draw(st.sampled_from(["", ":pw"]))
    port = draw(st.sampled_from(["", ":5060", ":99999", ":x"]))
    at = "@" if user or password else ""
    return f"{scheme}:{user}{password}{at}{draw(HOSTS)}{port}{draw(PARAMS)}"


@st.composite
def name_addr(draw: st.DrawFn) -> str:
    display = draw(st.sampled_from(["", "Bob ", '"Bob" ', '"A, B" ', "<"]))
    if draw(st.booleans()):
        return f"{display}<{draw(uri())}>{draw(PARAMS)}"
    return f"{draw(uri())}{draw(PARAMS)}"


@st.composite
def via(draw: st.DrawFn) -> str:
    transport = draw(st.sampled_from(["UDP", "tcp", "TLS", "WS"]))
    spacing = draw(st.sampled_from(["", " "]))
    port = draw(st.sampled_from(["", ":5060", ": 5062", ":99999", ":123456"]))
    entry = f"SIP{spacing}/2.0/{transport} {draw(HOSTS)}{port}{draw(PARAMS)}"
    return draw(st.sampled_from(["{}", "{}, SIP/2.0/UDP h;branch=2", "{},", "{} , x"])).format(
        entry
    )


HEADER = st.one_of(
    st.tuples(st.sampled_from(["Via", "v", "VIA"]), via()),
    st.tuples(st.sampled_from(["From", "f", "To", "t", "Contact", "m"]), name_addr()),
    st.tuples(st.sampled_from(["Contact"]), st.sampled_from(["*", "", "<sip:a@b>, <sip:c@d>"])),
    st.tuples(st.sampled_from(["Call-ID", "i", "call-id "]), st.sampled_from(["c1@h", "", "x y"])),
    st.tuples(st.just("CSeq"), st.sampled_from(["1 INVITE", " 2  BYE ", "x", "99999999999 A"])),
    st.tuples(st.sampled_from(["Expires", "Content-Length", "l"]),
              st.sampled_from(["0", "60", " 5 ", "x", "", "12345678901"])),
    st.tuples(st.sampled_from(["Authorization", "Proxy-Authorization"]),
              st.sampled_from(['Digest username="201"', "Digest username=a,b", "", "Digest x",
                               'Digest username="', "username=  c "])),
    st.tuples(st.sampled_from(["User-Agent", "Server", "Content-Type", "X-Other"]),
              st.sampled_from(["", "Yealink", "application/sdp"])),
)  # fmt: skip
START = st.sampled_from(["INVITE sip:a@b SIP/2.0", "SIP/2.0 200 OK", "SIP/2.0 180",
                         "REGISTER sip:a:pw@b SIP/2.0", "ACK x sip/2.0",
                         "SIP/2.0 99 X"])  # fmt: skip


@st.composite
def sip_message(draw: st.DrawFn) -> bytes:
    """Mostly well-formed messages, built to reach both sides of every bulk-path check."""
    headers = draw(st.lists(HEADER, max_size=10))
    separator = draw(st.sampled_from([": ", ":", " : ", ":\t"]))
    head = "\r\n".join([draw(START), *(f"{name}{separator}{value}" for name, value in headers)])
    body = draw(st.sampled_from(["", "", "v=0\r\n"]))
    return (head + "\r\n\r\n" + body).encode()


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(sip_message(), min_size=1, max_size=8))
def test_generated_messages_same_as_exact(payloads: list[bytes]) -> None:
    assert_same_as_exact(payloads)


@settings(max_examples=100, deadline=None)
@given(st.lists(sip_like(), min_size=1, max_size=5))
def test_sip_shaped_bytes_same_as_exact(payloads: list[bytes]) -> None:
    assert_same_as_exact(payloads)


@settings(max_examples=100, deadline=None)
@given(st.lists(st.binary(max_size=300), min_size=1, max_size=5))
def test_any_bytes_same_as_exact(payloads: list[bytes]) -> None:
    assert_same_as_exact(payloads)


def test_sample_messages_same_as_exact() -> None:
    messages = [value for name, value in vars(samples).items()
                if name.isupper() and isinstance(value, bytes)]  # fmt: skip
    assert len(messages) > 5
    assert_same_as_exact(messages)
