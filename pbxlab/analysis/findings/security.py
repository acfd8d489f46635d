"""Security findings, judged per account and per time window, never per IP alone.

Strategy: every authentication-relevant outcome becomes one *attempt* row
(time, source IP and address, account, target, outcome, user agent, evidence):
from captures, each client transaction's final answer (2xx ``ok``; 401/407 to
a request *with* credentials ``failed``, without ``challenge``; 403
``forbidden``; 404 ``unknown_user`` for REGISTER, ``rejected`` otherwise);
from registrar logs, the events ``registered``/``refreshed`` (``ok``),
``auth_failed``, ``unknown_user``, ``rejected`` and ``challenge``.  Rules:

- ``SCANNER`` (warning, about a source): within ``security_window`` (10 min,
  fail2ban's findtime) one source IP that never logs in nor gets a request
  through probes at least ``scanner_min_accounts`` (5) distinct accounts; or it announces a known
  attack tool's User-Agent (friendly-scanner...); or, never having
  authenticated, it sends an INVITE to an outside number that is refused (a
  toll-fraud probe; an unanswered one is not judged: the capture may simply miss
  the answer).  Twelve office phones behind one IP each log in, so their
  accounts never count.
- ``BRUTE_FORCE`` (critical, about a source): within the window a source fails
  at least ``brute_force_min_failures`` (5, fail2ban's maxretry) logins on
  accounts it had not logged into before, and either tries several accounts or
  retries faster than a phone or a person does (median gap under
  ``brute_force_max_gap``, 5 s).  A single phone with a stale password retries
  slowly on its own account: that is AUTH_FAILURE.
- ``AUTH_FAILURE`` (warning, per extension): at least ``auth_failure_min_attempts``
  (2) unresolved rejected logins (401/407 with credentials, or 403) within
  ``auth_window`` (1 h), or one unresolved 403 Forbidden that the extension never
  recovers from (a 403 is the registrar's final word: the phone stays logged out;
  a single 401 can be a stale nonce).  A
  failure is resolved -- a user fixing a password or a username typo -- when within
  ``auth_resolution_grace`` (10 min) the same extension logs in, or the same phone
  (source address, same Contact apart from its user part) logs in under a name at
  most ``typo_max_edits`` (2) keystrokes away while the failing name never logs in
  anywhere.  Several real accounts on one softphone stay separate (their Contacts
  differ, e.g. by ``;line=``): a success on one does not excuse another.
  Failures from a source judged a scanner or brute force are not counted here.
- ``CREDENTIAL_LEAK_SUSPECTED`` (per extension): critical when a source that was
  brute-forcing an account then logs into it; warning when the extension
  registers successfully from a second, unrelated site (another /24, or /48 for
  IPv6, not a private address) *and* with another User-Agent while its usual
  phone's registration is still valid (the guide's security note: someone else
  registering a phone elsewhere).  A desk phone and a softphone on the same
  office network are MULTIPLE_PHONES, not a leak.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

import numpy as np
import pandas as pd

from pbxlab.analysis.findings.model import (
    RESET_PASSWORD,
    Finding,
    evidence_ref,
    fmt_duration,
    host_of,
    is_private,
    mid_sentence,
    plain,
    plural,
    positions_by_value,
    present,
    site_of,
    split_evidence,
    tenant_tag,
)
from pbxlab.analysis.findings.policy import DiagnosisPolicy

ATTEMPT_COLUMNS = [
    "ts",
    "source",
    "address",
    "extension",
    "account",
    "target",
    "method",
    "outcome",
    "user_agent",
    "contact",
    "external",
    "granted_expires",
    "evidence",
]
FAILED = ("failed", "forbidden")
JUDGED = ("ok", *FAILED)
"""The outcomes :func:`judge_extensions` reads."""
PROBED = ("failed", "forbidden", "unknown_user", "rejected", "challenge", "timeout")

_BLOCK = (
    "Block {source} at the firewall (fix the NAT/firewall so SIP is open only to the "
    "customer's networks); no extension needs a change"
)

_EVENT_OUTCOMES = {
    "registered": "ok",
    "refreshed": "ok",
    "auth_failed": "failed",
    "unknown_user": "unknown_user",
    "rejected": "rejected",
    "challenge": "challenge",
}


def attempts_from_transactions(tx: pd.DataFrame, policy: DiagnosisPolicy) -> pd.DataFrame:
    """Attempt rows (ATTEMPT_COLUMNS) from client transactions (see transactions.py)."""
    if tx.empty:
        return pd.DataFrame({c: pd.Series([], dtype="object") for c in ATTEMPT_COLUMNS})
    status = tx["status"].astype("Float64")
    has_auth = tx["auth"].fillna(False).astype(bool)
    register = tx["method"] == "REGISTER"
    outcome = pd.Series("other", index=tx.index, dtype="object")
    outcome[status.isna()] = "timeout"
    outcome[(status >= 200) & (status < 300)] = "ok"
    challenged = status.isin([401, 407]).fillna(False)
    outcome[challenged & has_auth] = "failed"
    outcome[challenged & ~has_auth] = "challenge"
    # 403 to a REGISTER refuses the account; to an INVITE it refuses the call (routing)
    outcome[status.eq(403).fillna(False) & register] = "forbidden"
    outcome[status.eq(403).fillna(False) & ~register] = "rejected"
    outcome[status.eq(404).fillna(False) & register] = "unknown_user"
    outcome[status.eq(404).fillna(False) & ~register] = "rejected"
    account = tx["auth_user"].where(tx["auth_user"].notna(), tx["from_user"])
    account = account.where(~register | tx["auth_user"].notna(), tx["to_user"])
    granted = tx["answer_contact_expires"].where(
        tx["answer_contact_expires"].notna(), tx["answer_expires"]
    )
    return pd.DataFrame(
        {
            "ts": tx["ts"],
            "source": tx["src"],
            "address": tx["src"].astype(str) + ":" + tx["sport"].astype(str),
            "extension": tx["to_user"].where(register, tx["from_user"]),
            "account": account,
            "target": tx["to_user"],
            "method": tx["method"],
            "outcome": outcome,
            "user_agent": tx["user_agent"],
            "contact": tx["contact"],
            "external": _external(tx["to_user"], policy),
            "granted_expires": granted,
            "evidence": tx["evidence"],
        }
    )[ATTEMPT_COLUMNS]


def attempts_from_events(events: pd.DataFrame) -> pd.DataFrame:
    """Attempt rows from registrar-log events (EVENTS schema)."""
    kinds = events["event"].astype(str)
    chosen = events[kinds.isin(list(_EVENT_OUTCOMES))]
    if chosen.empty:
        return pd.DataFrame({c: pd.Series([], dtype="object") for c in ATTEMPT_COLUMNS})
    return pd.DataFrame(
        {
            "ts": chosen["ts"],
            "source": [host_of(s) for s in chosen["source"]],
            "address": chosen["source"],
            "extension": chosen["extension"],
            "account": chosen["extension"],
            "target": chosen["extension"],
            "method": "REGISTER",
            "outcome": chosen["event"].astype(str).map(_EVENT_OUTCOMES),
            "user_agent": chosen["user_agent"],
            "contact": chosen["contact"],
            "external": False,
            "granted_expires": pd.NA,
            "evidence": [
                evidence_ref(f, n, "line")
                for f, n in zip(chosen["source_file"], chosen["line"], strict=True)
            ],
        }
    )[ATTEMPT_COLUMNS]


def _external(numbers: pd.Series, policy: DiagnosisPolicy) -> np.ndarray:
    """:func:`_is_external` of each of ``numbers``, testing each distinct number once."""
    codes, distinct = pd.factorize(numbers)
    tested = [_is_external(number, policy) for number in distinct]
    return np.append(np.asarray(tested, dtype=bool), False)[codes]  # missing (-1): False


def _is_external(number: object, policy: DiagnosisPolicy) -> bool:
    if not present(number):
        return False
    text = str(number)
    if text.startswith(("+", "00", "011")):
        return True
    digits = text.lstrip("+")
    return digits.isdigit() and len(digits) >= policy.external_number_min_digits


def classify(attempts: pd.DataFrame, policy: DiagnosisPolicy) -> list[Finding]:
    """SCANNER, BRUTE_FORCE, AUTH_FAILURE and CREDENTIAL_LEAK_SUSPECTED findings
    from attempt rows (:func:`attempts_from_transactions` / :func:`attempts_from_events`)."""
    found, hostile = judge_sources(attempts, policy)
    return [*found, *judge_extensions(attempts, hostile, policy)]


def _prepared(attempts: pd.DataFrame) -> pd.DataFrame:
    """The attempts with a source, in time order."""
    data = attempts.sort_values("ts", kind="stable").reset_index(drop=True)
    return data[data["source"].notna()]


def judge_sources(
    attempts: pd.DataFrame, policy: DiagnosisPolicy
) -> tuple[list[Finding], set[str]]:
    """The findings about network sources (SCANNER, BRUTE_FORCE and the critical
    CREDENTIAL_LEAK_SUSPECTED of a brute force that then logs in) and the set of
    sources they judged hostile."""
    if attempts.empty:
        return [], set()
    data = _prepared(attempts)
    findings: list[Finding] = []
    hostile: set[str] = set()
    # only the columns the source rules read: each group is sliced out of the frame
    judged = data.loc[_worth_judging(data, policy), _SOURCE_COLUMNS]
    for source, group in judged.groupby("source", sort=True):
        found = list(_source_findings(str(source), group, policy))
        if found:
            hostile.add(str(source))
        findings.extend(found)
    return findings, hostile


_SOURCE_COLUMNS = ["ts", "source", "account", "target", "method", "outcome", "user_agent"]
_SOURCE_COLUMNS += ["external", "evidence"]


def judge_extensions(
    attempts: pd.DataFrame, hostile: set[str], policy: DiagnosisPolicy
) -> list[Finding]:
    """AUTH_FAILURE and the warning CREDENTIAL_LEAK_SUSPECTED, per extension, not
    counting the attempts of ``hostile`` sources as failures."""
    if attempts.empty:
        return []
    # logins and failed logins, in time order (as _prepared sorts them): positions
    # only, since few of the rows (the failures, a few extensions' logins) are sliced
    usable = attempts["source"].notna().to_numpy(dtype=bool)
    order = np.argsort(attempts["ts"].to_numpy(dtype="datetime64[ns]"), kind="stable")
    ok = (attempts["outcome"] == "ok").to_numpy(dtype=bool) & usable
    failed = (
        attempts["outcome"].isin(FAILED).to_numpy(dtype=bool)
        & usable
        & attempts["extension"].notna().to_numpy(dtype=bool)
        & ~attempts["source"].isin(hostile).to_numpy(dtype=bool)
    )
    logins = order[ok[order]]
    return [
        *_auth_failures(attempts, logins, order[failed[order]], policy),
        *_concurrent_sites(attempts, logins, policy),
    ]


def _worth_judging(data: pd.DataFrame, policy: DiagnosisPolicy) -> pd.Series:
    """Rows of the sources that could make a finding: that announce an attack tool,
    or have enough failures for a brute force (not counting those on an account the
    source had logged into before), or, never having logged in, enough probes for a
    scan or a refused call to an outside number (a toll-fraud probe).  A necessary
    condition of :func:`_source_findings`, counted for all sources at once: most
    sources (an office's phones) have none of these and are not sliced out."""
    # each distinct User-Agent and outcome tested once, not each row
    codes, agents = pd.factorize(data["user_agent"], use_na_sentinel=True)
    tools = [
        any(tool in str(agent).lower() for tool in policy.scanner_user_agents) for agent in agents
    ]
    tool = np.append(np.asarray(tools, dtype=bool), False)[codes]  # -1 (missing): no tool
    outcomes, outcome_names = pd.factorize(data["outcome"])

    def outcome_in(names: Iterable[str]) -> np.ndarray:
        wanted = np.append(np.isin(np.asarray(outcome_names, dtype=object), list(names)), False)
        return np.asarray(wanted[outcomes], dtype=bool)  # -1 (missing): none of them

    ok = outcome_in(["ok"])
    # sources and (source, account) pairs as integer codes: counted with bincount
    sources, source_names = pd.factorize(data["source"])
    accounts, account_names = pd.factorize(data["account"])
    pairs = sources.astype(np.int64) * (len(account_names) + 1) + accounts
    pairs[(sources < 0) | (accounts < 0)] = -1  # a missing source or account: no pair
    # a failure on an account the source had logged into before is its own phone's
    # stale credentials, which _brute_window does not count either
    failed = outcome_in(FAILED)
    stamps = data["ts"].to_numpy(dtype="datetime64[ns]")
    known = _logged_in_before(pairs, ok, stamps)
    failed &= ~known
    stranger_ok = ok & (data["account"].notna() | data["target"].notna()).to_numpy(bool)
    toll = (
        (data["method"] == "INVITE").fillna(False).to_numpy(dtype=bool)
        & data["external"].fillna(False).astype(bool).to_numpy()
        & outcome_in(["forbidden", "rejected", "challenge", "unknown_user"])
    )

    def per_source(rows: np.ndarray) -> np.ndarray:
        return np.bincount(sources[rows & (sources >= 0)], minlength=len(source_names))

    # scans and toll-fraud probes are only looked for from sources that never logged in
    stranger = per_source(stranger_ok) == 0
    possible = (
        (per_source(tool) > 0)
        | (per_source(failed) >= max(policy.brute_force_min_failures, 1))
        | (stranger & (per_source(outcome_in(PROBED)) >= max(policy.scanner_min_accounts, 1)))
        | (stranger & (per_source(toll) > 0))
    )
    return pd.Series(np.append(possible, False)[sources], index=data.index)


def _logged_in_before(pairs: np.ndarray, ok: np.ndarray, stamps: np.ndarray) -> np.ndarray:
    """Per row, whether its (source, account) pair (-1: none) logged in (``ok``)
    strictly before the row's time; a missing time is never before nor after."""
    ints = stamps.view(np.int64)
    timed = ~np.isnat(stamps)
    never = np.iinfo(np.int64).max
    first_ok = np.full(int(pairs.max(initial=-1)) + 2, never, dtype=np.int64)  # last: no pair
    logins = ok & timed & (pairs >= 0)
    np.minimum.at(first_ok, pairs[logins], ints[logins])
    before = first_ok[pairs]  # pair -1: the last slot, never
    return np.asarray(timed & (before != never) & (before < ints), dtype=bool)


def best_window(
    ts: pd.Series, window: pd.Timedelta, min_count: int, accept: Callable[[int, int], bool]
) -> tuple[int, int] | None:
    """The fullest slice [i, j) of sorted ``ts`` spanning at most ``window`` that holds at
    least ``min_count`` rows and that ``accept(i, j)`` approves; None when there is none."""
    values = ts.to_numpy(dtype="datetime64[ns]") if len(ts) else np.array([], "datetime64[ns]")
    if len(values) < min_count:
        return None
    ends = np.searchsorted(values, values + window.to_timedelta64(), side="right")
    counts = ends - np.arange(len(values))
    for i in np.argsort(-counts, kind="stable"):
        if counts[i] < min_count:
            break
        if accept(int(i), int(ends[i])):
            return int(i), int(ends[i])
    return None


def _source_findings(
    source: str, group: pd.DataFrame, policy: DiagnosisPolicy
) -> Iterable[Finding]:
    ok = (group["outcome"] == "ok").to_numpy(dtype=bool)
    ok_accounts = set(group["account"][ok].dropna()) | set(group["target"][ok].dropna())
    scanner_ua = _scanner_agent(group, policy)
    suspicious = group["outcome"].isin(FAILED) | (
        group["outcome"].isin(PROBED) & ~group["target"].isin(ok_accounts)
    )
    if scanner_ua is None and not suspicious.any():
        return  # challenge-then-login only: an office's phones
    # a peer that logs in or gets calls through (an ITSP sending calls, some to
    # unassigned numbers) is not scanning, whatever it also gets refused
    scan = _scan_window(group, ok_accounts, policy) if not ok_accounts else None
    if scanner_ua is not None or scan is not None:
        window = scan if scan is not None else group
        targets = sorted({str(t) for t in window["target"].dropna()})
        ua = f" identifying itself as {scanner_ua!r}" if scanner_ua else ""
        yield Finding(
            code="SCANNER",
            severity="warning",
            summary=(
                f"{source}{ua} probed {plural(len(targets), 'extension')} "
                f"({_names(targets)}){_over(window, 'in')} without logging in."
            ),
            action=_BLOCK.format(source=source),
            source=source,
            first_seen=window["ts"].min(),
            last_seen=window["ts"].max(),
            evidence=split_evidence(window["evidence"]),
        )
    elif (probe := _toll_fraud_probe(group, ok_accounts)) is not None:
        numbers = sorted({str(t) for t in probe["target"].dropna()})
        yield Finding(
            code="SCANNER",
            severity="warning",
            summary=(
                f"{source} never logged in but tried to call the outside "
                f"{'number' if len(numbers) == 1 else 'numbers'} {_names(numbers)} "
                f"({plural(len(probe), 'attempt')}, refused): a toll-fraud probe."
            ),
            action=_BLOCK.format(source=source),
            source=source,
            first_seen=probe["ts"].min(),
            last_seen=probe["ts"].max(),
            evidence=split_evidence(probe["evidence"]),
        )
    brute = _brute_window(group, policy)
    if brute is not None:
        accounts = sorted({str(a) for a in brute["account"].dropna()})
        yield Finding(
            code="BRUTE_FORCE",
            severity="critical",
            summary=(
                f"{source} failed to log in {plural(len(brute), 'time')} in "
                f"{fmt_duration(_span(brute))} as {_names(accounts)}: someone is guessing "
                "SIP passwords."
            ),
            action=(
                f"Block {source} at the firewall; {mid_sentence(RESET_PASSWORD)} of "
                f"{_names(accounts)} if it "
                "is weak or was ever shared"
            ),
            source=source,
            first_seen=brute["ts"].min(),
            last_seen=brute["ts"].max(),
            evidence=split_evidence(brute["evidence"]),
        )
        yield from _cracked(source, group, brute, policy)


def _scanner_agent(group: pd.DataFrame, policy: DiagnosisPolicy) -> str | None:
    for agent in group["user_agent"].dropna().unique():
        lowered = str(agent).lower()
        if any(tool in lowered for tool in policy.scanner_user_agents):
            return str(agent)
    return None


def _scan_window(
    group: pd.DataFrame, ok_accounts: set[object], policy: DiagnosisPolicy
) -> pd.DataFrame | None:
    probes = group[group["outcome"].isin(PROBED) & ~group["target"].isin(ok_accounts)]
    probes = probes[~probes["account"].isin(ok_accounts)].reset_index(drop=True)
    targets = probes["target"].astype(object).to_numpy()
    found = best_window(
        probes["ts"],
        policy.security_window,
        policy.scanner_min_accounts,
        lambda i, j: len(set(targets[i:j]) - {None}) >= policy.scanner_min_accounts,
    )
    return probes.iloc[found[0] : found[1]] if found else None


def _toll_fraud_probe(group: pd.DataFrame, ok_accounts: set[object]) -> pd.DataFrame | None:
    if ok_accounts or (group["outcome"] == "failed").any():
        return None  # it has credentials somewhere: a customer's device, not a stranger
    probes = group[
        (group["method"] == "INVITE")
        & group["external"].fillna(False).astype(bool)
        & group["outcome"].isin(["forbidden", "rejected", "challenge", "unknown_user"])
    ]
    return probes if not probes.empty else None


def _brute_window(group: pd.DataFrame, policy: DiagnosisPolicy) -> pd.DataFrame | None:
    outcome = group["outcome"].to_numpy(dtype=object)
    # failures on an account this source had already logged into: its own phone, stale
    known = _logged_in_before(
        pd.factorize(group["account"])[0].astype(np.int64),
        outcome == "ok",
        group["ts"].to_numpy(dtype="datetime64[ns]"),
    )
    failed = np.isin(outcome, FAILED) & ~known
    failures = group.iloc[np.flatnonzero(failed)].reset_index(drop=True)
    accounts = failures["account"].astype(object).to_numpy()
    stamps = failures["ts"].to_numpy(dtype="datetime64[ns]")

    def brute(i: int, j: int) -> bool:
        if len(set(accounts[i:j])) >= 2:
            return True
        gaps = np.diff(stamps[i:j])
        return bool(len(gaps)) and pd.Timedelta(np.median(gaps)) < policy.brute_force_max_gap

    found = best_window(
        failures["ts"], policy.security_window, policy.brute_force_min_failures, brute
    )
    return failures.iloc[found[0] : found[1]] if found else None


def _cracked(
    source: str, group: pd.DataFrame, brute: pd.DataFrame, policy: DiagnosisPolicy
) -> Iterable[Finding]:
    after = group[(group["outcome"] == "ok") & (group["ts"] > brute["ts"].min())]
    after = after[after["account"].isin(set(brute["account"]))]
    for account, rows in after.groupby("account", sort=True):
        yield Finding(
            code="CREDENTIAL_LEAK_SUSPECTED",
            severity="critical",
            summary=(
                f"After {plural(len(brute), 'failed login')}, {source} logged in as extension "
                f"{account}: its SIP password has probably been guessed."
            ),
            action=f"{RESET_PASSWORD} now, then block {source} at the firewall",
            extension=str(account),
            source=source,
            first_seen=brute["ts"].min(),
            last_seen=rows["ts"].max(),
            evidence=[
                *split_evidence(brute["evidence"].iloc[:2]),
                *split_evidence(rows["evidence"]),
            ],
        )


def _auth_failures(
    attempts: pd.DataFrame, login_rows: np.ndarray, failed: np.ndarray, policy: DiagnosisPolicy
) -> Iterable[Finding]:
    """AUTH_FAILURE findings from the attempts at positions ``failed`` (failures not
    from hostile sources), resolved by those at ``login_rows`` (both in time order)."""
    failures = attempts[["ts", "outcome", "extension", "address", "contact", "evidence"]]
    failures = failures.take(failed)
    # the logins of the failing extensions only: most extensions never fail
    extensions = attempts["extension"]
    failing = extensions.isin(failures["extension"].unique()).to_numpy(dtype=bool)
    named = login_rows[failing[login_rows]]
    names = pd.Index(failures["extension"].unique())
    login_names = names.get_indexer(extensions.take(named))
    ok_stamps = attempts["ts"].to_numpy(dtype="datetime64[ns]")[named]
    failure_times = failures["ts"].to_numpy(dtype="datetime64[ns]")
    failure_names = names.get_indexer(failures["extension"])
    # each failure's extension's next login, for all failures at once: most are
    # resolved (a stale nonce re-challenged, then a login) and need no more work
    later, next_login = _next_login(failure_names, failure_times, login_names, ok_stamps)
    grace = policy.auth_resolution_grace.to_timedelta64()
    settled = later & (next_login <= failure_times + grace)
    logging_in = np.zeros(len(names) + 1, dtype=bool)
    logging_in[login_names] = True
    open_names = set(failure_names[~settled].tolist())
    groups = positions_by_value(failures["extension"])
    logins_by_time: _Logins | None = None  # built for the first name that never logs in
    code_of = {name: code for code, name in enumerate(names.tolist())}
    for extension in sorted(groups, key=str):
        code = code_of[extension]
        if code not in open_names:
            continue
        positions = groups[extension]
        stamps = failure_times[positions]
        resolved = settled[positions]
        if not logging_in[code]:  # never logged in: maybe a corrected username typo
            if logins_by_time is None:
                # only the logins from where names that never log in failed are read
                strangers = ~logging_in[failure_names]
                wanted = attempts["address"].isin(failures["address"][strangers].unique())
                logins_by_time = _Logins(attempts, login_rows[wanted.to_numpy(bool)[login_rows]])
            rows = failures.iloc[positions]
            resolved = np.array(
                [
                    logins_by_time.typo_fixed(extension, ts, address, contact, policy)
                    for ts, address, contact in zip(
                        stamps,
                        rows["address"].astype(object).tolist(),
                        rows["contact"].astype(object).tolist(),
                        strict=True,
                    )
                ],
                dtype=bool,
            )
        if resolved.all():
            continue
        logins = ok_stamps[login_names == code]
        rows = failures.iloc[positions]
        unresolved = rows[~resolved]
        stuck = unresolved[
            (unresolved["outcome"] == "forbidden").to_numpy() & ~later[positions][~resolved]
        ]
        ordered = unresolved.reset_index(drop=True)
        found = best_window(
            ordered["ts"], policy.auth_window, policy.auth_failure_min_attempts, lambda i, j: True
        )
        best = ordered.iloc[found[0] : found[1]] if found else None
        if best is None and not stuck.empty:
            best = stuck
        if best is None:
            continue
        statuses = _outcome_words(best)
        never = (
            ""
            if len(logins) and logins[-1] > best["ts"].max().to_datetime64()
            else " and it never logged in after"
        )
        refused_outright = bool((best["outcome"] == "forbidden").all())
        cause = (
            "the registrar refuses this account (disabled, not provisioned for this phone, "
            "or blocked)"
            if refused_outright
            else "the phone has wrong or stale credentials"
        )
        yield Finding(
            code="AUTH_FAILURE",
            severity="warning",
            summary=(
                f"Extension {plain(extension)}'s login was refused {plural(len(best), 'time')} "
                f"({statuses}){_over(best)}{never}: {cause}."
            ),
            action=(
                (
                    "Check that the extension exists and is enabled; then "
                    if refused_outright
                    else ""
                )
                + f"{mid_sentence(RESET_PASSWORD) if refused_outright else RESET_PASSWORD} and "
                "enter the new one in the phone (or re-provision it), then reboot the phone"
            ),
            extension=str(extension),
            source=_names(sorted({str(a) for a in best["address"].dropna()})),
            first_seen=best["ts"].min(),
            last_seen=best["ts"].max(),
            evidence=split_evidence(best["evidence"]),
        )


def _next_login(
    failure_names: np.ndarray,
    failure_times: np.ndarray,
    login_names: np.ndarray,
    login_times: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """For each failure (name code, time): whether its name logs in strictly later, and
    the time of that next login (the failure's own time when none)."""
    count = len(login_names)
    names = np.concatenate([login_names, failure_names])
    times = np.concatenate([login_times, failure_times])
    # a login at the very time of a failure sorts before it: it does not follow it
    kinds = np.concatenate([np.zeros(count, dtype=np.int8), np.ones(len(failure_names), np.int8)])
    order = np.lexsort((kinds, times, names))
    size = len(order)
    # the first login at or after each sorted position
    marks = np.where(kinds[order] == 0, np.arange(size), size)
    following = np.minimum.accumulate(marks[::-1])[::-1]
    clipped = np.minimum(following, max(size - 1, 0))
    same = (following < size) & (names[order][clipped] == names[order])
    chosen = kinds[order] == 1
    later = np.zeros(len(failure_names), dtype=bool)
    next_login = failure_times.copy()
    rows = order[chosen] - count
    later[rows] = same[chosen]
    next_login[rows[same[chosen]]] = times[order][clipped][chosen & same]
    return later, next_login


class _Logins:
    """The successful attempts (sorted by time) by source address, for the typo test:
    only the logins from the failing phone's address are read."""

    def __init__(self, attempts: pd.DataFrame, logins: np.ndarray) -> None:
        self.stamps = attempts["ts"].to_numpy(dtype="datetime64[ns]")[logins]
        self.extensions = attempts["extension"].take(logins).astype(object).to_numpy()
        self.contacts = attempts["contact"].take(logins).astype(object).to_numpy()
        codes, addresses = pd.factorize(attempts["address"].take(logins))
        self.codes = {address: code for code, address in enumerate(addresses)}
        self.order = np.argsort(codes, kind="stable")  # each address's logins in time order
        self.bounds = np.searchsorted(codes[self.order], np.arange(len(addresses) + 1))

    def typo_fixed(
        self,
        name: object,
        ts: np.datetime64,
        address: object,
        contact: object,
        policy: DiagnosisPolicy,
    ) -> bool:
        """Whether a failure of ``name`` at ``ts`` from ``address`` was fixed soon
        after by the same phone logging in under a name one or two keystrokes away
        (a corrected username typo); for a failing name that never logs in anywhere.
        Tenant-tagged names compare only with the logins of their own tenant."""
        code = self.codes.get(address) if present(address) else None
        if code is None:
            return False
        rows = self.order[self.bounds[code] : self.bounds[code + 1]]
        stamps = self.stamps[rows]
        grace = policy.auth_resolution_grace.to_timedelta64()
        first = int(np.searchsorted(stamps, ts, side="right"))
        last = int(np.searchsorted(stamps, ts + grace, side="right"))
        slot = _account_slot(contact)
        tag, number = tenant_tag(name), plain(name)
        return any(
            present(extension)
            and present(plain(extension))
            and tenant_tag(extension) == tag
            and _typo_distance(number, plain(extension)) <= policy.typo_max_edits
            and (slot is None or _account_slot(self.contacts[i]) in (None, slot))
            for i, extension in ((i, self.extensions[i]) for i in rows[first:last])
        )


def _account_slot(contact: object) -> str | None:
    """The Contact without its user part: one account slot of a phone.  Two real accounts
    on one softphone differ here (e.g. ``;line=`` parameters); a corrected username
    typo keeps the slot."""
    if not present(contact):
        return None
    text = str(contact)
    scheme, _, rest = text.partition(":")
    return f"{scheme}:{rest.split('@', 1)[-1]}"


def _typo_distance(a: str, b: str) -> int:
    """Levenshtein distance (insertions, deletions, substitutions)."""
    previous = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        current = [i]
        for j, cb in enumerate(b, 1):
            current.append(min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + (ca != cb)))
        previous = current
    return previous[-1]


def _outcome_words(rows: pd.DataFrame) -> str:
    words = []
    failed = int((rows["outcome"] == "failed").sum())
    forbidden = int((rows["outcome"] == "forbidden").sum())
    if failed:
        words.append(f"{failed}x credentials rejected")
    if forbidden:
        words.append(f"{forbidden}x 403 Forbidden")
    return ", ".join(words)


def _concurrent_sites(
    attempts: pd.DataFrame, logins: np.ndarray, policy: DiagnosisPolicy
) -> Iterable[Finding]:
    """CREDENTIAL_LEAK_SUSPECTED (warning) from the logins at positions ``logins`` (in
    time order) of the extensions that register from several sources."""
    registers = (attempts["method"] == "REGISTER").fillna(False).to_numpy(dtype=bool) & attempts[
        "extension"
    ].notna().to_numpy(dtype=bool)
    chosen = logins[registers[logins]]
    if not len(chosen):
        return
    names, _ = pd.factorize(attempts["extension"].take(chosen))
    sources, _ = pd.factorize(attempts["source"].take(chosen))
    pairs = np.unique(np.stack([names, sources]), axis=1)
    several = np.flatnonzero(np.bincount(pairs[0], minlength=names.max(initial=-1) + 1) > 1)
    oks = attempts.take(chosen[np.isin(names, several)])
    for extension, rows in oks.groupby("extension", sort=True):
        usual = rows.iloc[0]
        usual_site = _site(usual["source"], policy)
        usual_ua = _ua(usual["user_agent"])
        usual_until = _valid_until(rows[rows["source"] == usual["source"]], policy)
        for _, row in rows.iloc[1:].iterrows():
            site = _site(row["source"], policy)
            if site is None or usual_site is None or site == usual_site:
                continue
            if _ua(row["user_agent"]) == usual_ua or row["ts"] > usual_until:
                continue
            yield Finding(
                code="CREDENTIAL_LEAK_SUSPECTED",
                severity="warning",
                summary=(
                    f"Extension {plain(extension)} registered from {row['source']} "
                    f"({row['user_agent'] if present(row['user_agent']) else 'unknown phone'}) "
                    f"while its usual phone ({usual_ua or 'unknown'}) was registered from "
                    f"{usual['source']}: if the customer does not recognise the second device, "
                    "its SIP password has leaked."
                ),
                action=f"{RESET_PASSWORD} immediately unless the customer recognises the device",
                extension=str(extension),
                source=str(row["source"]),
                first_seen=usual["ts"],
                last_seen=row["ts"],
                evidence=[*split_evidence([usual["evidence"]]), *split_evidence([row["evidence"]])],
            )
            break


def _site(source: object, policy: DiagnosisPolicy) -> str | None:
    """The public site of a source; private addresses are one unknown 'local' site."""
    if is_private(source, policy.private_networks):
        return None
    return site_of(source, policy.leak_network_prefix_v4, policy.leak_network_prefix_v6)


def _ua(agent: object) -> str:
    """User-Agent product without version: 'Yealink SIP-T46S 66.85.0.5' -> 'yealink'."""
    if not present(agent):
        return ""
    return str(agent).split("/")[0].split()[0].lower()


def _valid_until(rows: pd.DataFrame, policy: DiagnosisPolicy) -> pd.Timestamp:
    last = rows.iloc[-1]
    granted = last["granted_expires"]
    if present(granted) and int(granted) > 0:
        return pd.Timestamp(last["ts"]) + pd.Timedelta(seconds=int(granted))
    return pd.Timestamp(last["ts"]) + policy.leak_overlap


def _over(rows: pd.DataFrame, word: str = "over") -> str:
    span = _span(rows)
    return f" {word} {fmt_duration(span)}" if span >= pd.Timedelta(seconds=1) else ""


def _span(rows: pd.DataFrame) -> pd.Timedelta:
    return pd.Timedelta(rows["ts"].max() - rows["ts"].min())


def _names(items: list[str], limit: int = 5) -> str:
    if len(items) <= limit:
        return ", ".join(items)
    return ", ".join(items[:limit]) + f" and {len(items) - limit} more"
