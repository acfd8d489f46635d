"""The thresholds of every diagnosis, named and justified in one frozen object.

Each field says what it bounds and why it has its default: an RFC, a vendor
default, or what a support engineer can defend in front of a customer.  Pass a
modified copy (``dataclasses.replace(DiagnosisPolicy(), flapping_min_episodes=5)``)
to :func:`pbxlab.analysis.findings.diagnose` to tune a run.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pandas as pd

# Kamailio nathelper's private ranges (RFC 1918, RFC 6598 carrier-grade NAT,
# RFC 6890 IETF protocol assignments) plus IPv6 unique-local (RFC 4193) and
# link-local addresses: a phone naming one of these is behind NAT unless the
# platform sees it from that very address.
DEFAULT_PRIVATE_NETWORKS = (
    "10.0.0.0/8",
    "172.16.0.0/12",
    "192.168.0.0/16",
    "100.64.0.0/10",
    "192.0.0.0/29",
    "169.254.0.0/16",
    "fc00::/7",
    "fe80::/10",
)

# User-Agent substrings of SIP attack tools (SIPVicious svmap/svwar/svcrack announce
# "friendly-scanner"; the others are the tools fail2ban and CrowdSec collections
# name).  Lower case; matched case-insensitively.
DEFAULT_SCANNER_USER_AGENTS = (
    "friendly-scanner",
    "sipvicious",
    "sipcli",
    "sip-scan",
    "vaxsipuseragent",
    "pplsip",
    "iwar",
    "smap",
    "sundayddr",
)


@dataclass(frozen=True, slots=True)
class DiagnosisPolicy:
    """Every threshold the classifiers use; defaults are justified field by field."""

    # -- evidence --------------------------------------------------------------------
    max_evidence: int = 8
    """At most this many 'file:frame N' pointers per finding: enough to open the
    first and last occurrences in a notebook without drowning the summary."""

    # -- NAT (Kamailio nathelper nat_uac_test semantics) ----------------------------
    private_networks: tuple[str, ...] = DEFAULT_PRIVATE_NETWORKS
    """Networks treated as private (nathelper's list, RFC 1918/6598/6890, RFC 4193)."""
    default_sip_port: int = 5060
    """Port a Via without one means (RFC 3261 §18.2.1), for the port test (flag 16)."""
    register_timeout: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(seconds=32))
    """A REGISTER unanswered this long has failed: Timer F = 64*T1 = 32 s (RFC 3261 §17.1.2.2).
    A transaction younger than this at the end of the evidence is not judged."""

    # -- registration life-cycle -----------------------------------------------------
    flapping_min_episodes: int = 3
    """Offline episodes within ``flapping_window`` that make a phone flapping: one is a
    reboot (the guide: it re-registers within a minute), two can be a reboot and a power
    cut, three in an hour is a pattern the Reliability view shows as flapping."""
    flapping_window: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(hours=1))
    """Sliding window for counting episodes (the Reliability view reports per hour)."""
    flapping_min_gap: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(seconds=1))
    """Shorter gaps between bindings are timestamp jitter, not an offline period."""
    period_max_variation: float = 0.25
    """Episodes repeat with a regular period when the intervals between their starts
    vary by at most this fraction of their median (coefficient of variation)."""
    keepalive_min_consecutive_unanswered: int = 2
    """Unanswered keepalives in a row that mean the phone is unreachable: one can be a
    lost datagram (typical UDP loss ~1 %); two in a row is what a qualify sees as down
    (Asterisk marks a contact Unreachable after one qualify timeout)."""
    keepalive_answer_timeout: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(seconds=3))
    """A request to a phone unanswered this long is lost: Asterisk's pjsip
    ``qualify_timeout`` default (3 s); phones answer OPTIONS in milliseconds.  Only
    requests sent less than this before the evidence ends are not judged."""
    keepalive_min_unreachable_events: int = 2
    """From registrar logs: 'unreachable' episodes of a registered phone that make
    KEEPALIVE_DROPPED; one alone can be a phone unplugged on purpose."""
    inbound_min_unanswered: int = 2
    """Requests to a registered phone, all unanswered, that make NAT_INBOUND_BLOCKED:
    each is already a transaction that timed out after its retransmissions (Timer B/F)."""
    binding_timeout_min_episodes: int = 2
    """Offline episodes with the same delay after the phone's last packet needed to call
    it a NAT binding timeout (one delay alone is not a regular interval)."""
    binding_timeout_tolerance: pd.Timedelta = field(
        default_factory=lambda: pd.Timedelta(seconds=10)
    )
    """Delays within this (or ``period_max_variation`` of their median, if larger) are
    the same interval: keepalive/qualify timers fire at 1-s granularity plus jitter."""

    # -- media -----------------------------------------------------------------------
    one_way_min_packets: int = 50
    """Packets in the flowing direction before missing return audio counts: 1 s of
    audio at the default 20 ms packetisation (RFC 3551 §4.2); shorter is call set-up."""

    # -- security (judged per account and per time window) ---------------------------
    auth_failure_min_attempts: int = 2
    """Rejected credentials (401/407 to a request carrying them, or 403) for one
    extension that make AUTH_FAILURE: one can be a nonce gone stale."""
    auth_window: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(hours=1))
    """Failures are counted within this window per extension (a phone retries at its
    registration interval, typically 60-3600 s)."""
    auth_resolution_grace: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(minutes=10))
    """A success from the same phone (source) within this time after failures means the
    user fixed a typo or a password: no finding.  Retyping takes minutes, not hours."""
    typo_max_edits: int = 2
    """A failing username this many keystrokes (Levenshtein edits) from the one the same
    phone then logs in with is a corrected typo: one or two wrong/missing/swapped keys."""
    brute_force_min_failures: int = 5
    """Failed authentications from one source within ``security_window`` that make
    BRUTE_FORCE: fail2ban's default maxretry (5) for the asterisk jail."""
    brute_force_max_gap: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(seconds=5))
    """Failures on a single account count as brute force only when their median gap is
    shorter: phones back off at least 30 s after a failure (RFC 5626 §4.5 base-time),
    nobody retypes a password in under 5 s, tools send several per second."""
    security_window: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(minutes=10))
    """Window for brute force and scanning: fail2ban's default findtime (10 min)."""
    scanner_min_accounts: int = 5
    """Distinct accounts/extensions one source tries without any success within
    ``security_window`` that make SCANNER (the same count as fail2ban's maxretry;
    an office's phones behind one IP each succeed and never count)."""
    scanner_user_agents: tuple[str, ...] = DEFAULT_SCANNER_USER_AGENTS
    """User-Agent substrings of known SIP attack tools: one request is enough."""
    external_number_min_digits: int = 7
    """A dialled number with at least this many digits (or a leading + / 00 / 011) is
    an outside number: an unauthenticated INVITE to one is a toll-fraud probe."""
    leak_network_prefix_v4: int = 24
    """Two public IPv4 sources in the same /24 are one site (a provider's NAT pool)."""
    leak_network_prefix_v6: int = 48
    """IPv6 sites get a /48 (RFC 6177): same /48, same site."""
    leak_overlap: pd.Timedelta = field(default_factory=lambda: pd.Timedelta(hours=1))
    """How long after its last successful registration the usual phone still counts as
    present when its granted expiry is unknown (a common default expiry is 3600 s)."""
