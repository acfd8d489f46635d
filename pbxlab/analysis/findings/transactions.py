"""SIP client transactions from the messages table: each request with its final answer.

Strategy: a transaction is keyed by (source file, Call-ID, CSeq number, CSeq
method); copies of the request are retransmissions, the first response with a
status >= 200 is the final answer.  What the server wrote into the top Via of
its responses (``received``, ``rport``) is kept: it is the address the platform
saw the request come from, which is what the NAT tests compare against when
the capture was taken on the phone's side of the NAT.  Pure function of the
``messages`` frame; the derived ``registrations`` table covers REGISTER only,
the security and NAT rules need every method.

The table is built from whole columns, never by grouping the wide Arrow-backed
frame: the key is one integer per message (its four columns factorised and
combined), first transmissions and final answers are positions found by a
stable sort on time and the first occurrence of each key, and the request and
answer fields are taken at those positions once.
"""

from __future__ import annotations

import os

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

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

# the request's own fields, copied from its first transmission
_REQUEST_COLUMNS = [c for c in TRANSACTION_COLUMNS[: TRANSACTION_COLUMNS.index("copies")]]
# the final answer's fields: (transaction column, message column)
_ANSWER_COLUMNS = [
    ("status", "status"),
    ("answered_ts", "ts"),
    ("answer_frame", "frame"),
    ("answer_contacts", "contacts"),
    ("answer_contact_count", "contact_count"),
    ("answer_contact_expires", "contact_expires"),
    ("answer_expires", "expires"),
]


def transactions(messages: pd.DataFrame) -> pd.DataFrame:
    """One row per client transaction found in ``messages`` (MESSAGES schema).

    Columns: the first request's fields, ``copies`` (transmissions seen),
    ``status`` / ``answered_ts`` / ``answer_frame`` of the final response (NA when
    none), the final response's Contact list and expiry, ``received`` / ``rport``
    (what the server's responses recorded in the top Via) and ``evidence``
    (request and answer frames), in time order.  A request no response matches by
    Call-ID is still answered by a final response with its branch and CSeq method
    sent back to its source (RFC 3261 §17.1.3 matching).  Requests without Call-ID
    or CSeq are skipped (the parser reports them in ``parse_error``).
    """
    # whole columns as integer keys and positions: grouping, sorting and re-indexing
    # the wide Arrow-backed frame would copy every column several times
    messages = messages.reset_index(drop=True)
    usable = (
        messages["call_id"].notna() & messages["cseq_num"].notna() & messages["cseq_method"].notna()
    ).to_numpy(dtype=bool)
    is_request = messages["is_request"].fillna(False).astype(bool).to_numpy(dtype=bool)
    key = _transaction_keys(messages, usable)
    stamps = messages["ts"].to_numpy(dtype="datetime64[ns]")
    asked = np.flatnonzero(usable & is_request)
    asked = asked[_same_method(messages, asked)]
    if not len(asked):
        return pd.DataFrame({c: pd.Series([], dtype="object") for c in TRANSACTION_COLUMNS})
    # each transaction's first transmission, in time order (the table's order)
    asked = asked[np.argsort(stamps[asked], kind="stable")]
    first = np.sort(np.unique(key[asked], return_index=True)[1])
    first_rows = asked[first]
    copies = np.bincount(key[asked], minlength=len(key))[key[first_rows]]
    responses = usable & ~is_request
    status = messages["status"].fillna(0).astype(int).to_numpy()
    final = np.flatnonzero(responses & (status >= 200))
    final = final[np.argsort(stamps[final], kind="stable")]
    final = final[np.sort(np.unique(key[final], return_index=True)[1])]
    # the first response (in capture order) that recorded received / rport
    received = np.flatnonzero(responses & messages["via_received"].notna().to_numpy(dtype=bool))
    rport_given = messages["via_rport"].notna() & (messages["via_rport"] != "")
    rport = np.flatnonzero(responses & rport_given.to_numpy(dtype=bool))

    wanted = key[first_rows]
    out = messages[_REQUEST_COLUMNS].take(first_rows).reset_index(drop=True)
    out = out.assign(
        source_file=_text(messages["source_file"], first_rows).fillna(""),
        method=_text(messages["method"], first_rows),
    )
    if not isinstance(out["call_id"].dtype, pd.api.extensions.ExtensionDtype):
        # typed as a grouping key is (an Index infers str from Python strings)
        out["call_id"] = pd.Index(out["call_id"].to_numpy()).to_numpy()
    out["copies"] = copies
    answer = _first_of(key, final, wanted)
    for column, source in _ANSWER_COLUMNS:
        out[column] = _pick(messages[source], answer)
    out["received"] = _pick(messages["via_received"], _first_of(key, received, wanted))
    out["rport"] = _pick(messages["via_rport"], _first_of(key, rport, wanted))
    _match_by_branch(out, messages, first_rows, final)
    out["evidence"] = _evidence(out["source_file"], out["frame"], out["answer_frame"])
    return out


