"""SIP client transactions from the messages table: each request with its final answer.

Strategy: a transaction is keyed by (source file, Call-ID, CSeq number, CSeq
method); copies of the request are retransmissions, the first response with a
status >= 200 is the final answer.  What the server wrote into the top Via of
its responses (``received``, ``rport``) is kept: it is the address the platform
saw the request come from, which is what the NAT tests compare against when
the capture was taken on the phone's side of the NAT.  Pure function of the
``messages`` frame; the derived ``registrations`` table covers REGISTER only,
the security and NAT rules need every method.
"""

from __future__ import annotations

import os

import pandas as pd

from pbxlab.analysis.findings.model import present

KEY = ["source_file", "call_id", "cseq_num", "cseq_method"]

TRANSACTION_COLUMNS = [
    "ts",
    "source_file",
    "frame",
    "call_id",
    "method",
    "src",
    "sport",
    "dst",
    "dport",
    "transport",
    "from_user",
    "to_user",
    "request_uri",
    "contact",
    "contacts",
    "contact_count",
    "expires",
    "contact_expires",
    "via_host",
    "via_port",
    "via_rport",
    "sdp_connection",
    "user_agent",
    "auth",
    "auth_user",
    "branch",
    "copies",
    "status",
    "answered_ts",
    "answer_frame",
    "answer_contacts",
    "answer_contact_count",
    "answer_contact_expires",
    "answer_expires",
    "received",
    "rport",
    "evidence",
]

_READ = {*KEY, *TRANSACTION_COLUMNS, "is_request", "via_received"}


def transactions(messages: pd.DataFrame) -> pd.DataFrame:
    """One row per client transaction found in ``messages`` (MESSAGES schema).

    Columns: the first request's fields, ``copies`` (transmissions seen),
    ``status`` / ``answered_ts`` / ``answer_frame`` of the final response (NA when
    none), the final response's Contact list and expiry, ``received`` / ``rport``
    (what the server's responses recorded in the top Via) and ``evidence``
    (request and answer frames).  A request no response matches by Call-ID is
    still answered by a final response with its branch and CSeq method sent back
    to its source (RFC 3261 §17.1.3 matching).  Requests without Call-ID or CSeq are skipped
    (the parser reports them in ``parse_error``).
    """
    # only the columns read: sorting and grouping a wide Arrow-backed frame copies them all
    usable = messages[[c for c in messages.columns if c in _READ]]
    usable = usable.dropna(subset=["call_id", "cseq_num", "cseq_method"])
    usable = usable.assign(source_file=usable["source_file"].astype("string").fillna(""))
    requests = usable[usable["is_request"].fillna(False).astype(bool)]
    requests = requests[
        requests["method"].astype("string") == requests["cseq_method"].astype("string")
    ]
    if requests.empty:
        return pd.DataFrame({c: pd.Series([], dtype="object") for c in TRANSACTION_COLUMNS})
    requests = requests.assign(
        method=requests["method"].astype("string"),
        cseq_method=requests["cseq_method"].astype("string"),
    )
    grouped = requests.sort_values("ts", kind="stable").groupby(KEY, sort=False, dropna=False)
    first = grouped.head(1).set_index(KEY)
    first["copies"] = grouped.size()
    responses = usable[~usable["is_request"].fillna(False).astype(bool)]
    responses = responses.assign(cseq_method=responses["cseq_method"].astype("string"))
    final = responses[responses["status"].fillna(0).astype(int) >= 200]
    final = final.sort_values("ts", kind="stable").groupby(KEY, sort=False).head(1).set_index(KEY)
    via = responses.dropna(subset=["via_received"]).groupby(KEY, sort=False).head(1)
    via = via.set_index(KEY)
    rport = responses[responses["via_rport"].fillna("").astype(str) != ""]
    rport = rport.groupby(KEY, sort=False).head(1).set_index(KEY)

    out = first.copy()
    out["status"] = final["status"].reindex(out.index)
    out["answered_ts"] = final["ts"].reindex(out.index)
    out["answer_frame"] = final["frame"].reindex(out.index)
    out["answer_contacts"] = final["contacts"].reindex(out.index)
    out["answer_contact_count"] = final["contact_count"].reindex(out.index)
    out["answer_contact_expires"] = final["contact_expires"].reindex(out.index)
    out["answer_expires"] = final["expires"].reindex(out.index)
    out["received"] = via["via_received"].reindex(out.index)
    out["rport"] = rport["via_rport"].reindex(out.index)
    out = out.reset_index()
    _match_by_branch(out, final)
    out["evidence"] = _evidence(out["source_file"], out["frame"], out["answer_frame"])
    return out[TRANSACTION_COLUMNS].sort_values("ts", kind="stable").reset_index(drop=True)


