"""Generate a realistic, deterministic SIP capture for the benchmark and for tests.

Strategy: a seeded discrete-event simulation of one hosted-PBX node as seen by
a capture taken on the PBX host (Ethernet/IPv4, classic pcap). Phones of
several tenants, most behind NAT (private Via/Contact/SDP, public source
address, ``rport``/``received`` in the PBX's responses), register with a digest
challenge and refresh; the PBX qualifies them with OPTIONS (some never answer);
calls go through the PBX as a B2BUA (INVITE/407/ACK/INVITE, 100/180/200/ACK,
BYE on both legs, busy 486 and cancelled CANCEL/487 calls) with G.711 RTP in
both directions on both legs. About 10% of the phones use TCP (handshake,
coherent sequence numbers, sometimes two messages in one segment or one
message over two segments) and some write compact header names.

Time advances in one-second windows. The actions due in a window run (a
registration, a keepalive, a call's setup or hangup) and drop their frames into
per-second buckets -- a transaction's later frames go to later buckets -- then
the live RTP streams add their packets for the window, and the window's bucket
is sorted and written. Memory therefore follows the traffic of the next few
seconds, never the file size, and a 1 GB capture streams to disk.

The generator counts what it writes (SIP messages by method and status,
transports, RTP packets): that :class:`CaptureTruth` is the ground truth the
tests compare tshark with, and the benchmark compares every tool with.

Run ``python benchmarks/gen_capture.py --help`` for the command line.
"""

from __future__ import annotations

import argparse
import heapq
import itertools
import json
import os
import random
import struct
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script: make the sibling modules importable
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from benchmarks.pcap_frames import (
    TCP_ACK,
    TCP_PSH,
    TCP_SYN,
    Endpoint,
    PcapWriter,
    TcpConnection,
)
from benchmarks.sip_text import (
    Headers,
    digest_challenge,
    digest_credentials,
    sdp_body,
    sip_message,
    status_line,
)

# Bump when the generated traffic changes, so cached benchmark files are rebuilt.
GENERATOR_VERSION = 2

DATA_DIR = Path(__file__).resolve().parent / "data"

PBX_IP = "203.0.113.10"
PBX_NAME = "Asterisk PBX 20.5.2"
RTP_INTERVAL = 0.020  # G.711 at 20 ms packetisation
RTP_SAMPLES = 160  # 8 kHz * 20 ms
_RTP_HEADER = struct.Struct("!BBHII")
WINDOW = 1.0

USER_AGENTS = (
    "Yealink SIP-T46S 66.86.0.15",
    "Yealink SIP-T54W 96.86.0.70",
    "Poly VVX 450 6.4.3.5018",
    "Grandstream GXP2170 1.0.11.23",
    "snom D785/10.1.73.16",
    "Cisco/SPA504G-7.6.2f",
    "Fanvil X4U 2.12.6",
)
SOFTPHONES = ("Zoiper rv2.10.19.2", "MicroSIP/3.21.3", "Linphone/5.2.0 (belle-sip/5.2.0)")
TENANT_NAMES = ("acme", "globex", "initech", "umbrella", "hooli", "stark", "wayne", "vandelay")

LABEL_RTP = "rtp"


@dataclass(frozen=True)
class CaptureParams:
    """What to simulate. ``duration`` None means "until ``target_bytes`` is reached"."""

    phones: int = 1000
    duration: float | None = 900.0
    call_rate: float = 0.12  # new calls per second
    seed: int = 1
    target_bytes: int | None = None
    tcp_share: float = 0.10
    nat_share: float = 0.85
    compact_share: float = 0.10
    tcp_split_share: float = 0.08  # TCP messages sent as two segments
    keepalive_interval: float = 30.0
    mean_talk_seconds: float = 15.0
    start_epoch: float = 1772442000.0  # 2026-03-02 09:00:00 UTC

    def __post_init__(self) -> None:
        if self.duration is None and self.target_bytes is None:
            raise ValueError("give a duration, a target size, or both")
        if self.phones < 2:
            raise ValueError("at least two phones are needed for calls")


PRESETS: dict[str, CaptureParams] = {
    # For tests: a few hundred frames' worth of every feature, in well under a second.
    "tiny": CaptureParams(
        phones=30,
        duration=75.0,
        call_rate=0.25,
        seed=7,
        mean_talk_seconds=2.0,
        tcp_split_share=0.3,
    ),
    "small": CaptureParams(phones=300, duration=240.0, call_rate=0.05, seed=3),
    # The benchmark file: >= 300k packets, about a quarter of them SIP.
    "default": CaptureParams(),
    # The streaming-memory file: the same traffic, kept up until 1.1 GiB are written.
    "big": CaptureParams(duration=None, target_bytes=int(1.1 * 2**30)),
}


@dataclass
class CaptureTruth:
    """What the generator wrote: the ground truth the tests and the benchmark check against."""

    path: str
    params: dict[str, Any]
    generator_version: int
    frames: int = 0
    bytes: int = 0
    sip_messages: int = 0
    sip_frames: int = 0  # frames that complete at least one SIP message
    requests: dict[str, int] = field(default_factory=dict)  # by method
    responses: dict[str, int] = field(default_factory=dict)  # by status code
    sip_by_transport: dict[str, int] = field(default_factory=dict)
    tcp_segments: int = 0
    rtp_packets: int = 0
    rtp_streams: int = 0
    rtp_dropped: int = 0  # packets the simulated network lost (gaps in sequence numbers)
    calls: dict[str, int] = field(default_factory=dict)  # by outcome
    first_ts: float = 0.0
    last_ts: float = 0.0
    generation_seconds: float = 0.0

    def to_json(self) -> str:
        """The truth as indented JSON."""
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> CaptureTruth:
        """Read back what :meth:`to_json` wrote."""
        return cls(**json.loads(text))


def _benchmark_address(index: int) -> str:
    """The index-th host address of 198.18.0.0/15 (RFC 2544), skipping .0 and .255."""
    subnet, host = divmod(index, 254)
    return f"198.{18 + subnet // 256}.{subnet % 256}.{host + 1}"