def _transaction_keys(messages: pd.DataFrame, usable: np.ndarray) -> np.ndarray:
    """Per message, a dense integer code of its (source file, Call-ID, CSeq number,
    CSeq method); equal codes exactly where the KEY values are equal (meaningful on
    the ``usable`` rows only)."""
    # the file name and the CSeq method compare as text, a missing file name as ''
    codes = _codes(messages["source_file"], as_text=True)
    for column in KEY[1:]:
        more = _codes(messages[column], as_text=column == "cseq_method")
        codes = pd.factorize(codes * (int(more.max(initial=0)) + 1) + more)[0]
    return np.where(usable, codes, -1)


def _is_categorical(values: pd.Series) -> bool:
    return isinstance(values.dtype, pd.CategoricalDtype)


def _codes(values: pd.Series, *, as_text: bool) -> np.ndarray:
    """Non-negative integer codes, equal where the values are equal (``as_text``:
    where they read the same as strings, a missing value as '')."""
    if not _is_categorical(values):
        if as_text:
            values = values.astype("string").fillna("")
        return pd.factorize(values)[0].astype(np.int64) + 1  # missing (-1) becomes 0
    # categories: their codes, merged where two categories read the same
    names = pd.Series(values.cat.categories).astype("string").fillna("")
    merged = pd.factorize(pd.concat([names, pd.Series([""], dtype="string")]))[0]
    return merged[values.cat.codes.to_numpy()].astype(np.int64)  # code -1: the last, ''


def _same_method(messages: pd.DataFrame, rows: np.ndarray) -> np.ndarray:
    """Whether each request of ``rows`` has the method its CSeq names (as text)."""
    method, cseq = messages["method"], messages["cseq_method"]
    if _is_categorical(method) and _is_categorical(cseq):
        # the few categories compared as text, then their codes (a missing method: -1)
        names = [pd.Series(c.cat.categories).astype("string") for c in (method, cseq)]
        text = pd.factorize(pd.concat(names, ignore_index=True))[0]
        asked = np.append(text[: len(names[0])], -1)[method.cat.codes.to_numpy()[rows]]
        named = np.append(text[len(names[0]) :], -2)[cseq.cat.codes.to_numpy()[rows]]
        return np.asarray(asked == named, dtype=bool)
    asked, named = (c.take(rows).astype("string").reset_index(drop=True) for c in (method, cseq))
    return (asked == named).fillna(False).to_numpy(dtype=bool)


def _first_of(key: np.ndarray, rows: np.ndarray, wanted: np.ndarray) -> np.ndarray:
    """For each key of ``wanted``, the first of ``rows`` (in their order) with that
    key, -1 when none has it."""
    found = np.full(int(key.max()) + 2 if len(key) else 1, -1, dtype=np.int64)
    keys, first = np.unique(key[rows], return_index=True)
    found[keys] = rows[first]
    return np.asarray(found[wanted], dtype=np.int64)


