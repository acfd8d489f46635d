"""REGISTER transactions and their outcomes: the ``registrations`` table.

Strategy: a REGISTER transaction is identified by Call-ID, CSeq number and
the top-Via branch (RFC 3261 17.2.3; the sender's ip:port stands in for the
branch of RFC 2543 peers that send none).  Copies of the request with the
same key are retransmissions.  Responses are matched on the same key; the
first final (>= 200) response decides the result:

- 2xx -> ``ok``; the granted expiry is the ``expires`` parameter of this
  request's contact in the 200 OK Contact list (RFC 3261 10.3 step 8: the
  registrar returns every current binding with its expiry, which is
  authoritative), else the response's Expires header, else what was asked;
- 401/407 -> ``auth_failed`` when the request carried credentials computed
  for a challenge to the previous REGISTER of the same Call-ID (they were
  refused), else
  ``challenged`` (no credentials yet, or cached/empty ones such as an IMS
  client's first REGISTER or a stale nonce: the normal first leg of a login);
- 403 -> ``forbidden``; any other 3xx-6xx -> ``error``;
- none within Timer F (32 s), or before the evidence ends -> ``timeout``.

A challenged REGISTER followed by the same phone's re-sent REGISTER with
credentials shows up as two rows (``challenged`` then ``ok``), in time order,
which is how a support engineer reads a SIP ladder.

The matching works on whole columns: each message's key becomes one integer
(:func:`pbxlab.analysis.sipvalues.key_codes`), a transaction's first copy and
copy count come from ``np.unique``, and its final answer is the first final
response of the same key after it (``np.searchsorted`` on key-then-position).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import numpy as np
import pandas as pd

from pbxlab.analysis.sipvalues import (
    TIMER_F,
    ListedContact,
    contact_key,
    endpoint_values,
    evidence_ref,
    join_evidence,
    key_codes,
    listed_contacts,
    python_values,
    utc_column,
)
from pbxlab.tables import REGISTRATIONS

__all__ = ["RegisterTransaction", "RegistrationPolicy", "register_transactions", "registrations"]


@dataclass(frozen=True)
class RegistrationPolicy:
    """Thresholds for judging REGISTER transactions.

    ``transaction_timeout``: a REGISTER without a final response this long
    after its first transmission has timed out -- RFC 3261 Timer F (64*T1 =
    32 s), after which the phone itself gives up and retries.
    """

    transaction_timeout: pd.Timedelta = TIMER_F


@dataclass
class RegisterTransaction:
    """One REGISTER transaction as seen on the wire (what a registrations row is built from)."""

    ts: pd.Timestamp
    extension: str | None
    domain: str | None
    contact: str | None
    source: str | None
    requested_expires: int | None
    user_agent: str | None
    auth: bool
    auth_user: str | None
    call_id: str | None
    cseq_num: int | None
    source_file: str | None
    request_frame: int | None
    copies: int = 1
    final_ts: pd.Timestamp | None = None
    final_status: int | None = None
    final_frame: int | None = None
    final_expires: int | None = None
    listed: list[ListedContact] = field(default_factory=list)
    answers_challenge: bool = False

    @property
    def is_unregister(self) -> bool:
        """Removes bindings: ``Contact: *`` or an expiry of 0 asked for."""
        return self.contact == "*" or self.requested_expires == 0

    def result(self) -> str:
        """ok / challenged / auth_failed / forbidden / timeout / error (see module doc).

        Without a final response the transaction timed out: either Timer F
        passed, or the evidence ended first and nothing says it was answered.
        """
        status = self.final_status
        if status is None:
            return "timeout"
        if 200 <= status < 300:
            return "ok"
        if status in (401, 407):
            return "auth_failed" if self.auth and self.answers_challenge else "challenged"
        if status == 403:
            return "forbidden"
        return "error"

    def granted_expires(self) -> int | None:
        """Expiry granted to this request's contact (see module doc); None unless ok."""
        if self.final_status is None or not 200 <= self.final_status < 300:
            return None
        if self.is_unregister:
            return 0
        own = contact_key(self.contact)
        if own is not None and self.listed:
            keys = [contact_key(entry.uri) for entry in self.listed]
            for entry, key in zip(self.listed, keys, strict=True):
                if key == own and entry.expires is not None:
                    return entry.expires
            if own not in keys:
                # the registrar answered with the AOR's bindings and ours is not among them
                return 0
        if self.final_expires is not None:
            return self.final_expires
        return self.requested_expires


