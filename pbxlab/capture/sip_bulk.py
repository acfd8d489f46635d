"""The ``messages`` columns of a whole batch of SIP messages at once (the common case).

Strategy: parsing message by message in Python costs microseconds per header
line; a capture holds millions.  Here a batch of payloads is joined into one
buffer and numpy finds every message's header block, line breaks and first
colons at once; header names are canonicalised per distinct spelling
(:func:`~pbxlab.capture.sip.message.canonical_header_name`, the parser's own
rule), and the values each column needs are gathered into Arrow string arrays
and taken apart with RE2 patterns (``pyarrow.compute``) that spell out the
same rules as :mod:`.sip.message`, :mod:`.sip.fields` and
:mod:`.message_columns`.

It is deliberately narrow.  A message is *handled* only when every column
can be computed exactly as the per-message parser would: printable-ASCII
header block with CRLF line ends, no folded lines, a colon on every header
line, no body (or ``Content-Length: 0``), and header values in the plain
shapes the patterns cover (no quoted display names, one Contact, no quoted
Via parameters...).  Anything else -- folded or non-ASCII headers, bodies
(SDP), malformed values, URIs carrying a password, whatever would put a
problem in ``parse_error`` -- is left to the exact per-message path, which
:func:`pbxlab.capture.sip_batch.parse_batch` runs for the rows not handled.
Tests assert that both paths give identical frames on every corpus capture
and on generated messages.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import pyarrow as pa
import pyarrow.compute as pc

from pbxlab.capture.message_columns import MAX_COUNT, MESSAGE_COLUMNS
from pbxlab.capture.sip.abnf import COMPACT_FORMS
from pbxlab.capture.sip.message import MAX_START_LINE

BoolArray = npt.NDArray[np.bool_]
IntArray = npt.NDArray[np.int64]

CR, LF, COLON, SP, HTAB = 13, 10, 58, 32, 9
# Bytes by kind: header blocks the patterns are exact for hold printable ASCII and
# tabs (kind 0) and CR LF line ends; any other byte (_OTHER) sends a message to Python.
_CR, _LF, _COLON, _OTHER = 1, 2, 3, 4
_BYTE_KIND = np.full(256, _OTHER, dtype=np.uint8)
_BYTE_KIND[0x20:0x7F] = 0
_BYTE_KIND[HTAB] = 0
_BYTE_KIND[CR], _BYTE_KIND[LF], _BYTE_KIND[COLON] = _CR, _LF, _COLON

_HEADERS = (
    "call-id", "cseq", "from", "to", "contact", "expires", "via", "user-agent", "server",
    "content-type", "content-length", "authorization", "proxy-authorization",
)  # fmt: skip
_HEADER_CODE = {name: code for code, name in enumerate(_HEADERS)}

# -- the patterns (RE2 syntax), each mirroring the Python rule named beside it ---------------

_TOKEN = r"[A-Za-z0-9\-.!%*_+`'~]+"  # abnf.TOKEN
# abnf.STATUS_LINE_RE, tried when the line starts with "SIP/2.0 " (message.parse_message)
_SIP_PREFIX = r"(?i)\ASIP/2\.0 "
_STATUS_LINE = r"(?i)\ASIP/2\.0 (?P<status>[1-6][0-9]{2})(?: (?P<reason>.*))?\z"
_REQUEST_LINE = rf"\A(?P<method>{_TOKEN}) (?P<uri>\S+) (?i:SIP/2\.0)\z"  # abnf.REQUEST_LINE_RE
_CSEQ = rf"\A\s*(?P<num>[0-9]{{1,10}})\s+(?P<method>{_TOKEN})\s*\z"  # abnf.CSEQ_RE
_DIGITS = r"\A\s*[0-9]{1,10}\s*\z"  # abnf.DIGITS_RE
# message_columns._PARTY_RE and _TAG_RE (searched after the first '>', if any)
_PARTY = (
    r"(?i)\A\s*<?\s*(?:sips?|tel):(?:(?P<user>[^@;>?:]*)(?::[^@;>?]*)?@)?"
    r"(?P<host>\[[^\]]*\]|[^:;>?\s]*)"
)
_UP_TO_GT = r"\A[^>]*>"
_TAG = r"(?i);\s*tag\s*=\s*(?P<tag>[^;>,\s]+)"
# fields.parse_name_addr on '"display" <uri>;params' (display without '"' or '\\'),
# then fields.parse_uri (abnf.URI_RE)
_QUOTED_NAME_ADDR = (
    r'\A"[^"\\]*"\s*<\s*(?P<uri>[^<>"]*?)\s*>'
    r'(?P<params>(?:;[^;=\s",<>]+(?:=[^;\s",<>]*)?)*)\z'
)
_URI = (
    r"\A(?P<scheme>sips?|tel|urn|[A-Za-z][A-Za-z0-9+.\-]*):"
    r"(?:(?P<user>[^@;?>]*?)(?::[^@;?>]*)?@)?"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^:;?>]*)"
)
# message_columns._URI_PASSWORD_RE: such values are masked by the exact path
_URI_PASSWORD = r"(?i)(?:sips?|tel):[^:@;>?,\s]*:[^@;>?,\s]*@"
# Parameters the patterns below are exact for: ;name[=value], no blanks, no quotes
# (fields.parse_params on such text splits at every ';').
_PARAM_NAME = r'[^;=\s",<>]+'
_PARAMS = rf'\A(?:;{_PARAM_NAME}(?:=[^;\s",<>]*)?)*\z'
# Contact (fields.parse_name_addr): one entry, unquoted display name or none; quoted
# parameter values allowed (+sip.instance="<urn:...>") when they hold no ';'.
_CONTACT_PARAMS = rf'(?P<params>(?:;{_PARAM_NAME}(?:=(?:"[^";]*"|[^;\s",<>]*))?)*)\z'
_CONTACT_NAME_ADDR = r'\A[^<>",;]*<\s*(?P<uri>[^<>"]*?)\s*>' + _CONTACT_PARAMS
_CONTACT_ADDR_SPEC = rf'\A(?P<uri>[^<>",;\s]+)(?P<params>(?:;{_PARAM_NAME}(?:=[^;\s",<>]*)?)*)\z'
_EXPIRES_PARAM = r'(?i);expires(?:=(?P<v>"[^";]*"|[^;]*))?(?:;|\z)'
# Via (abnf.VIA_RE) with the rest of the entry, which must be plain parameters
_VIA = (
    r"(?i)\A\s*SIP\s*/\s*2\.0\s*/\s*(?P<transport>[A-Za-z0-9\-]+)\s+"
    r"(?P<host>\[[0-9A-Fa-f:.]+\]|[^\s;:,]+)(?:\s*:\s*(?P<port>[0-9]{1,5}))?(?P<rest>.*)\z"
)
_VIA_LIST_UNSURE = r'["<>]|(?:\A|,)\s*(?:,|\z)'  # quotes, brackets or an empty list item
_FIRST_ITEM = r"\A(?P<item>[^,]*)"
_AUTH_USER = r'(?i)username[ \t]*=[ \t]*(?:(?P<quote>")(?P<quoted>[^"]*)|(?P<plain>[^,]*))'


@dataclass(slots=True)
class BulkColumns:
    """Which payloads were handled, and their MESSAGE_COLUMNS (in payload order)."""

    handled: BoolArray
    columns: dict[str, pa.Array]


def _param(rest: pa.Array, name: str) -> pa.Array:
    """Value of the first ``;name[=value]`` of plain parameters ('' without '='; null: absent)."""
    found = pc.extract_regex(rest, rf"(?i);{name}(?:=(?P<v>[^;]*))?(?:;|\z)")
    return _field(found, "v")


def _field(struct: pa.Array, name: str) -> pa.Array:
    """A group of an extract_regex result, null where the pattern did not match."""
    return pc.struct_field(struct, name)


Columns = dict[str, Any]


def _per_distinct(values: pa.Array, derive: Callable[[pa.Array], Columns]) -> Columns:
    """``derive(values)``, computed once per distinct value: header values repeat
    (a transaction's From/To/Via, a phone's Contact, status lines), so the
    patterns run on a fraction of the rows.  Null values give null results."""
    encoded = pc.dictionary_encode(values)
    derived = derive(encoded.dictionary)
    return {name: column.take(encoded.indices) for name, column in derived.items()}


def _null_if_empty(values: pa.Array) -> pa.Array:
    return pc.if_else(pc.equal(pc.utf8_length(values), 0), None, values)


def _nonempty(values: pa.Array) -> pa.Array:
    """Python truthiness of optional strings: present and not ''."""
    return pc.fill_null(pc.greater(pc.utf8_length(values), 0), False)


def _digits(values: pa.Array) -> tuple[pa.Array, pa.Array]:
    """(whether each value is a valid delta-seconds, its integer or null): fields.parse_digits."""
    valid = pc.fill_null(pc.match_substring_regex(values, _DIGITS), False)
    text = pc.utf8_trim_whitespace(pc.if_else(valid, values, None))
    return valid, pc.cast(text, pa.int64())


def _np(mask: pa.Array) -> BoolArray:
    """A boolean Arrow array as numpy (nulls count as False)."""
    filled = pc.fill_null(mask, False)
    return np.asarray(filled.to_numpy(zero_copy_only=False), dtype=bool)


def _strings(data: pa.Buffer, start: IntArray, stop: IntArray, valid: BoolArray) -> Any:
    """Arrow strings of the byte ranges ``data[start:stop]`` (null where not ``valid``).

    The ranges must be in order and not overlap (``stop[i] <= start[i + 1]``): they
    and the gaps between them are then one zero-copy Arrow array over ``data``,
    of which ``take`` gathers every other element.
    """
    n = start.size
    offsets = np.empty(2 * n + 1, dtype=np.int64)
    offsets[0] = 0
    offsets[1::2] = start
    offsets[2::2] = stop
    if n:
        offsets[-1] = max(int(stop[-1]), 0)
    spans = pa.Array.from_buffers(pa.large_string(), 2 * n, [None, pa.py_buffer(offsets), data])
    picks = pa.array(np.arange(1, 2 * n, 2, dtype=np.int64), mask=~valid)
    return spans.take(picks)


class _Batch:
    """The structure of a batch of payloads: header blocks, lines, names, first colons."""

    def __init__(self, payloads: Sequence[bytes]) -> None:
        n = self.n = len(payloads)
        lengths = np.fromiter(map(len, payloads), dtype=np.int64, count=n)
        starts = np.zeros(n, dtype=np.int64)
        np.cumsum(lengths[:-1], out=starts[1:])
        ends = starts + lengths
        size = int(ends[-1]) if n else 0
        # padding: reads a few bytes past any position stay inside the array
        joined = b"".join([*payloads, bytes(8)])
        self.data = pa.py_buffer(joined)
        a = self.buf = np.frombuffer(joined, dtype=np.uint8)
        # one pass over the bytes: where the CRs, LFs, colons and unexpected bytes are
        kind_at = _BYTE_KIND[a[:size]]
        special = np.flatnonzero(kind_at)
        kind = kind_at[special]
        del kind_at
        adjacent = special[1:] == special[:-1] + 1
        cr_lf = np.zeros(special.size, dtype=bool)  # a CR followed by an LF
        cr_lf[:-1] = (kind[:-1] == _CR) & (kind[1:] == _LF) & adjacent
        after_cr = np.zeros(special.size, dtype=bool)  # an LF preceded by a CR
        after_cr[1:] = cr_lf[:-1]
        crlf = special[cr_lf]
        colons = special[kind == _COLON]
        blank = crlf[(a[crlf + 2] == CR) & (a[crlf + 3] == LF)]  # "\r\n\r\n"
        head_end = _next(blank, starts)
        ok = (head_end + 4 <= ends) & (lengths > 0)
        head_end = np.where(ok, head_end, starts)
        # anything the patterns are not exact for, in a header block, sends it to Python
        unsure = np.concatenate(
            (
                special[kind == _OTHER],
                special[(kind == _CR) & ~cr_lf],  # CR without LF
                special[(kind == _LF) & ~after_cr],  # LF without CR
                crlf[(a[crlf + 2] == SP) | (a[crlf + 2] == HTAB)],  # a folded line
            )
        )
        del special, kind, cr_lf, after_cr, adjacent
        unsure.sort()
        ok &= _next(unsure, starts) >= head_end
        ok &= (a[starts] != CR) & (a[starts] != LF)  # leading CRLF, empty start line
        # line breaks inside the header blocks
        owner = np.searchsorted(starts, crlf, side="right") - 1
        inside = crlf < head_end[owner]
        breaks, line_msg = crlf[inside], owner[inside]
        start_line_end = np.minimum(_next(breaks, starts), head_end)
        ok &= start_line_end - starts <= MAX_START_LINE
        line_start = breaks + 2
        line_end = head_end[line_msg]  # a line ends at the next break of its message
        same = np.flatnonzero(line_msg[1:] == line_msg[:-1])
        line_end[same] = breaks[same + 1]
        colon = _next(colons, line_start)
        has_colon = colon < line_end
        ok[line_msg[~has_colon]] = False  # a header line without a colon: a problem
        keep = ok[line_msg]
        line_msg, line_start = line_msg[keep], line_start[keep]
        colon, line_end = colon[keep], line_end[keep]
        name_start, name_end = _strip_blanks(a, line_start, colon)
        self.line_code = _header_codes(self.data, name_start, name_end)
        # values as SipMessage.headers holds them: stripped (only blanks are left to strip)
        self.value_start, self.value_stop = _strip_blanks(a, colon + 1, line_end)
        self.line_msg = line_msg
        self.starts, self.ends, self.head_end = starts, ends, head_end
        self.start_line_end = start_line_end
        self.ok = ok

    def start_lines(self) -> Any:
        return _strings(self.data, self.starts, self.start_line_end, self.ok)

    def lines(self, name: str) -> IntArray:
        """Indexes (into the kept lines) of the header ``name``'s lines, in message order."""
        return np.flatnonzero(self.line_code == _HEADER_CODE[name])

    def values(self, lines: IntArray) -> Any:
        """The values of ``lines``, stripped (SipMessage.headers' values)."""
        valid = np.ones(lines.size, dtype=bool)
        return _strings(self.data, self.value_start[lines], self.value_stop[lines], valid)

    def first(self, name: str) -> tuple[Any, IntArray]:
        """Per message: the first value of header ``name`` (null when absent), and its count."""
        lines = self.lines(name)
        msgs = self.line_msg[lines]
        counts = np.bincount(msgs, minlength=self.n)
        first_of = np.ones(msgs.size, dtype=bool)
        first_of[1:] = msgs[1:] != msgs[:-1]
        lines, msgs = lines[first_of], msgs[first_of]
        valid = np.zeros(self.n, dtype=bool)
        valid[msgs] = True
        start, stop = self.starts.copy(), self.starts.copy()  # empty where absent
        start[msgs] = self.value_start[lines]
        stop[msgs] = self.value_stop[lines]
        return _strings(self.data, start, stop, valid), counts