@dataclass(eq=False)
class _Phone:
    ext: str
    domain: str
    display: str
    lan: Endpoint  # the address the phone believes it has (private behind NAT)
    wire: Endpoint  # the address its SIP packets arrive from
    rtp_lan_port: int
    rtp_wire: Endpoint
    transport: str  # "UDP" or "TCP"
    nat: bool
    rport: bool
    user_agent: str
    compact: bool
    expires: int
    codec: int
    owd: float  # one-way delay to the PBX, seconds
    keepalive_broken: bool
    stale_password: bool
    reg_call_id: str = ""
    reg_cseq: int = 0
    nonce: str | None = None
    nc: int = 0
    registered: bool = False
    keepalive_generation: int = 0
    options_cseq: int = 0
    in_call: bool = False
    tcp: TcpConnection | None = None

    @property
    def aor(self) -> str:
        return f"sip:{self.ext}@{self.domain}"

    @property
    def contact_uri(self) -> str:
        suffix = ";transport=tcp" if self.transport == "TCP" else ""
        return f"sip:{self.ext}@{self.lan.ip}:{self.lan.port}{suffix}"


@dataclass
class _Request:
    """The headers a response copies from its request."""

    via: str  # as the recipient sends it back (received/rport filled in)
    from_: str
    to: str
    call_id: str
    cseq: str


@dataclass(eq=False)
class _RtpStream:
    src: Endpoint
    dst: Endpoint
    ssrc: int
    seq: int
    rtp_ts: int
    payload_type: int
    next_t: float
    loss: float
    jitter: float
    end_t: float = float("inf")
    marker: bool = True


@dataclass(eq=False)
class _Call:
    caller: _Phone
    callee: _Phone
    leg_a: _Request  # caller -> PBX dialog identity (as the caller sends requests)
    leg_b: _Request  # PBX -> callee dialog identity (as the PBX sends requests)
    a_cseq: int
    streams: list[_RtpStream]
    relay_ports: tuple[int, int]


# A scheduled frame: (ts_us, order, kind, a, b, payload, labels). kind 0: UDP from
# endpoint a to endpoint b; kind 1: TCP on connection a, b = from_client, with flags.
_UDP = 0
_TCP = 1
# A TCP message sent as two segments: nothing else may leave in that direction
# between its head and its tail, whatever the other scenarios scheduled.
_WHOLE, _HEAD, _TAIL = 0, 1, 2


