"""The measured tools of the capture benchmark, one function per tool.

Strategy: each tool turns the same capture into a table of SIP messages with
(as far as the tool allows) the columns of pbxlab's ``messages`` table, and
returns how many rows it produced. The orchestrator (``bench_capture.py``) runs
each one in a fresh Python process, so that peak memory is the tool's own; the
timed region starts after the imports and ends when the DataFrame exists.

A tool returns its row count, or (rows, note) when it has something to say
about what it delivered (e.g. a pyshark mode that loses the SDP fields).

Counting differs by nature: pbxlab counts SIP messages (two in one TCP
segment are two rows); tshark- and pyshark-based tools return one row per
frame containing SIP (``-E occurrence=f``), so their counts are SIP frames.
"""

from __future__ import annotations

import csv
import mmap
import struct
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

# pbxlab's MESSAGES columns and the tshark fields that carry them. Columns with
# no tshark counterpart (contact_count, via_count, encap, parse_error,
# sdp_direction: an ``a=`` line is only reachable as "the first attribute") are
# left out; ports come from whichever of UDP/TCP is present.
TSHARK_FIELDS: dict[str, str] = {
    "frame": "frame.number",
    "ts": "frame.time_epoch",
    "src": "ip.src",
    "dst": "ip.dst",
    "udp_sport": "udp.srcport",
    "udp_dport": "udp.dstport",
    "tcp_sport": "tcp.srcport",
    "tcp_dport": "tcp.dstport",
    "method": "sip.Method",
    "status": "sip.Status-Code",
    "status_line": "sip.Status-Line",
    "call_id": "sip.Call-ID",
    "cseq_num": "sip.CSeq.seq",
    "cseq_method": "sip.CSeq.method",
    "from_user": "sip.from.user",
    "from_host": "sip.from.host",
    "from_tag": "sip.from.tag",
    "to_user": "sip.to.user",
    "to_host": "sip.to.host",
    "to_tag": "sip.to.tag",
    "request_uri": "sip.r-uri",
    "contact": "sip.contact.uri",
    "contact_params": "sip.contact.parameter",
    "contacts": "sip.Contact",
    "expires": "sip.Expires",
    "via_host": "sip.Via.sent-by.address",
    "via_port": "sip.Via.sent-by.port",
    "via_transport": "sip.Via.transport",
    "via_received": "sip.Via.received",
    "via_rport": "sip.Via.rport",
    "branch": "sip.Via.branch",
    "user_agent": "sip.User-Agent",
    "server": "sip.Server",
    "content_type": "sip.Content-Type",
    "content_length": "sip.Content-Length",
    "sdp_connection": "sdp.connection_info.address",
    "sdp_audio_port": "sdp.media.port",
    "authorization": "sip.Authorization",
    "proxy_authorization": "sip.Proxy-Authorization",
    "auth_user": "sip.auth.username",
}

_PCAP_HEADER = struct.Struct("<IHHiIII")
_RECORD = struct.Struct("<IIII")


def tshark_command(path: Path) -> list[str]:
    """The tshark invocation of the tshark-fields tool."""
    args = ["tshark", "-n", "-r", str(path), "-Y", "sip", "-T", "fields"]
    args += ["-E", "header=y", "-E", "separator=/t", "-E", "occurrence=f", "-E", "quote=n"]
    for field in TSHARK_FIELDS.values():
        args += ["-e", field]
    return args


def run_tshark_fields(path: Path) -> int:
    """tshark -T fields piped into pandas.read_csv, then the obvious typing."""
    import pandas as pd

    with subprocess.Popen(
        tshark_command(path), stdout=subprocess.PIPE, stderr=subprocess.DEVNULL
    ) as proc:
        assert proc.stdout is not None
        frame = pd.read_csv(proc.stdout, sep="\t", quoting=csv.QUOTE_NONE, low_memory=False)
    if proc.returncode:
        raise RuntimeError(f"tshark exited with {proc.returncode}")
    frame.columns = list(TSHARK_FIELDS)
    frame["ts"] = pd.to_datetime(frame["ts"], unit="s", utc=True)
    frame["is_request"] = frame["method"].notna()
    frame["auth"] = frame["authorization"].notna() | frame["proxy_authorization"].notna()
    return len(frame)