def _strip_blanks(
    buf: npt.NDArray[np.uint8], start: IntArray, stop: IntArray
) -> tuple[IntArray, IntArray]:
    """The ranges ``buf[start:stop]`` without leading and trailing spaces and tabs."""
    start, stop = start.copy(), stop.copy()
    todo = np.flatnonzero(start < stop)
    while todo.size:
        byte = buf[start[todo]]
        todo = todo[(byte == SP) | (byte == HTAB)]
        start[todo] += 1
        todo = todo[start[todo] < stop[todo]]
    todo = np.flatnonzero(start < stop)
    while todo.size:
        byte = buf[stop[todo] - 1]
        todo = todo[(byte == SP) | (byte == HTAB)]
        stop[todo] -= 1
        todo = todo[start[todo] < stop[todo]]
    return start, stop


# every spelling of the wanted headers, lower-case (canonical names and compact forms)
_SPELLINGS = [
    *_HEADERS,
    *(compact for compact, name in COMPACT_FORMS.items() if name in _HEADER_CODE),
]
_SPELLING_CODE = np.array(
    [_HEADER_CODE[COMPACT_FORMS.get(s, s)] for s in _SPELLINGS] + [-1], dtype=np.int64
)


def _header_codes(data: pa.Buffer, start: IntArray, stop: IntArray) -> IntArray:
    """Per header name ``data[start:stop]`` (already right-stripped): the index of its
    canonical name (message.canonical_header_name) in _HEADERS, or -1."""
    names = pc.ascii_lower(_strings(data, start, stop, np.ones(start.size, dtype=bool)))
    found = pc.index_in(names, value_set=pa.array(_SPELLINGS, pa.large_string()))
    index = pc.fill_null(found, len(_SPELLINGS)).to_numpy(zero_copy_only=False)
    codes: IntArray = _SPELLING_CODE[index]
    return codes