def _pick(column: pd.Series, rows: np.ndarray) -> pd.Series:
    """``column`` (RangeIndex) at ``rows``; missing where the row is -1 (as reindexing
    on a key the answers lack gives)."""
    return column.reindex(pd.Index(rows)).reset_index(drop=True)


def _text(values: pd.Series, rows: np.ndarray) -> pd.Series:
    """``values`` at ``rows`` as the string dtype (a categorical column: its few
    categories converted, not every row)."""
    if not _is_categorical(values):
        return values.take(rows).astype("string").reset_index(drop=True)
    names = pd.Series(values.cat.categories).astype("string").array
    return pd.Series(names.take(values.cat.codes.to_numpy()[rows], allow_fill=True))


def _evidence(files: pd.Series, requests: pd.Series, answers: pd.Series) -> pd.Series:
    """'file:frame N;file:frame M' per row (the answer only when there is one), as
    the ``str`` dtype; built by Arrow string kernels, not row by row."""
    codes, names = pd.factorize(files)
    prefixes = [f"{os.path.basename(str(name))}:frame " for name in names]
    prefix = pa.array([*prefixes, ""]).take(pa.array(codes))  # missing file (-1): ''
    asked, answered = (
        pc.binary_join_element_wise(
            prefix, pc.cast(pa.array(n.astype("Int64").array), pa.string()), ""
        )
        for n in (requests, answers)
    )
    both = pc.binary_join_element_wise(asked, answered, ";")  # null unless both are there
    joined = pc.coalesce(both, asked, answered, pa.scalar(""))
    return pd.Series(pd.arrays.ArrowStringArray(joined)).astype("str")


def _match_by_branch(
    out: pd.DataFrame, messages: pd.DataFrame, asked: np.ndarray, final: np.ndarray
) -> None:
    """Answer still-unanswered requests by top-Via branch and CSeq method, sent back to
    the requester (RFC 3261 §17.1.3 matches client transactions so, not by Call-ID;
    attack tools reuse a branch across Call-IDs).  ``asked`` are the messages of
    ``out``'s rows, ``final`` each transaction's final answer, in time order."""
    pending = out["status"].isna() & out["branch"].notna()
    if not pending.any() or not len(final):
        return
    # only answers that carry a pending request's branch can match (the branch is in the key)
    branches = messages["branch"].take(final).isin(out.loc[pending, "branch"].unique())
    final = final[branches.to_numpy(dtype=bool)]
    if not len(final):
        return
    answers = messages[["source_file", "branch", "cseq_method", "dst", "status", "ts", "frame"]]
    answers = answers.take(final)
    key = ["source_file", "branch", "cseq_method", "address"]
    # the first final answer per key (in time order), as a dict lookup would keep it
    answers = pd.DataFrame(
        {
            "source_file": answers["source_file"].astype("string").fillna("").astype(str),
            "branch": answers["branch"].astype(str),
            "cseq_method": answers["cseq_method"].astype("string").astype(str),
            "address": answers["dst"].astype(str),
            "_status": answers["status"],
            "_ts": answers["ts"],
            "_frame": answers["frame"],
        }
    ).drop_duplicates(subset=key, keep="first")
    rows = out.loc[pending]
    methods = messages["cseq_method"].take(asked[pending.to_numpy(dtype=bool)])
    asked_frame = pd.DataFrame(
        {
            "source_file": rows["source_file"].astype(str),
            "branch": rows["branch"].astype(str),
            "cseq_method": methods.astype("string").astype(str).to_numpy(),
            "address": rows["src"].astype(str),
            "_index": rows.index,
            "_asked": rows["ts"],
        }
    )
    matched = asked_frame.merge(answers, on=key, how="inner")
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
