"""MULTIPLE_PHONES: more than one contact registered on one extension (information).

Strategy and rule: the registrar's own word comes first -- a 200 OK to a
REGISTER lists every contact bound to the AOR (RFC 3261 §10.3), so a list of
two or more is MULTIPLE_PHONES; otherwise the ``bindings`` table is swept for
the largest number of contacts bound at the same moment.  Two phones on one
extension are allowed (the guide: a desk phone and a softphone both ring), so
the finding is ``info``.  When every contact has the same host and only the
ports differ, the summary says they are probably stale bindings left by a
restarting app (each restart registers from a new port and the old binding
lingers until it expires) -- then the lower expiries show which are old.
"""

from __future__ import annotations

import re

import numpy as np
import pandas as pd

from pbxlab.analysis.findings.model import (
    REBOOT,
    Finding,
    mid_sentence,
    plain,
    plural,
    present,
    split_evidence,
    uri_hostport,
)
from pbxlab.analysis.findings.policy import DiagnosisPolicy

_URI = re.compile(r"<([^>]+)>")
_ACTION_OK = "None needed if the customer uses several phones on this extension (both ring)"
_ACTION_STALE = (
    f"None needed if each of these phones is in use; otherwise {mid_sentence(REBOOT)} that keeps "
    "re-registering from new ports, or let the stale bindings expire"
)


def contact_uris(contacts: object) -> list[str]:
    """The URIs of a Contact header value listing several contacts."""
    if not present(contacts):
        return []
    text = str(contacts)
    found = _URI.findall(text)
    if found:
        return [str(u) for u in found]
    return [part.strip().split(";", 1)[0] for part in text.split(",") if part.strip()]


def classify(tx: pd.DataFrame, bindings: pd.DataFrame, policy: DiagnosisPolicy) -> list[Finding]:
    """MULTIPLE_PHONES findings from REGISTER transactions (see transactions.py) and
    the ``bindings`` table."""
    findings: dict[str, Finding] = {}
    if not tx.empty:
        lists = tx[
            (tx["method"] == "REGISTER")
            & tx["status"].fillna(0).astype(int).between(200, 299)
            & (tx["answer_contact_count"].fillna(0).astype(int) >= 2)
        ]
        for extension, rows in lists.groupby("to_user", sort=True):
            widest = rows.iloc[int(rows["answer_contact_count"].astype(int).to_numpy().argmax())]
            uris = contact_uris(widest["answer_contacts"])
            findings[str(extension)] = _finding(
                str(extension),
                uris,
                "the registrar listed",
                rows["ts"].min(),
                rows["ts"].max(),
                split_evidence(rows["evidence"]),
            )
    findings.update({k: v for k, v in _from_bindings(bindings).items() if k not in findings})
    return [findings[k] for k in sorted(findings)]


def _from_bindings(bindings: pd.DataFrame) -> dict[str, Finding]:
    """Per extension, the first binding at whose start the most contacts (>= 2) were
    bound; the finding lists those contacts."""
    usable = bindings[bindings["extension"].notna() & bindings["contact"].notna()]
    usable = usable[usable.groupby("extension")["contact"].transform("nunique") >= 2]
    if usable.empty:
        return {}
    rows = pd.DataFrame(
        {
            "extension": usable["extension"].astype(str).to_numpy(),
            "row": np.arange(len(usable)),
            "start": usable["start"].to_numpy(),
            "end": usable["end"].to_numpy(),
            "contact": usable["contact"].astype(str).to_numpy(),
        }
    )
    # every binding paired with the bindings of its extension valid at its start
    pairs = rows[["extension", "row", "start"]].merge(
        rows.rename(columns={"row": "other", "start": "other_start"}), on="extension"
    )
    pairs = pairs[(pairs["other_start"] <= pairs["start"]) & (pairs["end"] > pairs["start"])]
    width = pairs.groupby("row")["contact"].nunique().rename("width")
    widths = rows.set_index("row")["extension"].to_frame().join(width)
    widths = widths[widths["width"] >= 2].reset_index()
    if widths.empty:
        return {}
    chosen = widths.loc[widths.groupby("extension", sort=True)["width"].idxmax(), "row"]
    out: dict[str, Finding] = {}
    for row in chosen:
        others = pairs.loc[pairs["row"] == row, "other"].sort_values().to_numpy()
        best = usable.iloc[others]
        extension = str(rows.at[int(row), "extension"])
        out[extension] = _finding(
            extension,
            list(dict.fromkeys(str(c) for c in best["contact"])),
            "it had",
            best["start"].min(),
            best["end"].max(),
            split_evidence(best["evidence"]),
        )
    return out


def _finding(
    extension: str,
    uris: list[str],
    who: str,
    first: pd.Timestamp,
    last: pd.Timestamp,
    evidence: list[str],
) -> Finding:
    hosts = {uri_hostport(u)[0] for u in uris}
    stale = len(hosts) == 1
    shown = ", ".join(uris[:4]) + (f" and {len(uris) - 4} more" if len(uris) > 4 else "")
    note = (
        "; all on one host with different ports, so probably one phone plus stale bindings "
        "from its restarts"
        if stale
        else ""
    )
    return Finding(
        code="MULTIPLE_PHONES",
        severity="info",
        summary=(
            f"Extension {plain(extension)} has {plural(len(uris), 'phone')} registered at once "
            f"({who} {shown}){note}; all of them ring on incoming calls."
        ),
        action=_ACTION_STALE if stale else _ACTION_OK,
        extension=extension,
        first_seen=first,
        last_seen=last,
        evidence=evidence,
    )
