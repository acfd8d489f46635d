"""Reboot a phone: an unsolicited SIP NOTIFY to its registered contact, over UDP.

Strategy: the phone's vendor (from its model, else its User-Agent) picks the
Event the phone acts on — ``check-sync;reboot=true`` for Snom and Yealink,
``reboot_now`` for Linksys/Sipura/Cisco SPA, plain ``check-sync`` for the rest
(Polycom, Grandstream, Aastra... reboot or resync on it).  The NOTIFY is one
non-INVITE client transaction (RFC 3261 §17.1.2): retransmitted with Timer E
(T1 = 0.5 s doubling to T2 = 4 s) until a final response or ``timeout``; a 1xx
stops retransmission.  A 401/407 is answered once with the extension's SIP
credentials (phones challenge with their own account), a second challenge is
reported as the answer.  Responses are read with pbxlab's SIP parser.
:class:`NotifyTransaction` holds that logic without any socket (bytes in,
verdict out); :func:`send_reboot` only sends, waits and retransmits.

The target is the ``source`` the registration came from when known (that is
where a NAT lets packets in), else the host/port of the Contact URI.
"""

from __future__ import annotations

import contextlib
import re
import secrets
import socket
import time
from dataclasses import dataclass
from typing import Literal

from pydantic import SecretStr

from pbxlab.capture.sip import parse_message
from pbxlab.capture.sip.fields import parse_uri
from pbxlab.errors import PhoneActionError, SipParseError
from pbxlab.extensions.digest import DigestError, authorization, parse_challenge

T1 = 0.5  # RFC 3261 round-trip estimate
T2 = 4.0  # RFC 3261 cap on non-INVITE retransmission interval
DEFAULT_TIMEOUT = 8.0  # shorter than Timer F (32 s): a person is waiting at the prompt
USER_AGENT = "pbxlab"

# (pattern over "model user-agent" in lower case, vendor, Event header value)
_VENDOR_EVENTS: tuple[tuple[re.Pattern[str], str, str], ...] = (
    (re.compile(r"snom"), "snom", "check-sync;reboot=true"),
    (re.compile(r"yealink|sip-t\d"), "yealink", "check-sync;reboot=true"),
    (re.compile(r"linksys|sipura|\bspa-?\d|cisco/spa"), "linksys", "reboot_now"),
    (re.compile(r"polycom|vvx|soundpoint"), "polycom", "check-sync"),
    (re.compile(r"grandstream|gxp|grp\d"), "grandstream", "check-sync"),
    (re.compile(r"aastra|mitel"), "aastra", "check-sync"),
)


@dataclass(frozen=True, slots=True)
class NotifyVariant:
    """Which vendor was recognised and the Event value its phones reboot on."""

    vendor: str
    event: str


def reboot_event(model: str | None = None, user_agent: str | None = None) -> NotifyVariant:
    """The NOTIFY variant for a phone, from its model first, then its User-Agent."""
    for text in (model, user_agent):
        if not text:
            continue
        lowered = text.lower()
        for pattern, vendor, event in _VENDOR_EVENTS:
            if pattern.search(lowered):
                return NotifyVariant(vendor, event)
    return NotifyVariant("generic", "check-sync")


@dataclass(frozen=True, slots=True)
class Target:
    """Where the NOTIFY goes: the Request-URI and the UDP address it is sent to."""

    request_uri: str
    host: str
    port: int

    def __str__(self) -> str:
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"{host}:{self.port}"


def notify_target(contact: str, source: str | None = None) -> Target:
    """The :class:`Target` for a registered ``contact`` (and where it registered from).

    Raises PhoneActionError for a contact that is not a UDP SIP URI.
    """
    uri = contact.strip().strip("<>")
    parts = parse_uri(uri)
    if parts.scheme != "sip" or not parts.host:
        raise PhoneActionError(f"contact {contact!r} is not a sip: URI pbxlab can send to")
    transport = re.search(r";transport=([a-z]+)", uri, re.IGNORECASE)
    if transport and transport.group(1).lower() != "udp":
        raise PhoneActionError(
            f"contact {contact!r} uses {transport.group(1)}: pbxlab sends NOTIFY over UDP only"
        )
    if source:
        host, _, port = source.rpartition(":")
        return Target(uri, host.strip("[]"), int(port))
    return Target(uri, parts.host.strip("[]"), parts.port or 5060)


