"""The capture ring: dumpcap's failures in plain words, reading files as dumpcap writes them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

import pbxlab
from lab.run_scenario import REPO, _isolation
from pbxlab.errors import InputError
from pbxlab.live.changes import Notice
from pbxlab.live.decoder import LiveDecoder
from pbxlab.live.pcapstream import PcapStream
from pbxlab.live.ring import (
    CaptureSource,
    LiveCaptureError,
    RingReader,
    explain_dumpcap_failure,
    interface_lost,
)
from tests.conftest import corpus_path

needs_dumpcap = pytest.mark.skipif(shutil.which("dumpcap") is None, reason="needs dumpcap")


@pytest.mark.parametrize(
    ("stderr", "kind", "message"),
    [
        (
            "Capturing on 'eth0'\ndumpcap: You don't have permission to capture on that "
            "device (socket: Operation not permitted)",
            LiveCaptureError,
            r"not permitted to capture on 'eth0'.*setcap cap_net_raw",
        ),
        (
            "Capturing on 'eth9'\ndumpcap: There is no device named \"eth9\".\n"
            "(No such device exists)",
            LiveCaptureError,
            r"no interface named 'eth9'.*dumpcap -D",
        ),
        (
            "dumpcap: Invalid capture filter \"port 5060 and\" for interface 'eth0'.",
            InputError,
            r"--filter: dumpcap rejects the capture filter 'port 5060 and'",
        ),
        ("", LiveCaptureError, "dumpcap failed on 'eth0': no message"),
    ],
)
def test_dumpcap_failures_are_told_apart(stderr: str, kind: type[Exception], message: str) -> None:
    error = explain_dumpcap_failure(stderr, "eth9" if "eth9" in stderr else "eth0", "port 5060 and")
    assert isinstance(error, kind)
    with pytest.raises(kind, match=message):
        raise error


@pytest.mark.parametrize(
    ("stderr", "lost"),
    [
        (
            "dumpcap: The network adapter on which the capture was being done is no longer running;"
            " the capture has stopped.",
            True,
        ),
        ("dumpcap: Error while capturing packets: The interface went down", True),
        ("Packets captured: 12", False),
    ],
)
def test_an_interface_going_away_is_recognised(stderr: str, lost: bool) -> None:
    assert interface_lost(stderr) is lost


def _write_growing(ring: Path, name: str, data: bytes) -> Path:
    path = ring / name
    path.write_bytes(data)
    return path


def test_the_reader_follows_files_in_ring_order_and_finishes_each_one(tmp_path: Path) -> None:
    sample = corpus_path("pcaps/ndpi/sip_hello.pcapng").read_bytes()
    first = _write_growing(tmp_path, "ring1_00001_20240501100000.pcapng", sample[:100])
    reader = RingReader(tmp_path)
    pieces, notices = reader.poll()
    assert [(p[0].path, len(p[1])) for p in pieces] == [(first, 100)] and notices == []
    with first.open("ab") as sink:
        sink.write(sample[100:])
    second = _write_growing(tmp_path, "ring1_00002_20240501100100.pcapng", sample)
    pieces, _ = reader.poll()
    assert [(p[0].path, len(p[1])) for p in pieces] == [
        (first, len(sample) - 100),
        (second, len(sample)),
    ]
    # decoding the pieces file by file gives every SIP message of both files
    decoder, streams, found = LiveDecoder(str(first)), {}, 0
    for ring_file, data in [(first, sample[:100])] + [(p[0].path, p[1]) for p in pieces]:
        stream = streams.setdefault(ring_file, PcapStream(str(ring_file)))
        found += len(decoder.feed(stream.feed(data)).messages)
    assert found == 2 * len(pbxlab.read_capture(first).messages)


def test_files_recycled_before_they_were_read_are_reported(tmp_path: Path) -> None:
    sample = corpus_path("pcaps/ndpi/sip_hello.pcapng").read_bytes()
    _write_growing(tmp_path, "ring1_00001_20240501100000.pcapng", sample)
    reader = RingReader(tmp_path)
    reader.poll()
    (tmp_path / "ring1_00001_20240501100000.pcapng").unlink()
    _write_growing(tmp_path, "ring1_00004_20240501100300.pcapng", sample)
    _, notices = reader.poll()
    assert [n.kind for n in notices] == ["overrun"]
    assert isinstance(notices[0], Notice) and "2 file(s)" in notices[0].message


@needs_dumpcap
def test_capturing_on_an_interface_that_does_not_exist_says_so(tmp_path: Path) -> None:
    source = CaptureSource("pbxlab-no-such-if0", ring_dir=tmp_path)
    try:
        with pytest.raises(LiveCaptureError, match="no interface named 'pbxlab-no-such-if0'"):
            source.start()
    finally:
        source.close()


_VANISHING_INTERFACE = r"""
import json, subprocess, sys, time
from pbxlab.live.ring import CaptureSource

def ip(*args):
    subprocess.run(["ip", "link", *args], check=True, capture_output=True)

ip("add", "pbxv0", "type", "veth", "peer", "name", "pbxv1")
ip("set", "pbxv0", "up")
source = CaptureSource("pbxv0", ring_dir=sys.argv[1], restart_every=0.3)
source.start()
kinds = []

def poll_until(kind):
    for _ in range(100):
        kinds.extend(n.kind for n in source.poll().notices)
        if kind in kinds:
            return
        time.sleep(0.1)

ip("del", "pbxv0")
poll_until("interface_lost")
ip("add", "pbxv0", "type", "veth", "peer", "name", "pbxv1")
ip("set", "pbxv0", "up")
poll_until("interface_back")
source.close()
print(json.dumps(kinds))
"""


@needs_dumpcap
def test_an_interface_that_disappears_is_reported_and_captured_again_when_back(
    tmp_path: Path,
) -> None:
    # in a private network namespace: a veth pair whose ends both stay inside it,
    # removed and re-created; no packet is sent anywhere
    isolation = _isolation()
    if isinstance(isolation, str):
        pytest.skip(isolation)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run(
        [*isolation.prefix, sys.executable, "-c", _VANISHING_INTERFACE, str(tmp_path)],
        capture_output=True,
        text=True,
        timeout=60,
        env=env,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    kinds = json.loads(done.stdout.splitlines()[-1])
    assert kinds.index("interface_lost") < kinds.index("interface_back")