# what a request and its final answer tell
_REQUEST_COLUMNS = ["ts", "to_user", "to_host", "contact", "src", "sport", "contact_expires"]
_REQUEST_COLUMNS += ["expires", "user_agent", "auth", "auth_user", "call_id", "cseq_num"]
_REQUEST_COLUMNS += ["source_file", "frame"]
_ANSWER_COLUMNS = ["ts", "status", "frame", "expires", "contacts"]


def register_transactions(
    messages: pd.DataFrame, policy: RegistrationPolicy | None = None
) -> list[RegisterTransaction]:
    """The REGISTER transactions of a ``messages`` table, in order of first transmission.

    Final responses arriving later than ``policy.transaction_timeout`` after
    the request are ignored (the phone has given up by then).
    """
    policy = policy or RegistrationPolicy()
    is_register = (messages["method"] == "REGISTER") & messages["is_request"]
    is_answer = (messages["cseq_method"] == "REGISTER") & ~messages["is_request"]
    rows = np.flatnonzero((is_register | is_answer).to_numpy(dtype=bool, na_value=False))
    if not len(rows):
        return []
    # positions in messages of the REGISTERs and their answers, in time order
    ts = messages["ts"].to_numpy(dtype="datetime64[ns]").view(np.int64)[rows]
    order = np.argsort(ts, kind="stable")
    rows, ts = rows[order], ts[order]
    is_request = messages["is_request"].to_numpy(dtype=bool, na_value=False)[rows]
    codes = _transaction_codes(messages, rows, is_request)
    first, copies = _first_copies(codes, is_request)
    status = messages["status"].to_numpy(dtype=np.int64, na_value=0)[rows]
    final = _final_responses(codes, first, status >= 200, is_request)
    late = ts[np.maximum(final, 0)] - ts[first] > policy.transaction_timeout.value
    final = np.where(late, -1, final)
    answered = final >= 0

    requests = messages[_REQUEST_COLUMNS].take(rows[first])
    answers = messages[_ANSWER_COLUMNS].take(rows[final[answered]])
    requested = requests["contact_expires"].where(
        requests["contact_expires"].notna(), requests["expires"]
    )
    final_status = _spread(answered, python_values(answers["status"]))
    status_code = np.zeros(len(first), dtype=np.int64)
    status_code[answered] = answers["status"].to_numpy(dtype=np.int64, na_value=0)
    call_codes = pd.factorize(requests["call_id"])[0]
    challenged = _previous_in_group(call_codes, np.isin(status_code, (401, 407)))
    listed: list[list[ListedContact]] = [[] for _ in first]
    for position, contacts in zip(
        np.flatnonzero(answered).tolist(), python_values(answers["contacts"]), strict=True
    ):
        listed[position] = listed_contacts(contacts)
    # positional, in the order the dataclass declares its fields
    return [
        RegisterTransaction(*fields)
        for fields in zip(
            python_values(requests["ts"]),
            python_values(requests["to_user"]),
            python_values(requests["to_host"]),
            python_values(requests["contact"]),
            endpoint_values(requests["src"], requests["sport"]),
            python_values(requested),
            python_values(requests["user_agent"]),
            requests["auth"].to_numpy(dtype=bool, na_value=False).tolist(),
            python_values(requests["auth_user"]),
            python_values(requests["call_id"]),
            python_values(requests["cseq_num"]),
            python_values(requests["source_file"]),
            python_values(requests["frame"]),
            copies.tolist(),
            _spread(answered, python_values(answers["ts"])),
            final_status,
            _spread(answered, python_values(answers["frame"])),
            _spread(answered, python_values(answers["expires"])),
            listed,
            challenged.tolist(),
            strict=True,
        )
    ]


def _transaction_codes(
    messages: pd.DataFrame, rows: np.ndarray, is_request: np.ndarray
) -> np.ndarray:
    """One integer per message of ``rows``: its transaction key (Call-ID, CSeq, top-Via branch).

    Without a branch the phone's address stands in: the sender of a request,
    the receiver of a response.
    """
    via = messages["branch"].take(rows)
    unbranched = np.flatnonzero((via.fillna("") == "").to_numpy(dtype=bool))
    if len(unbranched):
        at, request = rows[unbranched], is_request[unbranched]
        ip = messages["src"].take(at).where(request, messages["dst"].take(at))
        port = messages["sport"].take(at).where(request, messages["dport"].take(at))
        values = python_values(via)
        values[unbranched] = endpoint_values(ip, port)
        via = pd.Series(values)
    return key_codes(messages["call_id"].take(rows), messages["cseq_num"].take(rows), via)