@dataclass(frozen=True, slots=True)
class RebootResult:
    """What happened: the phone's final answer, or a timeout."""

    target: str
    event: str
    vendor: str
    outcome: Literal["accepted", "rejected", "timeout"]
    status: int | None
    reason: str | None
    challenged: bool
    elapsed: float
    datagrams_sent: int

    def summary(self) -> str:
        """One sentence for a person."""
        auth = " after answering a digest challenge" if self.challenged else ""
        if self.outcome == "timeout":
            return (
                f"no answer from {self.target} within {self.elapsed:.1f} s "
                f"({self.datagrams_sent} NOTIFY sent, Event: {self.event}): the phone is "
                f"unreachable from here (offline, or a NAT/firewall drops inbound requests)"
            )
        verb = "accepted" if self.outcome == "accepted" else "refused"
        return (
            f"{self.target} {verb} the reboot NOTIFY (Event: {self.event}){auth}: "
            f"{self.status} {self.reason}"
        )


def _uri_host(host: str) -> str:
    return f"[{host}]" if ":" in host else host


def build_notify(
    target: Target,
    *,
    event: str,
    local: tuple[str, int],
    call_id: str,
    from_tag: str,
    cseq: int,
    branch: str,
    authorization_header: str | None = None,
    auth_header_name: str = "Authorization",
) -> bytes:
    """The bytes of one NOTIFY request (no body)."""
    host, port = _uri_host(local[0]), local[1]
    to_uri = target.request_uri.split(";", 1)[0]
    lines = [
        f"NOTIFY {target.request_uri} SIP/2.0",
        f"Via: SIP/2.0/UDP {host}:{port};branch={branch};rport",
        "Max-Forwards: 70",
        f"From: <sip:pbxlab@{host}>;tag={from_tag}",
        f"To: <{to_uri}>",
        f"Call-ID: {call_id}",
        f"CSeq: {cseq} NOTIFY",
        f"Contact: <sip:pbxlab@{host}:{port}>",
        f"Event: {event}",
        "Subscription-State: terminated",
        f"User-Agent: {USER_AGENT}",
    ]
    if authorization_header:
        lines.append(f"{auth_header_name}: {authorization_header}")
    lines.append("Content-Length: 0")
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def _resolve(target: Target) -> tuple[socket.AddressFamily, tuple[str, int]]:
    try:
        infos = socket.getaddrinfo(target.host, target.port, type=socket.SOCK_DGRAM)
    except socket.gaierror as exc:
        raise PhoneActionError(f"cannot resolve {target.host!r}: {exc.strerror}") from None
    family, _, _, _, address = infos[0]
    return family, (str(address[0]), int(address[1]))


@dataclass(frozen=True, slots=True)
class Final:
    """The phone's final answer to the NOTIFY."""

    status: int
    reason: str | None


Verdict = Literal["ignore", "provisional", "resend"] | Final


class NotifyTransaction:
    """One NOTIFY client transaction, without sockets: bytes out, responses in.

    :attr:`request` is what to (re)send; :meth:`receive` classifies each datagram:
    ``ignore`` (not ours, a late answer, not SIP), ``provisional`` (stop
    retransmitting), ``resend`` (a challenge was answered: send the new
    :attr:`request`), or a :class:`Final` answer.
    """

    def __init__(
        self,
        target: Target,
        *,
        event: str,
        local: tuple[str, int],
        username: str | None = None,
        password: SecretStr | None = None,
    ) -> None:
        self.target, self.event, self.local = target, event, local
        self._username, self._password = username, password
        self.call_id = f"{secrets.token_hex(12)}@pbxlab"
        self.from_tag = secrets.token_hex(6)
        self.cseq = 1
        self.challenged = False
        self.request = self._build(None, "Authorization")

    def _build(self, answer: str | None, header_name: str) -> bytes:
        return build_notify(
            self.target,
            event=self.event,
            local=self.local,
            call_id=self.call_id,
            from_tag=self.from_tag,
            cseq=self.cseq,
            branch=_branch(),
            authorization_header=answer,
            auth_header_name=header_name,
        )

    def receive(self, data: bytes) -> Verdict:
        """What the datagram ``data`` means for this transaction."""
        try:
            message = parse_message(data)
        except SipParseError:
            return "ignore"
        if message.is_request or message.header("call-id") != self.call_id:
            return "ignore"
        cseq = (message.header("cseq") or "").split()
        if not cseq or cseq[0] != str(self.cseq):
            return "ignore"  # a late answer to an earlier attempt
        status = message.status or 0
        if status < 200:
            return "provisional"
        if status in (401, 407) and not self.challenged:
            answer = self._answer(message.header(_CHALLENGE_HEADERS[status][0]))
            if answer is not None:
                self.challenged = True
                self.cseq += 1
                self.request = self._build(answer, _CHALLENGE_HEADERS[status][1])
                return "resend"
        return Final(status, message.reason)

    def _answer(self, challenge: str | None) -> str | None:
        if not (challenge and self._username and self._password):
            return None  # reported as the final answer: the phone wants credentials
        try:
            return authorization(
                parse_challenge(challenge),
                username=self._username,
                password=self._password,
                method="NOTIFY",
                uri=self.target.request_uri,
            )
        except DigestError:
            return None


