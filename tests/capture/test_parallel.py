"""SIP parsing on worker processes gives exactly the inline result."""

from __future__ import annotations

import pandas as pd

from pbxlab.capture.reader import iter_capture
from pbxlab.tables import ERRORS, MESSAGES
from tests.conftest import corpus_path


def _read(path: str, workers: int) -> tuple[pd.DataFrame, pd.DataFrame, pd.DataFrame]:
    stream = iter_capture(corpus_path(path), chunk_size=1000, workers=workers)
    chunks = list(stream)
    return (
        MESSAGES.concat([c.messages for c in chunks]),
        ERRORS.concat([c.errors for c in chunks]),
        stream.rtp_streams,
    )


def test_workers_match_inline_parsing() -> None:
    for path in ("pcaps/wireshark-wiki/wireuploaded.pcap", "pcaps/ndpi/fuzz-2006-06-26-2594.pcap"):
        inline = _read(path, 0)
        parallel = _read(path, 2)
        for a, b in zip(inline, parallel, strict=True):
            pd.testing.assert_frame_equal(a, b)
        assert len(inline[0]) > 0