class _Simulation:
    def __init__(self, params: CaptureParams, writer: PcapWriter, truth: CaptureTruth) -> None:
        self.p = params
        self.rng = random.Random(params.seed)
        self.writer = writer
        self.truth = truth
        self.start_us = round(params.start_epoch * 1_000_000)
        self.pbx = Endpoint(PBX_IP, 5060, local=True)
        self.actions: list[tuple[float, int, Callable[..., None], tuple[Any, ...]]] = []
        self.buckets: defaultdict[int, list[tuple[Any, ...]]] = defaultdict(list)
        self.order = itertools.count()
        self.streams: list[_RtpStream] = []
        self.available: list[_Phone] = []  # registered phones that calls may use
        self.relay_ports: list[int] = list(range(10000, 20000, 2))
        self.payloads = [self._g711_payload() for _ in range(32)]
        self.requests: Counter[str] = Counter()
        self.responses: Counter[str] = Counter()
        self.transports: Counter[str] = Counter()
        self.calls: Counter[str] = Counter()
        # (connection, direction) -> (id of the message split open there, frames held back)
        self.split_open: dict[tuple[int, bool], tuple[int, list[tuple[Any, ...]]]] = {}
        self.phones = self._make_phones()

    # ---- identities -------------------------------------------------------------

    def _hex(self, bits: int = 64) -> str:
        return f"{self.rng.getrandbits(bits):0{bits // 4}x}"

    def _g711_payload(self) -> bytes:
        # Low-level noise around mu-law zero (0xFF/0x7F), like comfort noise on a quiet line.
        return bytes(self.rng.choice((0xFF, 0x7F, 0xFE, 0x7E, 0xFD, 0x7D)) for _ in range(160))

    def _spread(self, count: int, share: float) -> list[bool]:
        """Exactly round(count*share) True values in seeded random positions."""
        hits = round(count * share)
        flags = [True] * hits + [False] * (count - hits)
        self.rng.shuffle(flags)
        return flags

    def _nat_port(self, used: set[tuple[int, int]], public_index: int) -> int:
        """A NAT mapping port not yet used on this public address."""
        while True:
            port = self.rng.randrange(20000, 60000)
            if (public_index, port) not in used:
                used.add((public_index, port))
                return port

    def _make_phones(self) -> list[_Phone]:
        rng = self.rng
        n = self.p.phones
        tcp = self._spread(n, self.p.tcp_share)
        nat = self._spread(n, self.p.nat_share)
        compact = self._spread(n, self.p.compact_share)
        broken_keepalive = self._spread(n, 0.02)
        stale_password = self._spread(n, 0.01)
        phones: list[_Phone] = []
        tenants = max(1, n // 60)
        site_public: dict[tuple[int, int], int] = {}
        nat_ports: set[tuple[int, int]] = set()
        for i in range(n):
            tenant = i % tenants
            domain = f"{TENANT_NAMES[tenant % len(TENANT_NAMES)]}{tenant:03d}.pbx.example.net"
            ext = str(200 + i // tenants)
            site = rng.randrange(3)
            # Public addresses come from 198.18.0.0/15 (RFC 2544, reserved for benchmarks).
            if nat[i]:
                key = (tenant, site)
                if key not in site_public:
                    site_public[key] = len(site_public)
                public_index = site_public[key]
                private_ip = f"192.168.{site + 1}.{10 + (i // tenants) % 240}"
            else:
                public_index = 20000 + i
                private_ip = ""
            public_ip = _benchmark_address(public_index)
            transport = "TCP" if tcp[i] else "UDP"
            # UDP phones send from 5060; TCP phones connect from an ephemeral port.
            lan_port = 5060 if transport == "UDP" else rng.randrange(32768, 61000)
            rtp_lan_port = rng.randrange(11000, 12000, 2)
            wire_port, rtp_wire_port = lan_port, rtp_lan_port
            if nat[i]:
                wire_port = self._nat_port(nat_ports, public_index)
                rtp_wire_port = self._nat_port(nat_ports, public_index)
            softphone = tcp[i] or rng.random() < 0.1
            ua = rng.choice(SOFTPHONES) if softphone else rng.choice(USER_AGENTS)
            phones.append(
                _Phone(
                    ext=ext,
                    domain=domain,
                    display=f"Ext {ext}",
                    lan=Endpoint(private_ip if nat[i] else public_ip, lan_port),
                    wire=Endpoint(public_ip, wire_port),
                    rtp_lan_port=rtp_lan_port,
                    rtp_wire=Endpoint(public_ip, rtp_wire_port),
                    transport=transport,
                    nat=nat[i],
                    rport=rng.random() < 0.8,
                    user_agent=ua,
                    compact=compact[i],
                    expires=rng.choice((60, 120, 300) if nat[i] else (600, 1800, 3600)),
                    codec=rng.choice((0, 0, 8)),
                    owd=rng.uniform(0.004, 0.045),
                    keepalive_broken=broken_keepalive[i] and not tcp[i],
                    stale_password=stale_password[i],
                    reg_call_id=f"{self._hex(96)}@{private_ip or public_ip}",
                    reg_cseq=rng.randrange(1, 5000),
                )
            )
        return phones

    # ---- scheduling and emission ------------------------------------------------

    def schedule(self, t: float, action: Callable[..., None], *args: Any) -> None:
        heapq.heappush(self.actions, (t, next(self.order), action, args))

    def _bucket(self, t: float, entry: tuple[Any, ...]) -> None:
        self.buckets[int(t // WINDOW)].append(entry)

    def _udp(
        self, t: float, src: Endpoint, dst: Endpoint, payload: bytes, labels: tuple[str, ...]
    ) -> None:
        ts_us = self.start_us + round(t * 1_000_000)
        self._bucket(t, (ts_us, next(self.order), _UDP, src, dst, payload, labels))

    def _tcp(
        self,
        t: float,
        conn: TcpConnection,
        *,
        from_client: bool,
        flags: int,
        payload: bytes,
        labels: tuple[str, ...],
        split: tuple[int, int] = (_WHOLE, 0),
    ) -> None:
        ts_us = self.start_us + round(t * 1_000_000)
        entry = (ts_us, next(self.order), _TCP, conn, (from_client, flags, split), payload, labels)
        self._bucket(t, entry)

    def _open_tcp(self, t: float, phone: _Phone) -> float:
        """Emit a three-way handshake from the phone; returns when the phone can send data."""
        conn = TcpConnection(
            phone.wire, self.pbx, self.rng.getrandbits(32), self.rng.getrandbits(32)
        )
        phone.tcp = conn
        self._tcp(t, conn, from_client=True, flags=TCP_SYN, payload=b"", labels=())
        self._tcp(
            t + 0.00004, conn, from_client=False, flags=TCP_SYN | TCP_ACK, payload=b"", labels=()
        )
        ack_at = t + 2 * phone.owd + 0.0002
        self._tcp(ack_at, conn, from_client=True, flags=TCP_ACK, payload=b"", labels=())
        return ack_at + 0.00005

    def send(
        self, t: float, phone: _Phone, from_phone: bool, messages: list[tuple[bytes, str]]
    ) -> None:
        """Put SIP messages between ``phone`` and the PBX on the wire at time ``t``.

        Over TCP, several messages given together leave in one segment (as a
        stack writing a provisional and a final response back to back does).
        """
        if phone.transport == "UDP":
            src, dst = (phone.wire, self.pbx) if from_phone else (self.pbx, phone.wire)
            for i, (message, label) in enumerate(messages):
                self._udp(t + i * 0.00008, src, dst, message, (label,))
            return
        conn = phone.tcp
        assert conn is not None, "a TCP phone registers (and connects) before anything else"
        if len(messages) > 1:
            payload = b"".join(m for m, _ in messages)
            labels = tuple(label for _, label in messages)
            self._tcp(
                t,
                conn,
                from_client=from_phone,
                flags=TCP_PSH | TCP_ACK,
                payload=payload,
                labels=labels,
            )
        else:
            message, label = messages[0]
            if self.rng.random() < self.p.tcp_split_share:
                # A stack writing headers and body separately, or a full socket buffer.
                head_end = message.find(b"\r\n\r\n") + 4
                cut = head_end if head_end < len(message) else self.rng.randrange(20, len(message))
                message_id = next(self.order)
                self._tcp(
                    t,
                    conn,
                    from_client=from_phone,
                    flags=TCP_ACK,
                    payload=message[:cut],
                    labels=(),
                    split=(_HEAD, message_id),
                )
                t += self.rng.uniform(0.0001, 0.002)
                self._tcp(
                    t,
                    conn,
                    from_client=from_phone,
                    flags=TCP_PSH | TCP_ACK,
                    payload=message[cut:],
                    labels=(label,),
                    split=(_TAIL, message_id),
                )
            else:
                self._tcp(
                    t,
                    conn,
                    from_client=from_phone,
                    flags=TCP_PSH | TCP_ACK,
                    payload=message,
                    labels=(label,),
                )
        if self.rng.random() < 0.5:
            # The receiver's delayed ACK, when no data of its own carries it first.
            ack_t = t + self.rng.uniform(0.0002, 0.04) + (phone.owd * 2 if not from_phone else 0)
            self._tcp(
                ack_t, conn, from_client=not from_phone, flags=TCP_ACK, payload=b"", labels=()
            )

    # ---- header helpers -----------------------------------------------------------

    def _branch(self) -> str:
        return "z9hG4bK" + self._hex(48)

    def _phone_via(self, phone: _Phone, branch: str) -> tuple[str, str]:
        """The phone's Via as sent, and as the PBX returns it (RFC 3581 received/rport)."""
        base = f"SIP/2.0/{phone.transport} {phone.lan.ip}:{phone.lan.port};branch={branch}"
        if phone.rport:
            return base + ";rport", f"{base};rport={phone.wire.port};received={phone.wire.ip}"
        if phone.lan.ip != phone.wire.ip:
            return base, f"{base};received={phone.wire.ip}"
        return base, base

    def _pbx_via(self, phone: _Phone) -> str:
        return f"SIP/2.0/{phone.transport} {PBX_IP}:5060;rport;branch=z9hG4bKPj{self._hex(64)}"

    def _phone_request(
        self,
        phone: _Phone,
        method: str,
        ruri: str,
        req: _Request,
        sent_via: str,
        *,
        extra: Headers = (),
        body: bytes = b"",
    ) -> bytes:
        headers = [
            ("Via", sent_via),
            ("Max-Forwards", "70"),
            ("From", req.from_),
            ("To", req.to),
            ("Call-ID", req.call_id),
            ("CSeq", req.cseq),
            *extra,
            ("User-Agent", phone.user_agent),
        ]
        if body:
            headers.append(("Content-Type", "application/sdp"))
        return sip_message(f"{method} {ruri} SIP/2.0", headers, body, phone.compact)

    def _pbx_response(
        self,
        status: int,
        req: _Request,
        to_tag: str | None,
        *,
        extra: Headers = (),
        body: bytes = b"",
    ) -> bytes:
        to = req.to if to_tag is None or ";tag=" in req.to else f"{req.to};tag={to_tag}"
        headers = [
            ("Via", req.via),
            ("Call-ID", req.call_id),
            ("From", req.from_),
            ("To", to),
            ("CSeq", req.cseq),
            ("Server", PBX_NAME),
            *extra,
        ]
        if body:
            headers.append(("Content-Type", "application/sdp"))
        return sip_message(status_line(status), headers, body)

    def _phone_response(
        self,
        phone: _Phone,
        status: int,
        req: _Request,
        to_tag: str | None,
        *,
        extra: Headers = (),
        body: bytes = b"",
    ) -> bytes:
        to = req.to if to_tag is None or ";tag=" in req.to else f"{req.to};tag={to_tag}"
        headers = [
            ("Via", req.via),
            ("From", req.from_),
            ("To", to),
            ("Call-ID", req.call_id),
            ("CSeq", req.cseq),
            *extra,
            ("User-Agent", phone.user_agent),
        ]
        if body:
            headers.append(("Content-Type", "application/sdp"))
        return sip_message(status_line(status), headers, body, phone.compact)

    def _pbx_request(
        self,
        phone: _Phone,
        method: str,
        ruri: str,
        req: _Request,
        *,
        extra: Headers = (),
        body: bytes = b"",
    ) -> bytes:
        transport_param = ";transport=tcp" if phone.transport == "TCP" else ""
        headers = [
            ("Via", req.via),
            ("From", req.from_),
            ("To", req.to),
            ("Contact", f"<sip:asterisk@{PBX_IP}:5060{transport_param}>"),
            ("Call-ID", req.call_id),
            ("CSeq", req.cseq),
            ("Max-Forwards", "70"),
            ("User-Agent", PBX_NAME),
            *extra,
        ]
        if body:
            headers.append(("Content-Type", "application/sdp"))
        return sip_message(f"{method} {ruri} SIP/2.0", headers, body)

    # ---- registration -------------------------------------------------------------

    def register(self, t: float, phone: _Phone, unregister: bool = False) -> None:
        if phone.transport == "TCP" and phone.tcp is None:
            t = self._open_tcp(t, phone)
        realm = phone.domain
        ruri = f"sip:{phone.domain}"
        expires = 0 if unregister else phone.expires
        contact_extra = [("Contact", f"<{phone.contact_uri}>"), ("Expires", str(expires))]
        contact_extra.append(("Allow", "INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, OPTIONS, INFO"))
        from_ = f"<{phone.aor}>;tag={self._hex(40)}"
        to = f"<{phone.aor}>"

        def transaction(at: float, authorization: str | None) -> _Request:
            phone.reg_cseq += 1
            branch = self._branch()
            sent_via, returned_via = self._phone_via(phone, branch)
            req = _Request(returned_via, from_, to, phone.reg_call_id, f"{phone.reg_cseq} REGISTER")
            extra = list(contact_extra)
            if authorization is not None:
                extra.append(("Authorization", authorization))
            self.send(
                at,
                phone,
                True,
                [
                    (
                        self._phone_request(phone, "REGISTER", ruri, req, sent_via, extra=extra),
                        "REGISTER",
                    )
                ],
            )
            return req

        def credentials() -> str:
            assert phone.nonce is not None
            phone.nc += 1
            return digest_credentials(
                user=phone.ext,
                realm=realm,
                nonce=phone.nonce,
                uri=ruri,
                response=self._hex(128),
                cnonce=self._hex(32),
                nc=phone.nc,
            )

        # The PBX rotates nonces; a phone reusing a stale one is challenged again.
        challenged = phone.nonce is None or self.rng.random() < 0.35
        req = transaction(t, credentials() if phone.nonce is not None else None)
        if challenged:
            t += self.rng.uniform(0.0003, 0.002)
            stale = phone.nonce is not None
            phone.nonce = self._hex(80)
            phone.nc = 0
            challenge = [("WWW-Authenticate", digest_challenge(realm, phone.nonce, stale))]
            self.send(
                t,
                phone,
                False,
                [(self._pbx_response(401, req, self._hex(32), extra=challenge), "401")],
            )
            t += 2 * phone.owd + self.rng.uniform(0.001, 0.02)
            req = transaction(t, credentials())
        t += self.rng.uniform(0.0005, 0.004)
        if phone.stale_password and not unregister:
            # A password reset the phone never got: the registrar refuses, the phone retries.
            self.send(t, phone, False, [(self._pbx_response(403, req, self._hex(32)), "403")])
            phone.nonce = None
            self.schedule(t + 60 + self.rng.uniform(0, 5), self.register, phone)
            return
        granted = [("Contact", f"<{phone.contact_uri}>;expires={expires}")] if expires else []
        granted += [
            ("Expires", str(expires)),
            (
                "Date",
                time.strftime("%a, %d %b %Y %H:%M:%S GMT", time.gmtime(self.p.start_epoch + t)),
            ),
        ]
        self.send(
            t, phone, False, [(self._pbx_response(200, req, self._hex(32), extra=granted), "200")]
        )
        if unregister:
            # A reboot: the phone comes back with a new Call-ID and is challenged afresh.
            self._set_registered(phone, False)
            phone.nonce = None
            phone.reg_call_id = f"{self._hex(96)}@{phone.lan.ip}"
            self.schedule(t + self.rng.uniform(25, 70), self.register, phone)
            return
        if not phone.registered:
            self._set_registered(phone, True)
            phone.keepalive_generation += 1
            start = t + self.rng.uniform(0.5, self.p.keepalive_interval)
            self.schedule(start, self.keepalive, phone, phone.keepalive_generation)
        refresh_at = t + phone.expires * self.rng.uniform(0.5, 0.9)
        reboot = phone.transport == "UDP" and self.rng.random() < 0.01
        self.schedule(refresh_at, self.register, phone, reboot)

    def _set_registered(self, phone: _Phone, registered: bool) -> None:
        phone.registered = registered
        if registered and not phone.keepalive_broken:
            self.available.append(phone)
        elif not registered and phone in self.available:
            self.available.remove(phone)

    # ---- keepalives -----------------------------------------------------------------

    def keepalive(self, t: float, phone: _Phone, generation: int) -> None:
        if generation != phone.keepalive_generation or not phone.registered:
            return
        self.schedule(t + self.p.keepalive_interval, self.keepalive, phone, generation)
        phone.options_cseq += 1
        req = _Request(
            self._pbx_via(phone),
            f"<sip:asterisk@{PBX_IP}>;tag={self._hex(32)}",
            f"<{phone.contact_uri}>",
            f"{self._hex(128)}",
            f"{phone.options_cseq} OPTIONS",
        )
        options = self._pbx_request(phone, "OPTIONS", phone.contact_uri, req)
        if phone.keepalive_broken:
            # The NAT drops inbound packets: timer E retransmissions, never an answer.
            for offset in (0.0, 0.5, 1.5, 3.5):
                self.send(t + offset, phone, False, [(options, "OPTIONS")])
            return
        if phone.transport == "UDP" and self.rng.random() < 0.02:
            self.send(t, phone, False, [(options, "OPTIONS")])  # lost on the way
            t += 0.5
        self.send(t, phone, False, [(options, "OPTIONS")])
        answer = [
            ("Contact", f"<{phone.contact_uri}>"),
            ("Allow", "INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, OPTIONS, INFO"),
            ("Accept", "application/sdp"),
            ("Supported", "replaces, timer"),
        ]
        reply = self._phone_response(phone, 200, req, self._hex(32), extra=answer)
        self.send(t + 2 * phone.owd + self.rng.uniform(0.0005, 0.01), phone, True, [(reply, "200")])

    # ---- calls --------------------------------------------------------------------

    def call_arrival(self, t: float) -> None:
        self.schedule(t + self.rng.expovariate(self.p.call_rate), self.call_arrival)
        idle = [
            p for p in self.rng.sample(self.available, min(8, len(self.available))) if not p.in_call
        ]
        if len(idle) < 1 or len(self.available) < 2:
            return
        caller = idle[0]
        callee = self.rng.choice(self.available)
        while callee is caller:
            callee = self.rng.choice(self.available)
        if callee.in_call or self.rng.random() < 0.06:
            outcome = "busy"
        elif self.rng.random() < 0.12:
            outcome = "cancelled"
        else:
            outcome = "answered"
        self.calls[outcome] += 1
        self._call(t, caller, callee, outcome)

    def _sdp(self, phone: _Phone, codecs: tuple[int, ...]) -> bytes:
        session = self.rng.randrange(10**9)
        return sdp_body(
            user="-",
            session_id=session,
            version=session,
            ip=phone.lan.ip,
            port=phone.rtp_lan_port,
            payload_types=codecs,
        )

    def _pbx_sdp(self, port: int, codecs: tuple[int, ...]) -> bytes:
        session = self.rng.randrange(10**9)
        return sdp_body(
            user="-",
            session_id=session,
            version=session + 1,
            ip=PBX_IP,
            port=port,
            payload_types=codecs,
            session_name="Asterisk",
        )

    def _call(self, t: float, a: _Phone, b: _Phone, outcome: str) -> None:
        rng = self.rng
        a.in_call = True
        callee_busy = b.in_call
        if not callee_busy:
            b.in_call = True
        relay = (
            self.relay_ports.pop(rng.randrange(len(self.relay_ports))),
            self.relay_ports.pop(rng.randrange(len(self.relay_ports))),
        )
        ruri = f"sip:{b.ext}@{a.domain}"
        a_branch = self._branch()
        a_sent_via, a_returned_via = self._phone_via(a, a_branch)
        leg_a = _Request(
            a_returned_via,
            f'"{a.display}" <{a.aor}>;tag={self._hex(40)}',
            f"<sip:{b.ext}@{a.domain}>",
            f"{self._hex(128)}@{a.lan.ip}",
            "",
        )
        cseq = rng.randrange(1, 100)
        leg_a.cseq = f"{cseq} INVITE"
        offer_a = self._sdp(a, (a.codec, 8 if a.codec == 0 else 0))
        invite_extra = [
            ("Contact", f"<{a.contact_uri}>"),
            ("Allow", "INVITE, ACK, CANCEL, BYE, NOTIFY, REFER, OPTIONS, INFO"),
            ("Supported", "replaces, timer"),
        ]
        self.send(
            t,
            a,
            True,
            [
                (
                    self._phone_request(
                        a, "INVITE", ruri, leg_a, a_sent_via, extra=invite_extra, body=offer_a
                    ),
                    "INVITE",
                )
            ],
        )
        # The PBX demands credentials first (407), the phone ACKs and retries with them.
        t += rng.uniform(0.0003, 0.002)
        nonce = self._hex(80)
        pbx_tag_a = self._hex(32)
        self.send(
            t,
            a,
            False,
            [
                (
                    self._pbx_response(
                        407,
                        leg_a,
                        pbx_tag_a,
                        extra=[("Proxy-Authenticate", digest_challenge(a.domain, nonce, False))],
                    ),
                    "407",
                )
            ],
        )
        t += 2 * a.owd + rng.uniform(0.0005, 0.003)
        ack_req = replace(leg_a, to=f"{leg_a.to};tag={pbx_tag_a}", cseq=f"{cseq} ACK")
        self.send(t, a, True, [(self._phone_request(a, "ACK", ruri, ack_req, a_sent_via), "ACK")])
        cseq += 1
        a_branch = self._branch()
        a_sent_via, leg_a.via = self._phone_via(a, a_branch)
        leg_a.cseq = f"{cseq} INVITE"
        auth = digest_credentials(
            user=a.ext,
            realm=a.domain,
            nonce=nonce,
            uri=ruri,
            response=self._hex(128),
            cnonce=self._hex(32),
            nc=1,
        )
        t += rng.uniform(0.0002, 0.002)
        self.send(
            t,
            a,
            True,
            [
                (
                    self._phone_request(
                        a,
                        "INVITE",
                        ruri,
                        leg_a,
                        a_sent_via,
                        extra=[*invite_extra, ("Proxy-Authorization", auth)],
                        body=offer_a,
                    ),
                    "INVITE",
                )
            ],
        )
        t += rng.uniform(0.0002, 0.001)
        self.send(t, a, False, [(self._pbx_response(100, leg_a, None), "100")])
        # The B leg: the PBX calls the callee's registered contact, anchoring media.
        t += rng.uniform(0.0005, 0.003)
        leg_b = _Request(
            self._pbx_via(b),
            f'"{a.display}" <sip:{a.ext}@{PBX_IP}>;tag={self._hex(32)}',
            f"<{b.contact_uri}>",
            f"{self._hex(128)}",
            "102 INVITE",
        )
        offer_b = self._pbx_sdp(relay[1], (0, 8))
        self.send(
            t,
            b,
            False,
            [
                (
                    self._pbx_request(
                        b,
                        "INVITE",
                        b.contact_uri,
                        leg_b,
                        extra=[("Supported", "replaces, timer")],
                        body=offer_b,
                    ),
                    "INVITE",
                )
            ],
        )
        t += 2 * b.owd + rng.uniform(0.0005, 0.003)
        b_tag = self._hex(40)
        trying = self._phone_response(b, 100, leg_b, None)
        if outcome == "busy":
            busy = self._phone_response(b, 486, leg_b, b_tag)
            self.send(t, b, True, [(trying, "100"), (busy, "486")])
            t += rng.uniform(0.0003, 0.001)
            ack_b = replace(leg_b, to=f"{leg_b.to};tag={b_tag}", cseq="102 ACK")
            self.send(t, b, False, [(self._pbx_request(b, "ACK", b.contact_uri, ack_b), "ACK")])
            t += rng.uniform(0.0003, 0.001)
            self.send(t, a, False, [(self._pbx_response(486, leg_a, pbx_tag_a), "486")])
            t += 2 * a.owd + rng.uniform(0.0005, 0.003)
            ack_a = replace(leg_a, to=f"{leg_a.to};tag={pbx_tag_a}", cseq=f"{cseq} ACK")
            self.send(t, a, True, [(self._phone_request(a, "ACK", ruri, ack_a, a_sent_via), "ACK")])
            self.schedule(t, self._release, a, None if callee_busy else b, relay)
            return
        ringing = self._phone_response(
            b, 180, leg_b, b_tag, extra=[("Contact", f"<{b.contact_uri}>")]
        )
        self.send(t, b, True, [(trying, "100"), (ringing, "180")])
        t += rng.uniform(0.0003, 0.001)
        self.send(
            t,
            a,
            False,
            [
                (
                    self._pbx_response(
                        180, leg_a, pbx_tag_a, extra=[("Contact", f"<sip:{b.ext}@{PBX_IP}:5060>")]
                    ),
                    "180",
                )
            ],
        )
        t += rng.uniform(2.0, 12.0)
        if outcome == "cancelled":
            cancel_a = replace(leg_a, cseq=f"{cseq} CANCEL")
            self.send(
                t,
                a,
                True,
                [(self._phone_request(a, "CANCEL", ruri, cancel_a, a_sent_via), "CANCEL")],
            )
            t += rng.uniform(0.0002, 0.001)
            ok = self._pbx_response(200, cancel_a, pbx_tag_a)
            terminated = self._pbx_response(487, leg_a, pbx_tag_a)
            self.send(t, a, False, [(ok, "200"), (terminated, "487")])
            self.send(
                t + 2 * a.owd + 0.001,
                a,
                True,
                [
                    (
                        self._phone_request(
                            a,
                            "ACK",
                            ruri,
                            replace(leg_a, to=f"{leg_a.to};tag={pbx_tag_a}", cseq=f"{cseq} ACK"),
                            a_sent_via,
                        ),
                        "ACK",
                    )
                ],
            )
            t += rng.uniform(0.0003, 0.001)
            cancel_b = replace(leg_b, cseq="102 CANCEL")
            self.send(
                t,
                b,
                False,
                [(self._pbx_request(b, "CANCEL", b.contact_uri, cancel_b), "CANCEL")],
            )
            t += 2 * b.owd + rng.uniform(0.0005, 0.003)
            self.send(
                t,
                b,
                True,
                [
                    (self._phone_response(b, 200, cancel_b, b_tag), "200"),
                    (self._phone_response(b, 487, leg_b, b_tag), "487"),
                ],
            )
            t += rng.uniform(0.0003, 0.001)
            ack_b = replace(leg_b, to=f"{leg_b.to};tag={b_tag}", cseq="102 ACK")
            self.send(t, b, False, [(self._pbx_request(b, "ACK", b.contact_uri, ack_b), "ACK")])
            self.schedule(t, self._release, a, b, relay)
            return
        # Answered: SDP answers on both legs, ACKs, then media on four streams.
        answer_b = self._sdp(b, (0,) if b.codec == 0 else (8,))
        self.send(
            t,
            b,
            True,
            [
                (
                    self._phone_response(
                        b,
                        200,
                        leg_b,
                        b_tag,
                        extra=[("Contact", f"<{b.contact_uri}>")],
                        body=answer_b,
                    ),
                    "200",
                )
            ],
        )
        answered_b = t
        t += rng.uniform(0.0003, 0.001)
        ack_b = replace(leg_b, to=f"{leg_b.to};tag={b_tag}", cseq="102 ACK", via=self._pbx_via(b))
        self.send(t, b, False, [(self._pbx_request(b, "ACK", b.contact_uri, ack_b), "ACK")])
        t += rng.uniform(0.0003, 0.001)
        pt = 0 if b.codec == 0 else 8
        answer_a = self._pbx_sdp(relay[0], (pt,))
        self.send(
            t,
            a,
            False,
            [
                (
                    self._pbx_response(
                        200,
                        leg_a,
                        pbx_tag_a,
                        extra=[("Contact", f"<sip:{b.ext}@{PBX_IP}:5060>")],
                        body=answer_a,
                    ),
                    "200",
                )
            ],
        )
        answered_a = t
        t += 2 * a.owd + rng.uniform(0.0005, 0.003)
        ack_branch = self._branch()
        ack_sent_via, _ = self._phone_via(a, ack_branch)
        ack_a = replace(leg_a, to=f"{leg_a.to};tag={pbx_tag_a}", cseq=f"{cseq} ACK")
        self.send(
            t,
            a,
            True,
            [
                (
                    self._phone_request(
                        a, "ACK", f"sip:{b.ext}@{PBX_IP}:5060", ack_a, ack_sent_via
                    ),
                    "ACK",
                )
            ],
        )
        relay_a = Endpoint(PBX_IP, relay[0], local=True)
        relay_b = Endpoint(PBX_IP, relay[1], local=True)
        a_starts = answered_a + 2 * a.owd
        b_starts = answered_b + 0.0005
        streams = [
            self._stream(a.rtp_wire, relay_a, pt, a_starts, inbound=True),
            self._stream(relay_a, a.rtp_wire, pt, a_starts + 0.0004, inbound=False),
            self._stream(b.rtp_wire, relay_b, pt, b_starts, inbound=True),
            self._stream(relay_b, b.rtp_wire, pt, b_starts + 0.0004, inbound=False),
        ]
        call = _Call(
            a,
            b,
            replace(leg_a, to=f"{leg_a.to};tag={pbx_tag_a}"),
            replace(leg_b, to=f"{leg_b.to};tag={b_tag}"),
            cseq,
            streams,
            relay,
        )
        talk = min(600.0, 2.0 + rng.expovariate(1 / self.p.mean_talk_seconds))
        self.schedule(answered_a + talk, self._hangup, call)

    def _stream(
        self, src: Endpoint, dst: Endpoint, pt: int, start: float, inbound: bool
    ) -> _RtpStream:
        rng = self.rng
        if inbound:
            # What the capture sees from a phone across the Internet: mostly clean, some lossy.
            quality = rng.random()
            loss = (
                0.0
                if quality < 0.8
                else rng.uniform(0.001, 0.01)
                if quality < 0.95
                else rng.uniform(0.02, 0.05)
            )
            jitter = rng.uniform(0.0002, 0.003) if quality < 0.9 else rng.uniform(0.01, 0.03)
        else:
            loss, jitter = 0.0, 0.00005  # the relay's own packets, captured as sent
        stream = _RtpStream(
            src,
            dst,
            rng.getrandbits(32),
            rng.randrange(65536),
            rng.getrandbits(32),
            pt,
            start,
            loss,
            jitter,
        )
        self.streams.append(stream)
        self.truth.rtp_streams += 1
        return stream

    def _hangup(self, t: float, call: _Call) -> None:
        rng = self.rng
        a, b = call.caller, call.callee
        by_caller = rng.random() < 0.5
        hanging_up = a if by_caller else b
        for stream in call.streams:
            # The phone that hangs up stops sending first; the relay stops after the BYE.
            stream.end_t = t - 0.02 if stream.src is hanging_up.rtp_wire else t + 0.002
        if by_caller:
            bye = replace(call.leg_a, cseq=f"{call.a_cseq + 1} BYE")
            sent_via, bye.via = self._phone_via(a, self._branch())
            self.send(
                t,
                a,
                True,
                [
                    (
                        self._phone_request(
                            a,
                            "BYE",
                            f"sip:{b.ext}@{PBX_IP}:5060",
                            bye,
                            sent_via,
                            extra=[("Reason", 'Q.850;cause=16;text="Normal call clearing"')],
                        ),
                        "BYE",
                    )
                ],
            )
            t += rng.uniform(0.0002, 0.001)
            self.send(t, a, False, [(self._pbx_response(200, bye, None), "200")])
            t += rng.uniform(0.0003, 0.002)
            bye_b = replace(call.leg_b, via=self._pbx_via(b), cseq="103 BYE")
            self.send(t, b, False, [(self._pbx_request(b, "BYE", b.contact_uri, bye_b), "BYE")])
            t += 2 * b.owd + rng.uniform(0.0005, 0.003)
            self.send(t, b, True, [(self._phone_response(b, 200, bye_b, None), "200")])
        else:
            # The callee's BYE travels in the B leg's dialog, so From/To are swapped.
            leg = call.leg_b
            bye_b = _Request("", leg.to, leg.from_, leg.call_id, f"{rng.randrange(1, 50)} BYE")
            sent_via, bye_b.via = self._phone_via(b, self._branch())
            self.send(
                t,
                b,
                True,
                [
                    (
                        self._phone_request(
                            b, "BYE", f"sip:asterisk@{PBX_IP}:5060", bye_b, sent_via
                        ),
                        "BYE",
                    )
                ],
            )
            t += rng.uniform(0.0002, 0.001)
            self.send(t, b, False, [(self._pbx_response(200, bye_b, None), "200")])
            t += rng.uniform(0.0003, 0.002)
            leg = call.leg_a
            bye_a = _Request(
                self._pbx_via(a), leg.to, leg.from_, leg.call_id, f"{rng.randrange(1, 50)} BYE"
            )
            self.send(t, a, False, [(self._pbx_request(a, "BYE", a.contact_uri, bye_a), "BYE")])
            t += 2 * a.owd + rng.uniform(0.0005, 0.003)
            self.send(t, a, True, [(self._phone_response(a, 200, bye_a, None), "200")])
        self.schedule(t, self._release, a, b, call.relay_ports)

    def _release(self, t: float, a: _Phone, b: _Phone | None, relay: tuple[int, int]) -> None:
        a.in_call = False
        if b is not None:
            b.in_call = False
        self.relay_ports.extend(relay)

    # ---- media and output ---------------------------------------------------------

    def _rtp_until(self, until: float) -> None:
        rng = self.rng
        pack = _RTP_HEADER.pack
        payloads = self.payloads
        live: list[_RtpStream] = []
        for s in self.streams:
            end = min(until, s.end_t)
            while s.next_t < end:
                if s.loss and rng.random() < s.loss:
                    self.truth.rtp_dropped += 1
                else:
                    header = pack(
                        0x80, s.payload_type | (0x80 if s.marker else 0), s.seq, s.rtp_ts, s.ssrc
                    )
                    arrival = s.next_t + rng.random() * s.jitter
                    self._udp(arrival, s.src, s.dst, header + payloads[s.seq & 31], (LABEL_RTP,))
                s.marker = False
                s.seq = (s.seq + 1) & 0xFFFF
                s.rtp_ts = (s.rtp_ts + RTP_SAMPLES) & 0xFFFFFFFF
                s.next_t += RTP_INTERVAL
            if s.next_t < s.end_t:
                live.append(s)
        self.streams = live

    def _write_window(self, window: int) -> None:
        entries = self.buckets.pop(window, [])
        entries.sort()
        for entry in entries:
            if entry[2] == _TCP:
                self._write_tcp(entry)
            else:
                self._write_entry(entry)
        if entries:
            if not self.truth.first_ts:
                self.truth.first_ts = entries[0][0] / 1e6
            self.truth.last_ts = entries[-1][0] / 1e6
        self.writer.flush()

    def _write_tcp(self, entry: tuple[Any, ...]) -> None:
        conn, (from_client, _, split) = entry[3], entry[4]
        role, message_id = split
        key = (id(conn), from_client)
        open_split = self.split_open.get(key)
        if open_split is not None and (role != _TAIL or message_id != open_split[0]):
            open_split[1].append(entry)  # wait for the open message's tail
            return
        self._write_entry(entry)
        if role == _HEAD:
            self.split_open[key] = (message_id, [])
        elif open_split is not None:
            del self.split_open[key]
            for offset, waiting in enumerate(open_split[1], start=1):
                self._write_tcp((entry[0] + offset, *waiting[1:]))

    def _write_entry(self, entry: tuple[Any, ...]) -> None:
        ts_us, _, kind, a, b, payload, labels = entry
        truth = self.truth
        if kind == _UDP:
            self.writer.udp(ts_us, a, b, payload)
            transport = "udp"
        else:
            from_client, flags, _split = b
            if not a.write(self.writer, ts_us, from_client, flags, payload):
                return
            truth.tcp_segments += 1
            transport = "tcp"
        if not labels:
            return
        if labels[0] == LABEL_RTP:
            truth.rtp_packets += 1
            return
        truth.sip_frames += 1
        for label in labels:
            if label.isdigit():
                self.responses[label] += 1
            else:
                self.requests[label] += 1
            self.transports[transport] += 1

    def run(self, progress: Callable[[float, int], None] | None = None) -> None:
        p = self.p
        for phone in self.phones:
            # Capture starts mid-life: each phone's next registration falls somewhere
            # within its refresh interval (booted phones register almost at once).
            self.schedule(self.rng.uniform(0, min(phone.expires * 0.9, 60.0)), self.register, phone)
        self.schedule(self.rng.expovariate(p.call_rate) + 5.0, self.call_arrival)
        window = 0
        while p.duration is None or window * WINDOW < p.duration:
            end = (window + 1) * WINDOW
            if p.duration is not None:
                end = min(end, p.duration)
            while self.actions and self.actions[0][0] < end:
                at, _, action, args = heapq.heappop(self.actions)
                action(at, *args)
            self._rtp_until(end)
            self._write_window(window)
            window += 1
            if progress is not None and window % 60 == 0:
                progress(window * WINDOW, self.writer.bytes_written)
            if p.target_bytes is not None and self.writer.bytes_written >= p.target_bytes:
                break
        # Frames scheduled past the end of the capture were never captured.
        self.buckets.clear()


def generate_capture(
    path: str | os.PathLike[str],
    params: CaptureParams = PRESETS["default"],
    progress: Callable[[float, int], None] | None = None,
) -> CaptureTruth:
    """Write the simulated capture to ``path`` (classic pcap) and return its ground truth.

    The file is written to ``path`` + ".part" and renamed when complete, so an
    interrupted run never leaves a truncated file under the final name.
    Raises OSError if the file cannot be written, ValueError for impossible params.
    """
    path = Path(path)
    started = time.perf_counter()
    truth = CaptureTruth(str(path), asdict(params), GENERATOR_VERSION)
    partial = path.with_name(path.name + ".part")
    with open(partial, "wb", buffering=1 << 20) as stream:
        writer = PcapWriter(stream)
        sim = _Simulation(params, writer, truth)
        sim.run(progress)
    os.replace(partial, path)
    truth.frames = writer.frames
    truth.bytes = writer.bytes_written
    truth.requests = dict(sorted(sim.requests.items()))
    truth.responses = dict(sorted(sim.responses.items()))
    truth.sip_by_transport = dict(sorted(sim.transports.items()))
    truth.sip_messages = sum(truth.requests.values()) + sum(truth.responses.values())
    truth.calls = dict(sorted(sim.calls.items()))
    truth.generation_seconds = round(time.perf_counter() - started, 3)
    return truth


def truth_path(capture: Path) -> Path:
    """Where the ground truth of ``capture`` is kept (beside it)."""
    return capture.with_suffix(".truth.json")


def ensure_capture(
    preset: str, data_dir: Path = DATA_DIR, progress: Callable[[float, int], None] | None = None
) -> tuple[Path, CaptureTruth]:
    """Return the preset's capture and truth, generating them unless an identical one exists."""
    params = PRESETS[preset]
    data_dir.mkdir(parents=True, exist_ok=True)
    path = data_dir / f"sip-{preset}.pcap"
    tpath = truth_path(path)
    if path.exists() and tpath.exists():
        truth = CaptureTruth.from_json(tpath.read_text())
        if (
            truth.generator_version == GENERATOR_VERSION
            and truth.params == asdict(params)
            and truth.bytes == path.stat().st_size
        ):
            return path, truth
    truth = generate_capture(path, params, progress)
    tpath.write_text(truth.to_json())
    return path, truth


def parse_size(text: str) -> int:
    """``"1.1G"`` -> bytes (K, M, G are powers of 1024); raises ValueError."""
    units = {"K": 2**10, "M": 2**20, "G": 2**30}
    text = text.strip().upper().removesuffix("B").removesuffix("I")
    if text and text[-1] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def _progress(seconds: float, written: int) -> None:
    print(f"  simulated {seconds:7.0f} s, {written / 2**20:8.1f} MiB written", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    """Command line: write a capture and its ``.truth.json``; print the truth as JSON."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "-o", "--output", type=Path, help="pcap to write (default: benchmarks/data/sip-PRESET.pcap)"
    )
    parser.add_argument("--preset", choices=sorted(PRESETS), default="default")
    parser.add_argument("--phones", type=int)
    parser.add_argument("--duration", type=float, help="seconds of traffic")
    parser.add_argument("--call-rate", type=float, help="new calls per second")
    parser.add_argument("--seed", type=int)
    parser.add_argument(
        "--target-bytes",
        type=parse_size,
        help="keep generating until the file has this size (e.g. 1.1G); "
        "without --duration, traffic goes on until then",
    )
    args = parser.parse_args(argv)
    params = PRESETS[args.preset]
    changes: dict[str, Any] = {}
    for name in ("phones", "duration", "call_rate", "seed", "target_bytes"):
        value = getattr(args, name)
        if value is not None:
            changes[name] = value
    if args.target_bytes is not None and args.duration is None:
        changes["duration"] = None
    params = replace(params, **changes)
    output = args.output or DATA_DIR / f"sip-{args.preset}.pcap"
    output.parent.mkdir(parents=True, exist_ok=True)
    truth = generate_capture(output, params, _progress)
    truth_path(output).write_text(truth.to_json())
    print(truth.to_json())
    print(
        f"wrote {output}: {truth.frames} frames, {truth.bytes / 2**20:.1f} MiB, "
        f"{truth.sip_messages} SIP messages, {truth.rtp_packets} RTP packets "
        f"in {truth.generation_seconds:.1f} s",
        file=sys.stderr,
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