def _first_copies(codes: np.ndarray, is_request: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Positions of each transaction's first request, in order, and its number of copies."""
    positions = np.flatnonzero(is_request)
    _, first, copies = np.unique(codes[positions], return_index=True, return_counts=True)
    order = np.argsort(first, kind="stable")
    return positions[first[order]], copies[order]


def _final_responses(
    codes: np.ndarray, first: np.ndarray, final: np.ndarray, is_request: np.ndarray
) -> np.ndarray:
    """Per transaction, the position of the first final response after its request (-1: none)."""
    positions = np.flatnonzero(~is_request & final)
    if not len(positions):
        return np.full(len(first), -1, dtype=np.int64)
    width = len(codes) + 1
    # a response's place: its transaction, then its position (sorted: positions ascend)
    places = np.sort(codes[positions].astype(np.int64) * width + positions)
    found = np.searchsorted(places, codes[first].astype(np.int64) * width + first, side="right")
    candidate = places[np.minimum(found, len(places) - 1)]
    matches = (found < len(places)) & (candidate // width == codes[first])
    return np.where(matches, candidate % width, -1)


def _previous_in_group(groups: np.ndarray, flags: np.ndarray) -> np.ndarray:
    """Per element, ``flags`` of the previous element of the same group (False for a first)."""
    order = np.argsort(groups, kind="stable")
    same = groups[order][1:] == groups[order][:-1]
    previous = np.zeros(len(groups), dtype=bool)
    previous[order[1:][same]] = flags[order[:-1][same]]
    return previous


def _spread(mask: np.ndarray, values: np.ndarray) -> list[Any]:
    """``values`` at the True places of ``mask``, None elsewhere (Python objects)."""
    spread = np.full(len(mask), None, dtype=object)
    spread[mask] = values
    return spread.tolist()


def registrations(messages: pd.DataFrame, policy: RegistrationPolicy | None = None) -> pd.DataFrame:
    """The REGISTRATIONS table (one row per REGISTER transaction) of a ``messages`` table.

    Returns an empty REGISTRATIONS frame when there are no REGISTERs; never raises
    on odd messages (missing fields give None columns).
    """
    return registrations_table(register_transactions(messages, policy))


def registrations_table(transactions: list[RegisterTransaction]) -> pd.DataFrame:
    """The REGISTRATIONS table of already collected transactions."""
    if not transactions:
        return REGISTRATIONS.empty()
    rows = [
        (
            t.extension,
            t.domain,
            t.contact,
            t.source,
            t.requested_expires,
            t.granted_expires(),
            t.result(),
            t.final_status,
            t.user_agent,
            t.auth_user,
            t.call_id,
            t.cseq_num,
            t.copies - 1,
            t.source_file,
            _evidence(t),
        )
        for t in transactions
    ]
    # lists, not tuples: the schema converts a list of text to Arrow at once
    columns: dict[str, Any] = {
        name: list(values)
        for name, values in zip(_TABLE_COLUMNS, zip(*rows, strict=True), strict=True)
    }
    columns["ts"] = utc_column([t.ts.value for t in transactions])
    columns["answered_ts"] = utc_column(
        [None if t.final_ts is None else t.final_ts.value for t in transactions]
    )
    return REGISTRATIONS.build(columns)


def _evidence(t: RegisterTransaction) -> str | None:
    """The frames (or lines) of the request and of its final answer."""
    if t.final_frame is None or t.final_frame == t.request_frame:
        return evidence_ref(t.source_file, t.request_frame)
    return join_evidence(
        evidence_ref(t.source_file, t.request_frame), evidence_ref(t.source_file, t.final_frame)
    )


_TABLE_COLUMNS = [
    "extension",
    "domain",
    "contact",
    "source",
    "requested_expires",
    "granted_expires",
    "result",
    "status",
    "user_agent",
    "auth_user",
    "call_id",
    "cseq_num",
    "retransmissions",
    "source_file",
    "evidence",
]
