"""Decoding record batches as they arrive: the native backend, fed instead of reading.

Strategy: :class:`LiveDecoder` is the native backend's run
(:class:`~pbxlab.capture.native.NativeRun`) driven batch by batch instead of
over a whole file, so a live capture is decoded by exactly the code that
decodes a file: the same IP reassembly, TCP stream state, SDP-announced media
tracking and SIP parsing, carried across the files of a capture ring.  SIP is
parsed inline (no worker processes): a live batch is small and must come out
at once.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from pbxlab.capture.backend import CaptureChunk
from pbxlab.capture.decode import PacketDecoder
from pbxlab.capture.framing import RecordBatch
from pbxlab.capture.native import NativeRun
from pbxlab.capture.sip_batch import SipParsers
from pbxlab.capture.tcp import TcpReassembler

__all__ = ["LiveDecoder"]


class LiveDecoder(NativeRun):
    """Turns record batches into MESSAGES rows (and ERRORS rows) as they are fed.

    ``source_file`` names the file the next batches come from (their rows'
    ``source_file``; frame numbers are the batch's own, counted per file).
    """

    def __init__(self, source_file: str) -> None:
        super().__init__(Path(source_file), strict=False, chunk_size=1, workers=0)
        self._live_decoder = PacketDecoder()
        self._live_tcp = TcpReassembler()
        self._live_parsers = SipParsers(self.name, 0)

    def switch_file(self, source_file: str) -> None:
        """Name the file the next batches come from (a new file of the ring)."""
        self.path = Path(source_file)
        self.name = source_file
        self._live_parsers = SipParsers(source_file, 0)

    def feed(self, batch: RecordBatch) -> CaptureChunk:
        """Decode ``batch``; returns the messages and problems it completed (maybe none)."""
        if len(batch):
            self.stats["frames"] += len(batch)
            self._batch(batch, self._live_decoder, self._live_tcp)
            self._live_parsers.submit(self._take_pending())
            self._collect(self._live_parsers.ready())
        return self._take_chunk()

    def media(self) -> pd.DataFrame:
        """The RTP_STREAMS table of every stream seen so far."""
        return self._media.table(self.name)