def _evidence(files: pd.Series, requests: pd.Series, answers: pd.Series) -> list[str]:
    """'file:frame N;file:frame M' per row (the answer only when there is one)."""
    names = {f: os.path.basename(str(f)) for f in files.unique()}
    out = []
    # whole columns to Python objects first: iterating Arrow-backed values one by one is slow
    columns = (c.to_numpy(dtype=object) for c in (files, requests, answers))
    for file, request, answer in zip(*columns, strict=True):
        name = names[file]
        parts = [f"{name}:frame {int(n)}" for n in (request, answer) if present(n)]
        out.append(";".join(parts))
    return out


def _match_by_branch(out: pd.DataFrame, final: pd.DataFrame) -> None:
    """Answer still-unanswered requests by top-Via branch and CSeq method, sent back to
    the requester (RFC 3261 §17.1.3 matches client transactions so, not by Call-ID;
    attack tools reuse a branch across Call-IDs)."""
    pending = out["status"].isna() & out["branch"].notna()
    if not pending.any() or final.empty:
        return
    answers = final.reset_index().dropna(subset=["branch"])
    key = ["source_file", "branch", "cseq_method", "address"]
    # the first final answer per key (in time order), as a dict lookup would keep it
    answers = pd.DataFrame(
        {
            "source_file": answers["source_file"].astype(str),
            "branch": answers["branch"].astype(str),
            "cseq_method": answers["cseq_method"].astype(str),
            "address": answers["dst"].astype(str),
            "_status": answers["status"],
            "_ts": answers["ts"],
            "_frame": answers["frame"],
        }
    ).drop_duplicates(subset=key, keep="first")
    rows = out.loc[pending]
    asked = pd.DataFrame(
        {
            "source_file": rows["source_file"].astype(str),
            "branch": rows["branch"].astype(str),
            "cseq_method": rows["cseq_method"].astype(str),
            "address": rows["src"].astype(str),
            "_index": rows.index,
            "_asked": rows["ts"],
        }
    )
    matched = asked.merge(answers, on=key, how="inner")
    matched = matched[matched["_ts"] >= matched["_asked"]]
    if matched.empty:
        return
    matched = matched.set_index("_index")
    out.loc[matched.index, "status"] = matched["_status"]
    out.loc[matched.index, "answered_ts"] = matched["_ts"]
    out.loc[matched.index, "answer_frame"] = matched["_frame"]


def observed_address(
    received: object, src: object, rport: object, sport: object
) -> tuple[str | None, int | None]:
    """Where the platform saw a request come from: the Via ``received``/``rport`` its
    response recorded, else the packet's source address and port."""
    host = str(received) if isinstance(received, str) and received else None
    if host is None and isinstance(src, str):
        host = src
    port: int | None = None
    if isinstance(rport, str) and rport.isdigit():
        port = int(rport)
    elif host == src and sport is not None and not pd.isna(sport):  # type: ignore[call-overload]
        port = int(sport)  # type: ignore[call-overload]
    return host, port