def run_pbxlab(path: Path) -> int:
    """pbxlab native: read_capture(path), the whole typed messages table in memory."""
    from pbxlab.capture.reader import read_capture

    return len(read_capture(path).messages)


def run_pbxlab_stream(path: Path) -> int:
    """pbxlab's streaming path: iter_capture(path), each chunk dropped once counted."""
    from pbxlab.capture.reader import iter_capture

    count = 0
    for chunk in iter_capture(path):
        count += len(chunk.messages)
    return count


def run_pbxlab_parse_cli(path: Path) -> int:
    """``pbxlab parse FILE -o out.parquet`` as a subprocess; returns the rows written."""
    import sys
    import tempfile

    import pyarrow.parquet as pq

    with tempfile.TemporaryDirectory(prefix="pbxlab-bench-") as tmp:
        out = Path(tmp) / "messages.parquet"
        subprocess.run(
            [sys.executable, "-m", "pbxlab", "parse", str(path), "-o", str(out)],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        return int(pq.ParquetFile(out).metadata.num_rows)


def iter_records(path: Path) -> Iterator[bytes]:
    """The floor: every record's bytes of a classic little-endian pcap, nothing decoded."""
    with open(path, "rb") as stream, mmap.mmap(stream.fileno(), 0, access=mmap.ACCESS_READ) as mm:
        offset = _PCAP_HEADER.size
        end = len(mm)
        unpack = _RECORD.unpack_from
        while offset + 16 <= end:
            _, _, caplen, _ = unpack(mm, offset)
            offset += 16
            yield mm[offset : offset + caplen]
            offset += caplen


def run_floor(path: Path) -> int:
    """Iterate the records; count those whose UDP/TCP payload starts like SIP."""
    count = 0
    for record in iter_records(path):
        # Ethernet + IPv4 (IHL 5) as the generator writes them; payload at 42 (UDP) / 54 (TCP).
        payload_at = 42 if record[23] == 17 else 54
        head = record[payload_at : payload_at + 8]
        if head.startswith(b"SIP/2.0 ") or head[:3] in _SIP_STARTS:
            count += 1
    return count


_SIP_STARTS = {b"REG", b"INV", b"ACK", b"BYE", b"CAN", b"OPT", b"NOT", b"SUB", b"REF", b"INF"}


def run_dpkt(path: Path) -> int:
    """A plain dpkt loop: Ethernet -> IP -> UDP/TCP, count payloads starting like SIP."""
    import dpkt

    count = 0
    with open(path, "rb") as stream:
        for _, buf in dpkt.pcap.Reader(stream):
            eth = dpkt.ethernet.Ethernet(buf)
            ip = eth.data
            if not isinstance(ip, dpkt.ip.IP):
                continue
            l4 = ip.data
            if not isinstance(l4, (dpkt.udp.UDP, dpkt.tcp.TCP)):
                continue
            data = l4.data
            if data[:8].startswith(b"SIP/2.0 ") or data[:3] in _SIP_STARTS:
                count += 1
    return count


# pyshark: the same columns, read from each packet's layers.
_PYSHARK_SIP = {k: v for k, v in TSHARK_FIELDS.items() if v.startswith(("sip.", "sdp."))}


def _flatten(fields: dict[str, Any], out: dict[str, Any]) -> None:
    for key, value in fields.items():
        if isinstance(value, dict):
            _flatten(value, out)
        elif key not in out:
            out[key] = value[0] if isinstance(value, list) and value else value


def _pyshark_row(packet: Any, mode: str) -> dict[str, Any]:
    transport = packet.transport_layer
    row: dict[str, Any] = {
        "frame": packet.number,
        "ts": packet.sniff_timestamp,
        "src": packet.ip.src,
        "dst": packet.ip.dst,
        "sport": packet[transport].srcport if transport else None,
        "dport": packet[transport].dstport if transport else None,
        "transport": transport,
    }
    if mode == "ek":
        # EK layers keep a flat dict keyed "<layer>_<field with dots as underscores>".
        for column, name in _PYSHARK_SIP.items():
            layer_name = name.split(".", 1)[0]
            fields = packet[layer_name]._fields_dict if layer_name in packet else {}
            if isinstance(fields, list):  # several PDUs of the layer in one frame
                fields = fields[0] if fields else {}
            value = fields.get(f"{layer_name}_{name.replace('.', '_')}")
            row[column] = value[0] if isinstance(value, list) and value else value
        return row
    if mode == "json":
        # JSON layers nest header fields in *_tree dicts: flatten to full field names.
        flat: dict[str, Any] = {}
        for layer_name in ("sip", "sdp"):
            if layer_name in packet:
                _flatten(packet[layer_name]._all_fields, flat)
        for column, name in _PYSHARK_SIP.items():
            row[column] = flat.get(name)
        return row
    sip = packet.sip
    for column, name in _PYSHARK_SIP.items():
        if name.startswith("sip."):
            row[column] = sip.get_field(name.removeprefix("sip."))
        else:
            # PDML nests the SDP inside the SIP layer: "sdp_connection_info_address".
            row[column] = sip.get_field(name.replace(".", "_"))
    return row


# tshark emits only these protocols, with all their fields (-J; -j would drop the
# nested header fields and return rows without Call-ID, CSeq, Via...).
_ONLY_LAYERS = ["-J", "frame ip udp tcp sip sdp"]

PYSHARK_VARIANTS: dict[str, dict[str, Any]] = {
    # What a first script does: FileCapture with a display filter, everything else default.
    "default": {"keep_packets": True},
    "xml": {"keep_packets": False},
    "xml-J": {"keep_packets": False, "custom_parameters": _ONLY_LAYERS},
    "json": {"keep_packets": False, "use_json": True},
    "json-J": {"keep_packets": False, "use_json": True, "custom_parameters": _ONLY_LAYERS},
    # ... and without TCP sequence analysis (reassembly still works).
    "json-J-noseq": {
        "keep_packets": False,
        "use_json": True,
        "custom_parameters": [*_ONLY_LAYERS, "-o", "tcp.analyze_sequence_numbers:FALSE"],
    },
    # (pyshark 0.6's EK parser drops the SDP layer and fails on -j/-J-filtered output.)
    "ek": {"keep_packets": False, "use_ek": True},
}


def run_pyshark(path: Path, variant: str) -> tuple[int, str]:
    """pyshark FileCapture(display_filter='sip', ...) in one configuration, into a DataFrame."""
    import pandas as pd
    import pyshark

    options = PYSHARK_VARIANTS[variant]
    mode = "json" if options.get("use_json") else "ek" if options.get("use_ek") else "xml"
    capture = pyshark.FileCapture(str(path), display_filter="sip", **options)
    try:
        rows = [_pyshark_row(packet, mode) for packet in capture]
    finally:
        capture.close()
    frame = pd.DataFrame(rows)
    if not len(frame):
        return 0, ""
    frame["ts"] = pd.to_datetime(frame["ts"].astype(float), unit="s", utc=True)
    # A configuration that is fast because it delivers no header fields does not count.
    if frame["call_id"].notna().mean() < 0.99:
        raise RuntimeError(f"pyshark {variant}: most rows have no Call-ID; fields are missing")
    missing = [c for c in _PYSHARK_SIP if c in _ALWAYS_THERE and frame[c].isna().all()]
    return len(frame), f"no {', '.join(missing)} fields" if missing else ""


# Columns every capture of the generator fills in at least some rows.
_ALWAYS_THERE = {"call_id", "cseq_num", "from_user", "via_host", "sdp_connection", "user_agent"}


# Tools that only launch another process: their peak memory is the child's.
LAUNCHERS = {"pbxlab-parse-cli"}


def tool_function(tool: str) -> Callable[[Path], int | tuple[int, str]]:
    """The function measuring ``tool`` ('pbxlab', 'tshark-fields', 'pyshark-json', ...)."""
    if tool.startswith("pyshark-"):
        variant = tool.removeprefix("pyshark-")
        return lambda path: run_pyshark(path, variant)
    return {
        "pbxlab": run_pbxlab,
        "pbxlab-stream": run_pbxlab_stream,
        "pbxlab-parse-cli": run_pbxlab_parse_cli,
        "tshark-fields": run_tshark_fields,
        "floor": run_floor,
        "dpkt": run_dpkt,
    }[tool]