def _next(positions: IntArray, at: IntArray) -> IntArray:
    """For each of ``at``: the first of the sorted ``positions`` >= it (a huge number if none)."""
    extended = np.append(positions, np.iinfo(np.int64).max // 2)
    result: IntArray = extended[np.searchsorted(positions, at)]
    return result


def bulk_message_columns(payloads: Sequence[bytes]) -> BulkColumns:
    """The MESSAGE_COLUMNS of the payloads this module handles exactly.

    Returns a :class:`BulkColumns`: ``handled[i]`` says whether payload ``i``
    was handled, and each column holds one value per handled payload, in
    order.  Payloads not handled (not SIP, malformed, or merely unusual) are
    for :func:`~pbxlab.capture.sip.message.parse_message`.  Never raises on
    odd input.
    """
    if not payloads:
        return BulkColumns(np.zeros(0, dtype=bool), {})
    batch = _Batch(payloads)
    ok = batch.ok
    out: Columns = {}

    def require(exact: pa.Array, values: pa.Array | None = None) -> None:
        """Keep only messages whose ``values`` are absent or ``exact``."""
        nonlocal ok
        sure = _np(exact)
        ok &= sure if values is None else sure | ~_np(values.is_valid())

    start = _per_distinct(batch.start_lines(), _start_line)
    require(start.pop("exact"))
    out.update(start)

    call_id, _ = batch.first("call-id")
    require(call_id.is_valid())
    out["call_id"] = call_id

    cseq_text, _ = batch.first("cseq")
    cseq = _per_distinct(cseq_text, _cseq)
    require(cseq.pop("exact"), cseq_text)
    out.update(cseq)

    for side in ("from", "to"):
        value, _ = batch.first(side)
        party = _per_distinct(value, _party)
        require(party.pop("exact"), value)
        out.update({f"{side}_{name}": column for name, column in party.items()})

    contact, headers = batch.first("contact")
    found = _per_distinct(contact, _contact)
    require(pc.and_(found.pop("exact"), pa.array(headers <= 1)), contact)
    out.update(found)
    out["contact_count"] = pa.array(_np(contact.is_valid()).astype(np.int64))
    out["contacts"] = contact

    expires_text, _ = batch.first("expires")
    expires_ok, out["expires"] = _digits(expires_text)
    require(expires_ok, expires_text)

    via_lines = batch.lines("via")
    per_line = _per_distinct(batch.values(via_lines), _via_list)
    msgs = batch.line_msg[via_lines]
    unsure = _np(per_line["unsure"])
    items = np.asarray(per_line["items"].to_numpy(zero_copy_only=False), dtype=np.int64)
    count = np.bincount(msgs, weights=items, minlength=batch.n).astype(np.int64)
    ok &= (np.bincount(msgs, weights=unsure, minlength=batch.n) == 0) & (count <= MAX_COUNT)
    top, _ = batch.first("via")
    via = _per_distinct(top, _via)
    require(via.pop("exact"), top)
    out.update(via)
    out["via_count"] = pa.array(count)

    user_agent, _ = batch.first("user-agent")
    server, _ = batch.first("server")
    out["user_agent"] = pc.if_else(_nonempty(user_agent), user_agent, server)
    out["content_type"], _ = batch.first("content-type")

    length_text, _ = batch.first("content-length")
    length_ok, content_length = _digits(length_text)
    require(length_ok, length_text)
    # no body: SDP and other bodies, and a truncated body (a problem), take the exact path
    body = batch.ends - batch.head_end - 4
    length = np.asarray(pc.fill_null(content_length, 0).to_numpy(zero_copy_only=False))
    ok &= np.where(_np(length_text.is_valid()), length == 0, body == 0)
    out["content_length"] = content_length

    authorization, _ = batch.first("authorization")
    proxy_authorization, _ = batch.first("proxy-authorization")
    auth_value = pc.if_else(_nonempty(authorization), authorization, proxy_authorization)
    out["auth"] = auth_value.is_valid()
    username = pc.extract_regex(auth_value, _AUTH_USER)
    out["auth_user"] = pc.if_else(
        pc.equal(_field(username, "quote"), '"'),
        pc.struct_field(username, "quoted"),
        _null_if_empty(pc.utf8_trim(_field(username, "plain"), " \t")),
    )

    handled = pa.array(ok)
    columns: dict[str, pa.Array] = {}
    for name in MESSAGE_COLUMNS:
        values = out.get(name)
        if values is None:  # SDP columns and parse_error: null for every handled message
            columns[name] = pa.nulls(int(ok.sum()), _ARROW_TYPES.get(name, pa.large_string()))
        else:
            columns[name] = values.filter(handled)
    return BulkColumns(ok, columns)


# -- per distinct value: each returns its columns and "exact" (the patterns are exact for it)


def _start_line(line: pa.Array) -> Columns:
    """is_request, method, request_uri, status, reason (message.parse_message)."""
    response_like = pc.match_substring_regex(line, _SIP_PREFIX)
    status_line = pc.extract_regex(line, _STATUS_LINE)
    request_line = pc.extract_regex(line, _REQUEST_LINE)
    is_response = pc.and_(response_like, status_line.is_valid())
    is_request = pc.and_(pc.invert(response_like), request_line.is_valid())
    request_uri = pc.if_else(is_request, _field(request_line, "uri"), None)
    password = pc.fill_null(pc.match_substring_regex(request_uri, _URI_PASSWORD), False)
    return {
        "exact": pc.and_(pc.or_(is_request, is_response), pc.invert(password)),
        "is_request": is_request,
        "method": pc.if_else(is_request, _field(request_line, "method"), None),
        "request_uri": request_uri,
        "status": pc.cast(pc.if_else(is_response, _field(status_line, "status"), None), pa.int64()),
        "reason": pc.if_else(is_response, _field(status_line, "reason"), None),
    }


def _cseq(value: pa.Array) -> Columns:
    """cseq_num, cseq_method (fields.parse_cseq)."""
    cseq = pc.extract_regex(value, _CSEQ)
    return {
        "exact": cseq.is_valid(),
        "cseq_num": pc.cast(_field(cseq, "num"), pa.int64()),
        "cseq_method": _field(cseq, "method"),
    }


def _party(value: pa.Array) -> Columns:
    """user, host, tag of a From/To value (message_columns._party)."""
    fast = _party_fast(value)
    quoted = _party_quoted(value)
    is_quoted = quoted.pop("exact")
    columns = {
        name: pc.if_else(is_quoted, quoted[name], fast[name]) for name in ("user", "host", "tag")
    }
    columns["exact"] = pc.or_kleene(is_quoted, fast["exact"])
    return columns


def _party_fast(value: pa.Array) -> Columns:
    """message_columns._party's fast path: no '"' in the value."""
    party = pc.extract_regex(value, _PARTY)
    host = _field(party, "host")
    # ';' in a bracketed host would move where the tag search starts
    exact = pc.and_(
        pc.and_(party.is_valid(), pc.invert(pc.match_substring(value, '"'))),
        pc.invert(pc.match_substring(host, ";")),
    )
    after_gt = pc.replace_substring_regex(value, _UP_TO_GT, "", max_replacements=1)
    return {
        "exact": exact,
        "user": _null_if_empty(_field(party, "user")),
        "host": _null_if_empty(host),
        "tag": _field(pc.extract_regex(after_gt, _TAG), "tag"),
    }


def _party_quoted(value: pa.Array) -> Columns:
    """message_columns._party's general path for ``"display" <uri>;params`` with a
    plain quoted display name (fields.parse_name_addr, fields.parse_uri)."""
    addr = pc.extract_regex(value, _QUOTED_NAME_ADDR)
    uri = pc.extract_regex(_field(addr, "uri"), _URI)
    user, host = _null_if_empty(_field(uri, "user")), _null_if_empty(_field(uri, "host"))
    tel = pc.equal(pc.utf8_lower(_field(uri, "scheme")), "tel")  # tel:+1555: the number is the user
    return {
        "exact": addr.is_valid(),
        "user": pc.if_else(tel, host, user),
        "host": pc.if_else(tel, None, host),
        "tag": _param(_field(addr, "params"), "tag"),
    }


def _contact(value: pa.Array) -> Columns:
    """contact, contact_expires of a one-entry Contact value (message_columns._contact)."""
    name_addr = pc.extract_regex(value, _CONTACT_NAME_ADDR)
    addr_spec = pc.extract_regex(value, _CONTACT_ADDR_SPEC)
    is_name_addr = name_addr.is_valid()
    exact = pc.and_(
        pc.and_(
            pc.invert(pc.match_substring(value, ",")),
            pc.invert(pc.match_substring_regex(value, _URI_PASSWORD)),
        ),
        pc.or_(is_name_addr, addr_spec.is_valid()),
    )
    uri = pc.if_else(is_name_addr, _field(name_addr, "uri"), _field(addr_spec, "uri"))
    params = pc.if_else(is_name_addr, _field(name_addr, "params"), _field(addr_spec, "params"))
    expires = pc.utf8_trim(_field(pc.extract_regex(params, _EXPIRES_PARAM), "v"), '"')
    return {"exact": exact, "contact": uri, "contact_expires": _digits(expires)[1]}


def _via_list(value: pa.Array) -> Columns:
    """Per Via header value: entries (fields.split_list) and whether that count is sure."""
    return {
        "unsure": pc.match_substring_regex(value, _VIA_LIST_UNSURE),
        "items": pc.add(pc.count_substring(value, ","), 1),
    }


def _via(value: pa.Array) -> Columns:
    """The top Via entry's columns (message_columns._via, fields.parse_via)."""
    entry = pc.utf8_trim(_field(pc.extract_regex(value, _FIRST_ITEM), "item"), " \t")
    via = pc.extract_regex(entry, _VIA)
    rest = _field(via, "rest")
    port = pc.cast(_null_if_empty(_field(via, "port")), pa.int64())
    return {
        "exact": pc.and_(via.is_valid(), pc.match_substring_regex(rest, _PARAMS)),
        "via_host": pc.utf8_trim(_field(via, "host"), "[]"),
        "via_port": pc.if_else(pc.less_equal(port, 65535), port, None),
        "via_transport": pc.utf8_upper(_field(via, "transport")),
        "via_received": _param(rest, "received"),
        "via_rport": _param(rest, "rport"),
        "branch": _param(rest, "branch"),
    }


_ARROW_TYPES = {"sdp_audio_port": pa.int64()}