_CHALLENGE_HEADERS = {
    401: ("WWW-Authenticate", "Authorization"),
    407: ("Proxy-Authenticate", "Proxy-Authorization"),
}


def send_reboot(
    target: Target,
    *,
    event: str,
    vendor: str = "generic",
    username: str | None = None,
    password: SecretStr | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> RebootResult:
    """Send the reboot NOTIFY to ``target`` and wait for the final answer or ``timeout``.

    Answers one digest challenge with ``username``/``password`` when given.
    Returns a :class:`RebootResult`; raises PhoneActionError when the target
    cannot be resolved or the socket cannot be used.
    """
    family, address = _resolve(target)
    start = time.monotonic()
    deadline = start + timeout
    try:
        sock = socket.socket(family, socket.SOCK_DGRAM)
    except OSError as exc:
        raise PhoneActionError(f"cannot open a UDP socket: {exc.strerror}") from None
    with sock:
        try:
            sock.connect(address)
        except OSError as exc:
            raise PhoneActionError(f"cannot send to {target}: {exc.strerror}") from None
        transaction = NotifyTransaction(
            target, event=event, local=sock.getsockname()[:2], username=username, password=password
        )
        final, sent = _exchange(sock, transaction, deadline)
    elapsed = time.monotonic() - start
    if final is None:
        return RebootResult(
            str(target), event, vendor, "timeout", None, None, transaction.challenged, elapsed, sent
        )
    outcome: Literal["accepted", "rejected"] = "accepted" if final.status < 300 else "rejected"
    return RebootResult(
        str(target),
        event,
        vendor,
        outcome,
        final.status,
        final.reason,
        transaction.challenged,
        elapsed,
        sent,
    )


def _exchange(
    sock: socket.socket, transaction: NotifyTransaction, deadline: float
) -> tuple[Final | None, int]:
    # Timer E retransmission until a final answer or the deadline; returns it and the
    # number of datagrams sent.
    sent = 0
    interval: float | None = T1
    next_send = time.monotonic()
    while (now := time.monotonic()) < deadline:
        if interval is not None and now >= next_send:
            # OSError: ICMP unreachable for an earlier datagram; keep trying until timeout
            with contextlib.suppress(OSError):
                sock.send(transaction.request)
            sent += 1
            next_send, interval = now + interval, min(interval * 2, T2)
        wait_until = min(deadline, next_send) if interval is not None else deadline
        sock.settimeout(max(0.001, wait_until - time.monotonic()))
        try:
            data = sock.recv(65535)
        except OSError:  # TimeoutError, or ECONNREFUSED while nobody listens yet
            continue
        verdict = transaction.receive(data)
        if verdict == "provisional":
            interval = None  # the phone has it: stop retransmitting, wait for the answer
        elif verdict == "resend":
            interval, next_send = T1, time.monotonic()
        elif isinstance(verdict, Final):
            return verdict, sent
    return None, sent


def _branch() -> str:
    return "z9hG4bK" + secrets.token_hex(8)  # RFC 3261 magic cookie
