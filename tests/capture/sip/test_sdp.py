"""SDP: connection at session and media level, ports, direction, rtpmap, a=rtcp; never raises."""

from __future__ import annotations

import pytest

from pbxlab.capture.sip.sdp import SdpInfo, SdpMedia, parse_sdp, sdp_part
from tests.capture import samples


def sdp(*lines: str) -> bytes:
    return ("\r\n".join(("v=0", "o=- 1 1 IN IP4 10.0.0.5", "s=-", *lines)) + "\r\n").encode()


def test_offer_with_session_connection_and_codecs() -> None:
    assert parse_sdp(samples.SDP_OFFER) == SdpInfo(
        "10.0.0.5",
        [SdpMedia("audio", 40000, "10.0.0.5", "sendrecv", [0, 8, 101],
                  {0: "PCMU/8000", 8: "PCMA/8000", 101: "telephone-event/8000"})],
    )  # fmt: skip


@pytest.mark.parametrize(
    ("body", "media"),
    [
        # session-level direction applies to every media section that does not override it
        (sdp("c=IN IP4 10.0.0.5", "t=0 0", "a=sendonly", "m=audio 4000 RTP/AVP 0",
             "m=video 4002 RTP/AVP 96", "a=inactive"),
         [("audio", 4000, "10.0.0.5", "sendonly", None), ("video", 4002, "10.0.0.5", "inactive",
                                                          None)]),
        # media-level c= overrides the session one; a=rtcp gives the RTCP port
        (sdp("c=IN IP4 10.0.0.5", "t=0 0", "m=audio 4000 RTP/AVP 8", "c=IN IP4 203.0.113.7",
             "a=recvonly", "a=rtcp:4005 IN IP4 203.0.113.7"),
         [("audio", 4000, "203.0.113.7", "recvonly", 4005)]),
        (sdp("t=0 0", "m=audio 5004/2 RTP/AVP 0", "c=IN IP6 2001:db8::5"),
         [("audio", 5004, "2001:db8::5", "sendrecv", None)]),
        (sdp("c=IN IP4 224.2.1.1/127/3", "m=audio 0 RTP/AVP 0"),  # rejected stream, multicast
         [("audio", 0, "224.2.1.1", "sendrecv", None)]),
        (sdp("c=IN IP4 10.0.0.5", "m=image 4010 udptl t38"),
         [("image", 4010, "10.0.0.5", "sendrecv", None)]),
        (sdp("c=IN IP4 10.0.0.5", "m=audio 99999 RTP/AVP 0", "m=audio x RTP/AVP 0",
             "m=audio 4000"), []),
    ],
    ids=["session-direction", "media-override-rtcp", "ipv6-port-count", "rejected-multicast",
         "t38", "invalid-m-lines"],
)  # fmt: skip
def test_media_sections(body: bytes, media: list[tuple[object, ...]]) -> None:
    info = parse_sdp(body)
    assert [(m.kind, m.port, m.connection, m.direction, m.rtcp_port) for m in info.media] == media


def test_audio_is_the_first_audio_section() -> None:
    info = parse_sdp(
        sdp(
            "c=IN IP4 10.0.0.5",
            "m=video 5000 RTP/AVP 96",
            "m=audio 4000 RTP/AVP 0",
            "m=audio 4100 RTP/AVP 0",
        )
    )
    assert info.audio is not None and info.audio.port == 4000
    assert parse_sdp(sdp("m=video 5000 RTP/AVP 96", "m=image 5002 udptl t38")).audio is None
    assert parse_sdp(b"").audio is None


@pytest.mark.parametrize(
    "body",
    [b"", b"hello world", b"<xml/>", b"\xff\xfe\x00m=", b"m=\r\nc=\r\na=rtpmap:x\r\na=rtcp:\r\n"],
)
def test_non_sdp_bodies_give_no_media(body: bytes) -> None:
    assert parse_sdp(body).media == []


def test_rtpmap_with_non_numeric_payload_type_is_ignored() -> None:
    info = parse_sdp(
        sdp("m=audio 4000 RTP/AVP 0 200 abc", "a=rtpmap:zz FOO/1", "a=rtpmap:0 PCMU/8000")
    )
    assert (info.media[0].payload_types, info.media[0].rtpmap) == ([0], {0: "PCMU/8000"})


MULTIPART = (
    b"--b1\r\nContent-Type: application/isup\r\n\r\n\x01\x02\r\n"
    b"--b1\r\nContent-Type: application/sdp\r\n\r\nv=0\r\nc=IN IP4 10.0.0.9\r\n"
    b"m=audio 4000 RTP/AVP 0\r\n\r\n--b1--\r\n"
)


@pytest.mark.parametrize(
    ("content_type", "body", "part"),
    [
        ("application/sdp", b"v=0\r\n", b"v=0\r\n"),
        ("Application/SDP; charset=utf-8", b"v=0\r\n", b"v=0\r\n"),
        (None, b"v=0\r\nm=audio 1 RTP/AVP 0\r\n", b"v=0\r\nm=audio 1 RTP/AVP 0\r\n"),
        (None, b"v=0\nm=audio 1 RTP/AVP 0\n", b"v=0\nm=audio 1 RTP/AVP 0\n"),
        (None, b"hello", None),
        ("text/plain", b"v=0\r\n", None),
        ("application/sdp", b"", None),
        ('multipart/mixed;boundary="b1"', MULTIPART,
         b"v=0\r\nc=IN IP4 10.0.0.9\r\nm=audio 4000 RTP/AVP 0"),
        ("multipart/mixed; boundary=b1", MULTIPART.replace(b"application/sdp", b"text/plain"),
         None),
        ("multipart/mixed", MULTIPART, None),  # no boundary parameter
    ],
    ids=["sdp", "sdp-params", "sniffed-crlf", "sniffed-lf", "not-sdp", "other-type", "empty",
         "multipart", "multipart-without-sdp", "multipart-without-boundary"],
)  # fmt: skip
def test_sdp_part(content_type: str | None, body: bytes, part: bytes | None) -> None:
    assert sdp_part(content_type, body) == part
