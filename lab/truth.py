"""What each lab scenario must be diagnosed as: findings and status checkpoints.

The machine-readable form of lab/SCENARIOS.md, for the analysis tests: run
``pbxlab.diagnose`` / ``pbxlab.status_at`` on a scenario's capture (the
recording in sample_pcaps/ or a live run) and compare with ``TRUTH[name]``.

- ``must``: findings that have to appear, with the severities allowed.
- ``must_not``: findings that must not appear at the listed severities
  (code ``"*"``: no finding at all for that extension or source).
- ``checkpoints``: the state an extension is in ``t`` seconds after the
  capture's first SIP message.  They sit at least half a second away from any
  transition, so a live run (whose timings differ by milliseconds) and any
  reasonable keepalive-answer timeout agree on them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType

ANY_SEVERITY = frozenset({"info", "warning", "critical"})
PROBLEM = frozenset({"warning", "critical"})
INFO = frozenset({"info"})
NAT_HEADER_CODES = ("NAT_CONTACT_PRIVATE", "NAT_VIA_MISMATCH", "NAT_PORT_MISMATCH")


@dataclass(frozen=True)
class Finding:
    """A finding about an extension, or (extension None) about a source address.

    ``pattern`` and ``period_s`` qualify FLAPPING (the pattern's wording is
    the analysis' own; the period is approximate, +-1 s).
    """

    code: str
    extension: str | None = None
    source: str | None = None
    severities: frozenset[str] = ANY_SEVERITY
    pattern: str | None = None
    period_s: float | None = None


@dataclass(frozen=True)
class Checkpoint:
    t: float
    extension: str
    state: str  # online | ringing | in_use | offline


@dataclass(frozen=True)
class Truth:
    must: tuple[Finding, ...]
    must_not: tuple[Finding, ...]
    checkpoints: tuple[Checkpoint, ...]


def _nothing_for(*subjects: str) -> tuple[Finding, ...]:
    return tuple(Finding("*", extension=s) for s in subjects)


def _never(codes: tuple[str, ...], *extensions: str) -> tuple[Finding, ...]:
    return tuple(Finding(code, extension=e) for code in codes for e in extensions)


def _states(extension: str, *points: tuple[float, str]) -> tuple[Checkpoint, ...]:
    return tuple(Checkpoint(t, extension, state) for t, state in points)


TRUTH: Mapping[str, Truth] = MappingProxyType(
    {
        "healthy": Truth(
            must=(),
            must_not=_nothing_for("201"),
            checkpoints=_states("201", (1.0, "online"), (6.0, "online"), (10.5, "online")),
        ),
        "flapping": Truth(
            must=(
                Finding(
                    "FLAPPING",
                    "210",
                    severities=PROBLEM,
                    pattern="expiry without refresh",
                    period_s=7.0,
                ),
                Finding(
                    "FLAPPING",
                    "211",
                    severities=PROBLEM,
                    pattern="unregister/register loop",
                    period_s=4.0,
                ),
            ),
            must_not=_never(
                (
                    "AUTH_FAILURE",
                    "KEEPALIVE_DROPPED",
                    "NAT_INBOUND_BLOCKED",
                    "NAT_BINDING_TIMEOUT",
                    *NAT_HEADER_CODES,
                    "MULTIPLE_PHONES",
                    "CREDENTIAL_LEAK_SUSPECTED",
                ),
                "210",
                "211",
            ),
            checkpoints=_states(
                "210",
                (1.0, "online"),
                (5.5, "offline"),
                (8.0, "online"),
                (12.5, "offline"),
                (15.0, "online"),
                (19.5, "offline"),
                (22.0, "online"),
            )
            + _states(
                "211",
                (1.0, "online"),
                (3.3, "offline"),
                (5.3, "online"),
                (7.3, "offline"),
                (9.3, "online"),
                (11.3, "offline"),
                (13.3, "online"),
                (15.3, "offline"),
                (20.0, "offline"),
            ),
        ),
        "nat": Truth(
            must=tuple(
                Finding(code, ext, severities=INFO)
                for code in NAT_HEADER_CODES
                for ext in ("202", "203")
            ),
            must_not=tuple(
                Finding(code, ext, severities=PROBLEM)
                for code in NAT_HEADER_CODES
                for ext in ("202", "203")
            )
            + _never(
                (
                    "NAT_SDP_PRIVATE",
                    "NAT_INBOUND_BLOCKED",
                    "KEEPALIVE_DROPPED",
                    "NAT_BINDING_TIMEOUT",
                    "FLAPPING",
                    "AUTH_FAILURE",
                    "MULTIPLE_PHONES",
                    "CREDENTIAL_LEAK_SUSPECTED",
                ),
                "202",
                "203",
            )
            + (
                Finding("SCANNER", source="127.0.0.13"),
                Finding("BRUTE_FORCE", source="127.0.0.13"),
            ),
            checkpoints=tuple(
                Checkpoint(t, ext, "online") for ext in ("202", "203") for t in (1.0, 6.0, 8.5)
            ),
        ),
        "no-answer": Truth(
            must=(
                Finding("KEEPALIVE_DROPPED", "204", severities=PROBLEM),
                Finding("NAT_INBOUND_BLOCKED", "204", severities=PROBLEM),
            ),
            # FLAPPING (pattern keepalive loss) may appear for 204: not listed.
            must_not=_never(("AUTH_FAILURE", *NAT_HEADER_CODES, "MULTIPLE_PHONES"), "204")
            + _nothing_for("209"),
            checkpoints=_states(
                "204", (0.5, "online"), (4.5, "offline"), (8.0, "offline"), (9.5, "offline")
            )
            + _states("209", (1.5, "online"), (8.0, "online"), (13.0, "online")),
        ),
        "two-phones": Truth(
            must=(Finding("MULTIPLE_PHONES", "205", severities=INFO),),
            must_not=(
                Finding("MULTIPLE_PHONES", "205", severities=PROBLEM),
                *_never(
                    (
                        "CREDENTIAL_LEAK_SUSPECTED",
                        "ONE_WAY_AUDIO",
                        "NAT_INBOUND_BLOCKED",
                        "KEEPALIVE_DROPPED",
                        "AUTH_FAILURE",
                        "FLAPPING",
                        *NAT_HEADER_CODES,
                    ),
                    "205",
                ),
                *_nothing_for("209"),
            ),
            checkpoints=_states(
                "205",
                (1.0, "online"),
                (2.5, "ringing"),
                (4.5, "in_use"),
                (6.0, "in_use"),
                (7.5, "online"),
            )
            + _states("209", (1.5, "online"), (4.5, "in_use"), (7.5, "online")),
        ),
        "wrong-password": Truth(
            must=(Finding("AUTH_FAILURE", "206", severities=PROBLEM),),
            must_not=(
                Finding("AUTH_FAILURE", "207"),
                Finding("FLAPPING", "207"),
                Finding("CREDENTIAL_LEAK_SUSPECTED", "206"),
                Finding("CREDENTIAL_LEAK_SUSPECTED", "207"),
                Finding("BRUTE_FORCE", source="127.0.0.17"),
                Finding("BRUTE_FORCE", source="127.0.0.27"),
                Finding("SCANNER", source="127.0.0.17"),
                Finding("SCANNER", source="127.0.0.27"),
            ),
            checkpoints=_states("206", (1.0, "offline"), (4.5, "offline"))
            + _states("207", (1.0, "offline"), (3.0, "online"), (4.5, "online")),
        ),
        "scanner": Truth(
            must=(Finding("SCANNER", source="127.0.0.66", severities=PROBLEM),),
            must_not=(
                Finding("BRUTE_FORCE", source="127.0.0.66"),
                *_never(
                    ("AUTH_FAILURE", "CREDENTIAL_LEAK_SUSPECTED"),
                    *[str(n) for n in (*range(100, 110), *range(200, 210))],
                ),
                *_nothing_for("201"),
            ),
            checkpoints=_states("201", (1.0, "online"), (3.0, "online"), (6.0, "online")),
        ),
        "call": Truth(
            must=(),
            must_not=_nothing_for("208", "209"),
            checkpoints=_states(
                "208",
                (1.0, "online"),
                (2.2, "ringing"),
                (4.0, "in_use"),
                (5.5, "in_use"),
                (7.0, "online"),
                (8.5, "online"),
            )
            + _states("209", (1.0, "online"), (4.5, "in_use"), (7.0, "online")),
        ),
        "one-way-audio": Truth(
            must=(
                Finding("ONE_WAY_AUDIO", "212", severities=PROBLEM),
                Finding("NAT_SDP_PRIVATE", "212", severities=PROBLEM),
            ),
            # The NAT header codes for 212 are not constrained (the
            # signalling NAT is handled, the media NAT is not); ONE_WAY_AUDIO
            # may also be reported for 208, the other end of the call.
            must_not=_never(
                ("KEEPALIVE_DROPPED", "NAT_INBOUND_BLOCKED", "AUTH_FAILURE", "FLAPPING"), "212"
            )
            + _never(
                (
                    *NAT_HEADER_CODES,
                    "NAT_SDP_PRIVATE",
                    "KEEPALIVE_DROPPED",
                    "NAT_INBOUND_BLOCKED",
                    "AUTH_FAILURE",
                    "FLAPPING",
                    "MULTIPLE_PHONES",
                ),
                "208",
            ),
            checkpoints=_states(
                "208",
                (1.0, "online"),
                (2.2, "ringing"),
                (4.0, "in_use"),
                (5.5, "in_use"),
                (7.0, "online"),
                (8.0, "online"),
            )
            + _states("212", (1.0, "online"), (4.5, "in_use"), (7.0, "online")),
        ),
        "nat-timeout": Truth(
            must=(Finding("NAT_BINDING_TIMEOUT", "213", severities=PROBLEM),),
            # KEEPALIVE_DROPPED and FLAPPING (pattern keepalive loss) are the
            # same losses seen as symptoms, and the NAT header codes describe
            # 213's unfixed NAT: not constrained.
            must_not=(
                *_never(
                    (
                        "NAT_INBOUND_BLOCKED",  # a keepalive after each REGISTER is answered
                        "NAT_SDP_PRIVATE",
                        "AUTH_FAILURE",
                        "MULTIPLE_PHONES",
                        "CREDENTIAL_LEAK_SUSPECTED",
                    ),
                    "213",
                ),
                Finding("SCANNER", source="127.0.0.22"),
                Finding("BRUTE_FORCE", source="127.0.0.22"),
            ),
            # 9.0 and 17.0: an older OPTIONS times out after a newer one was answered;
            # outcomes count in sending order, so 213 stays online
            checkpoints=_states(
                "213",
                (1.0, "online"),
                (4.0, "online"),
                (9.0, "online"),
                (12.0, "offline"),
                (17.0, "online"),
                (19.8, "offline"),
            ),
        ),
    }
)
