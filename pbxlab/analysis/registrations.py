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
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pbxlab.analysis.sipvalues import (
    TIMER_F,
    ListedContact,
    contact_key,
    endpoint,
    evidence_ref,
    join_evidence,
    listed_contacts,
    present,
    records,
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
        for entry in self.listed:
            if own is not None and contact_key(entry.uri) == own and entry.expires is not None:
                return entry.expires
        if self.listed and own is not None and all(contact_key(e.uri) != own for e in self.listed):
            # the registrar answered with the AOR's bindings and ours is not among them
            return 0
        if self.final_expires is not None:
            return self.final_expires
        return self.requested_expires


_REGISTER_COLUMNS = (
    "ts",
    "frame",
    "source_file",
    "src",
    "sport",
    "dst",
    "dport",
    "is_request",
    "status",
    "call_id",
    "cseq_num",
    "to_user",
    "to_host",
    "contact",
    "contact_expires",
    "contacts",
    "expires",
    "branch",
    "user_agent",
    "auth",
    "auth_user",
)


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
    frame = messages.loc[is_register | is_answer, list(_REGISTER_COLUMNS)]
    frame = frame.sort_values("ts", kind="stable")
    transactions: dict[tuple[Any, ...], RegisterTransaction] = {}
    for row in records(frame):
        call_id, cseq = present(row.call_id), present(row.cseq_num)
        if row.is_request:
            key = (call_id, cseq, present(row.branch) or endpoint(row.src, row.sport))
            known = transactions.get(key)
            if known is not None:
                known.copies += 1
                continue
            contact = present(row.contact)
            requested = present(row.contact_expires)
            if requested is None:
                requested = present(row.expires)
            transactions[key] = RegisterTransaction(
                ts=row.ts,
                extension=present(row.to_user),
                domain=present(row.to_host),
                contact=contact,
                source=endpoint(present(row.src), present(row.sport)),
                requested_expires=None if requested is None else int(requested),
                user_agent=present(row.user_agent),
                auth=bool(row.auth),
                auth_user=present(row.auth_user),
                call_id=call_id,
                cseq_num=None if cseq is None else int(cseq),
                source_file=present(row.source_file),
                request_frame=present(row.frame),
            )
            continue
        status = present(row.status)
        if status is None or int(status) < 200:
            continue
        key = (call_id, cseq, present(row.branch) or endpoint(row.dst, row.dport))
        transaction = transactions.get(key)
        if transaction is None or transaction.final_status is not None:
            continue  # a response to a request we did not see, or a retransmitted final
        if row.ts - transaction.ts > policy.transaction_timeout:
            continue
        transaction.final_ts = row.ts
        transaction.final_status = int(status)
        transaction.final_frame = present(row.frame)
        expires = present(row.expires)
        transaction.final_expires = None if expires is None else int(expires)
        transaction.listed = listed_contacts(present(row.contacts))
    ordered = sorted(transactions.values(), key=lambda t: t.ts)
    last_status: dict[Any, int | None] = {}
    for transaction in ordered:
        # credentials answer a challenge when the previous REGISTER of this Call-ID got one
        transaction.answers_challenge = last_status.get(transaction.call_id) in (401, 407)
        last_status[transaction.call_id] = transaction.final_status
    return ordered


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
    return REGISTRATIONS.build(
        {
            "ts": [t.ts for t in transactions],
            "extension": [t.extension for t in transactions],
            "domain": [t.domain for t in transactions],
            "contact": [t.contact for t in transactions],
            "source": [t.source for t in transactions],
            "requested_expires": [t.requested_expires for t in transactions],
            "granted_expires": [t.granted_expires() for t in transactions],
            "result": [t.result() for t in transactions],
            "status": [t.final_status for t in transactions],
            "user_agent": [t.user_agent for t in transactions],
            "auth_user": [t.auth_user for t in transactions],
            "call_id": [t.call_id for t in transactions],
            "cseq_num": [t.cseq_num for t in transactions],
            "retransmissions": [t.copies - 1 for t in transactions],
            "answered_ts": [t.final_ts for t in transactions],
            "source_file": [t.source_file for t in transactions],
            "evidence": [
                join_evidence(
                    evidence_ref(t.source_file, t.request_frame),
                    evidence_ref(t.source_file, t.final_frame),
                )
                for t in transactions
            ],
        }
    )
