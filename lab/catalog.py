"""The lab's scenarios: which SIPp user agents run, from where, and for how long.

Every address is on loopback (127.0.0.0/8), and the runner only ever runs
inside a private network namespace whose single interface is ``lo``.  Several
127.0.0.x addresses play different hosts ("phones", "public IPs of an office");
a phone behind NAT is simulated by *writing* a private address into its Via and
Contact headers while it actually sends from 127.0.0.x (see ``nat_phone``).

The registrar (lab/kamailio.cfg) listens on 127.0.0.1:5060. Its directory is
extensions 200-219 with the password ``lab<ext>pw`` (:func:`lab_password`).
What each scenario must be diagnosed as is written down in lab/SCENARIOS.md.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

SCENARIO_DIR = Path(__file__).resolve().parent / "scenarios"
REGISTRAR_IP = "127.0.0.1"
DEFAULT_REGISTRAR_PORT = 5060


def lab_password(extension: str) -> str:
    """The password lab/kamailio.cfg accepts for ``extension`` (lab only, not a secret)."""
    return f"lab{extension}pw"


@dataclass(frozen=True)
class Agent:
    """One SIPp process: a phone, a caller or a scanner.

    ``scenario`` and ``out_of_call`` name XML files of lab/scenarios/; the
    out-of-call scenario handles requests the registrar sends to the phone
    (OPTIONS keepalives, INVITEs).  ``password`` defaults to the lab password
    of ``extension``.  ``start_after`` is seconds after the run's start.
    ``finite`` agents must finish their scenario (SIPp exit status 0) within
    the run; the others linger, registered, until the runner stops them.
    """

    name: str
    scenario: str
    ip: str
    port: int = 5060
    extension: str | None = None
    password: str | None = None
    out_of_call: str | None = "answer-requests.xml"
    start_after: float = 0.0
    calls: int = 1
    rate_per_s: float | None = None
    variables: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    inject_csv: str | None = None
    rtp_echo: bool = False
    finite: bool = False

    def __post_init__(self) -> None:
        if not self.ip.startswith("127."):
            raise ValueError(f"lab agent {self.name!r}: {self.ip!r} is not a loopback address")

    @property
    def auth_password(self) -> str | None:
        if self.password is not None:
            return self.password
        return lab_password(self.extension) if self.extension else None


@dataclass(frozen=True)
class Scenario:
    """A lab run: agents against the registrar, captured for ``duration`` seconds."""

    name: str
    title: str
    duration: float
    agents: tuple[Agent, ...]

    @property
    def sample_file(self) -> str:
        return f"lab-{self.name}.pcap"


def _phone(
    ext: str, ip: str, *, out_of_call: str = "answer-requests.xml", rtp_echo: bool = False
) -> Agent:
    return Agent(
        name=f"phone-{ext}",
        scenario="phone-healthy.xml",
        ip=ip,
        extension=ext,
        out_of_call=out_of_call,
        rtp_echo=rtp_echo,
    )


def _caller(callee: str, scenario: str = "phone-caller.xml", start_after: float = 0.5) -> Agent:
    return Agent(
        name="caller-209",
        scenario=scenario,
        ip="127.0.0.19",
        extension="209",
        variables=MappingProxyType({"callee": callee}),
        start_after=start_after,
    )


HEALTHY = Scenario(
    name="healthy",
    title="A healthy phone: digest-authenticated REGISTER, refreshes, answered keepalives",
    duration=12.0,
    agents=(_phone("201", "127.0.0.11"),),
)

FLAPPING = Scenario(
    name="flapping",
    title="Two flapping phones: 210 lets its registration lapse and re-registers "
    "(period 7 s), 211 unregisters and re-registers in a loop (period 4 s)",
    duration=24.0,
    agents=(
        Agent(name="phone-210", scenario="phone-lapsing.xml", ip="127.0.0.20", extension="210"),
        Agent(
            name="phone-211",
            scenario="phone-unregister-loop.xml",
            ip="127.0.0.21",
            extension="211",
            start_after=0.3,
        ),
    ),
)

NAT = Scenario(
    name="nat",
    title="Two phones of one office behind one NAT (public IP 127.0.0.13): their Via "
    "and Contact carry 192.168.1.x; the registrar fixes them (received/rport) and "
    "keepalives reach them",
    duration=9.0,
    agents=(
        Agent(
            name="phone-202",
            scenario="phone-nat.xml",
            ip="127.0.0.13",
            port=5062,
            extension="202",
            variables=MappingProxyType({"lan_ip": "192.168.1.10", "lan_port": "5060"}),
        ),
        Agent(
            name="phone-203",
            scenario="phone-nat.xml",
            ip="127.0.0.13",
            port=5064,
            extension="203",
            variables=MappingProxyType({"lan_ip": "192.168.1.11", "lan_port": "5060"}),
            start_after=0.2,
        ),
    ),
)

NO_ANSWER = Scenario(
    name="no-answer",
    title="Phone 204 registers (and refreshes) but never answers requests sent to it: "
    "keepalives and an INVITE from 209 go unanswered (408 to the caller)",
    duration=14.0,
    agents=(
        Agent(
            name="phone-204",
            scenario="phone-deaf.xml",
            ip="127.0.0.14",
            extension="204",
            out_of_call="ignore-requests.xml",
        ),
        _caller("204", scenario="phone-caller-unanswered.xml", start_after=1.0),
    ),
)

TWO_PHONES = Scenario(
    name="two-phones",
    title="Two phones on extension 205; a call from 209 rings both, the first answers, "
    "the registrar cancels the other",
    duration=9.0,
    agents=(
        _phone("205", "127.0.0.15", out_of_call="answer-calls.xml", rtp_echo=True),
        Agent(
            name="phone-205b",
            scenario="phone-healthy.xml",
            ip="127.0.0.16",
            extension="205",
            out_of_call="ring-until-cancel.xml",
            start_after=0.2,
        ),
        _caller("205", start_after=0.8),
    ),
)

WRONG_PASSWORD = Scenario(
    name="wrong-password",
    title="206 keeps a stale password (every attempt 401); 207 mistypes its user name "
    "once (403), then registers",
    duration=6.5,
    agents=(
        Agent(
            name="phone-206",
            scenario="phone-wrong-password.xml",
            ip="127.0.0.17",
            extension="206",
            password="old-password",
            finite=True,
        ),
        Agent(
            name="phone-207",
            scenario="phone-typo-then-fixed.xml",
            ip="127.0.0.27",
            extension="207",
            start_after=0.5,
        ),
    ),
)

SCANNER = Scenario(
    name="scanner",
    title="A friendly-scanner at 127.0.0.66 probes 20 extensions with OPTIONS, REGISTER "
    "and INVITE while phone 201 is registered normally",
    duration=7.0,
    agents=(
        _phone("201", "127.0.0.11"),
        Agent(
            name="scanner",
            scenario="scanner.xml",
            ip="127.0.0.66",
            port=5070,
            out_of_call=None,
            calls=20,
            rate_per_s=10.0,
            inject_csv="scanner-targets.csv",
            start_after=1.0,
            finite=True,
        ),
    ),
)

CALL = Scenario(
    name="call",
    title="209 calls 208: INVITE challenged (407), rings, answered, 3 s of G.711 "
    "both ways (208 echoes), BYE",
    duration=9.0,
    agents=(
        _phone("208", "127.0.0.18", out_of_call="answer-calls.xml", rtp_echo=True),
        _caller("208"),
    ),
)

ONE_WAY_AUDIO = Scenario(
    name="one-way-audio",
    title="212, behind NAT with its LAN address (192.168.1.12) in Via, Contact and SDP, "
    "calls 208: the call connects, 212's audio reaches 208, none comes back",
    duration=9.0,
    agents=(
        _phone("208", "127.0.0.18", out_of_call="answer-calls.xml"),
        Agent(
            name="caller-212",
            scenario="phone-caller-nat.xml",
            ip="127.0.0.13",
            port=5066,
            extension="212",
            variables=MappingProxyType(
                {"callee": "208", "lan_ip": "192.168.1.12", "lan_port": "5060"}
            ),
            start_after=0.5,
        ),
    ),
)

NAT_TIMEOUT = Scenario(
    name="nat-timeout",
    title="213 behind a NAT (192.168.1.13 in Via and Contact, sent from 127.0.0.22) "
    "that forgets it 1.8 s after its last outbound packet: registered for 60 s and "
    "refreshing every 6.5 s, it answers the registrar's 2-s keepalives only until "
    "the binding expires, then none until its next REGISTER",
    duration=26.0,
    agents=(
        Agent(
            name="phone-213",
            scenario="phone-nat-timeout.xml",
            ip="127.0.0.22",
            port=5062,
            extension="213",
            out_of_call="nat-binding-requests.xml",
            variables=MappingProxyType(
                {"lan_ip": "192.168.1.13", "lan_port": "5060", "binding_ms": "1800"}
            ),
        ),
    ),
)

SCENARIOS: Mapping[str, Scenario] = MappingProxyType(
    {
        s.name: s
        for s in (
            HEALTHY,
            FLAPPING,
            NAT,
            NO_ANSWER,
            TWO_PHONES,
            WRONG_PASSWORD,
            SCANNER,
            CALL,
            ONE_WAY_AUDIO,
            NAT_TIMEOUT,
        )
    }
)


def get_scenario(name: str) -> Scenario:
    """The scenario called ``name``; raises KeyError naming the known ones."""
    try:
        return SCENARIOS[name]
    except KeyError:
        raise KeyError(f"unknown lab scenario {name!r}; known: {', '.join(SCENARIOS)}") from None
