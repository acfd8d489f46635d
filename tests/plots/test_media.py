from __future__ import annotations

import pytest

from pbxlab.plots import MediaGuides, rtp_quality, stream_quality
from pbxlab.plots.style import SEVERITY_COLOURS
from pbxlab.tables import RTP_STREAMS
from tests.plots.helpers import annotation_texts, table, traces


def _measure(figure, name):
    return next(t for t in traces(figure, "rtp") if t.meta["measure"] == name)


def test_each_stream_has_its_packets_loss_and_jitter(sample) -> None:
    analysis, _ = sample("lab-call.pcap")
    streams = analysis.rtp_streams.sort_values("first_ts")
    figure = rtp_quality(analysis.rtp_streams)
    assert len(traces(figure, "rtp")) == 3
    assert list(_measure(figure, "packets").x) == list(streams["packets"])
    assert list(_measure(figure, "loss_percent").x) == [0.0, 0.0]
    assert list(_measure(figure, "max_jitter_ms").x) == list(streams["max_jitter_ms"])
    labels = list(_measure(figure, "packets").y)
    assert labels[0].startswith("127.0.0.19:6000 → 127.0.0.18:6000 PCMA/8000")
    assert not any(label.startswith("⚠") for label in labels)
    assert all(c[0] == "call///1-14@127.0.0.19" for c in _measure(figure, "packets").customdata)


def test_media_from_an_unannounced_source_is_flagged(sample) -> None:
    analysis, _ = sample("lab-one-way-audio.pcap")
    assert (~analysis.rtp_streams["src_announced"].astype(bool)).sum() == 1
    figure = rtp_quality(analysis.rtp_streams)
    bars = _measure(figure, "packets")
    assert bars.y[0].startswith("⚠ ")
    assert bars.marker.color == (SEVERITY_COLOURS["warning"],)
    assert "source not announced in SDP" in bars.customdata[0][2]
    assert "1 from unannounced sources" in figure.layout.title.text


def _streams():
    return table(
        RTP_STREAMS,
        {
            "kind": ["rtp", "rtcp", "rtp"],
            "call_id": ["c1", "c1", "c1"],
            "ssrc": [1, 2, 3],
            "src": ["10.0.0.1", "10.0.0.1", "10.0.0.2"],
            "sport": [4000, 4001, 4002],
            "dst": ["10.0.0.2", "10.0.0.2", "10.0.0.1"],
            "dport": [4002, 4003, 4000],
            "packets": [90, 5, 100],
            "lost": [10, 0, 0],
            "max_jitter_ms": [45.0, None, 3.0],
            "first_ts": ["2026-01-01T00:00:00Z", "2026-01-01T00:00:01Z", "2026-01-01T00:00:02Z"],
            "src_announced": [True, True, True],
        },
    )


def test_loss_is_a_share_of_the_expected_packets() -> None:
    quality = stream_quality(_streams())
    assert list(quality["loss_percent"]) == [10.0, 0.0]
    assert list(quality["label"]) == [
        "10.0.0.1:4000 → 10.0.0.2:4002 ssrc 0x00000001",
        "10.0.0.2:4002 → 10.0.0.1:4000 ssrc 0x00000003",
    ]
    with_rtcp = stream_quality(_streams(), include_rtcp=True)
    assert with_rtcp["label"][1].startswith("rtcp 10.0.0.1:4001")


def test_guides_are_drawn_where_asked() -> None:
    figure = rtp_quality(_streams(), guides=MediaGuides(loss_percent=5.0, jitter_ms=20.0))
    assert sorted(shape.x0 for shape in figure.layout.shapes) == [5.0, 20.0]


@pytest.mark.parametrize("kind", ["empty", "rtcp only"])
def test_no_stream_gives_an_explaining_figure(kind) -> None:
    streams = RTP_STREAMS.empty() if kind == "empty" else _streams().query("kind == 'rtcp'")
    figure = rtp_quality(streams)
    assert figure.data == ()
    assert annotation_texts(figure) == ["No RTP streams in this evidence"]
