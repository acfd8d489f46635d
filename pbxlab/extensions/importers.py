"""Filling the store from what support already has: Asterisk pjsip.conf, FreePBX CSV.

Strategy: each importer takes text (never a file) and returns an
:class:`ImportResult` — the extensions it could build and an ``errors`` table
naming the line and the item (section, extension) it skipped and why.
Lenient by default; ``strict=True`` raises the first problem as an
:class:`~pbxlab.errors.InputError` with its location.  Nothing is written:
pass ``result.extensions`` to :meth:`ExtensionStore.import_extensions`, which
checks them against the tenant and stores all or none.

- **pjsip.conf** (Asterisk chan_pjsip): ``type=endpoint`` sections, with their
  ``auth=`` (``type=auth``, ``auth_type=userpass``) and ``aors=`` sections;
  templates (``[name](!)``, ``[name](tpl)``) are resolved; ``;`` comments and
  ``;-- --;`` block comments are stripped; ``#include`` is reported, not followed.
  The number is the section name (or the number in ``callerid``), the name is the
  caller-ID name, ``mailboxes=`` switches voicemail on.
- **FreePBX Bulk Handler extensions CSV**: columns ``extension``, ``name``,
  ``tech``, ``secret``, ``outboundcid``, ``ringtimer``, ``voicemail_enable``,
  ``voicemail_vmpwd``, ``voicemail_email``, ``findmefollow_*``; other columns are
  ignored (listed once in ``ignored_columns``).  FreePBX's national numbers
  become E.164 with ``country_code``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import pandas as pd

from pbxlab.errors import InputError, Location, ValidationError
from pbxlab.extensions.model import Extension, build
from pbxlab.extensions.validation import EXTENSION_NUMBER, parse_bool
from pbxlab.schema import STRING, Column, TableSchema

IMPORT_ERRORS = TableSchema(
    "extension_import_errors",
    "What an importer skipped or changed, and where.",
    [
        Column("source_file", STRING, "File the text came from, when known."),
        Column("line", "Int64", "Line of the section header or CSV row."),
        Column("item", STRING, "Section name or extension number."),
        Column("message", STRING, "What was wrong, or what pbxlab did instead.", nullable=False),
    ],
)


@dataclass
class ImportResult:
    """Extensions built from foreign configuration, and what could not be used."""

    extensions: list[Extension]
    errors: pd.DataFrame
    ignored_columns: list[str] = field(default_factory=list)


class _Problems:
    def __init__(self, source: str | None, strict: bool) -> None:
        self.source, self.strict = source, strict
        self.rows: list[tuple[int | None, str | None, str]] = []

    def add(self, line: int | None, item: str | None, message: str) -> None:
        if self.strict:
            raise InputError(
                f"{item}: {message}" if item else message, Location(self.source, line=line)
            )
        self.rows.append((line, item, message))

    def frame(self) -> pd.DataFrame:
        return IMPORT_ERRORS.build(
            {
                "source_file": [self.source] * len(self.rows),
                "line": [r[0] for r in self.rows],
                "item": [r[1] for r in self.rows],
                "message": [r[2] for r in self.rows],
            }
        )


# -- Asterisk pjsip.conf -----------------------------------------------------------------

_SECTION = re.compile(r"^\[(?P<name>[^\]]+)\]\s*(?:\((?P<opts>[^)]*)\))?\s*$")
_CALLERID = re.compile(r'^\s*(?:"(?P<qname>[^"]*)"|(?P<name>[^<]*?))\s*<(?P<number>[^>]*)>\s*$')


@dataclass
class _Section:
    name: str
    line: int
    is_template: bool
    parents: list[str]
    options: list[tuple[str, str]] = field(default_factory=list)


def _strip_comment(line: str) -> str:
    out = []
    i = 0
    while i < len(line):
        if line[i] == "\\" and i + 1 < len(line) and line[i + 1] == ";":
            out.append(";")
            i += 2
            continue
        if line[i] == ";":
            break
        out.append(line[i])
        i += 1
    return "".join(out).strip()


def parse_conf_sections(text: str, problems: _Problems) -> list[_Section]:
    """The sections of an Asterisk .conf text, in order (templates included)."""
    sections: list[_Section] = []
    in_block_comment = False
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw
        if in_block_comment:
            end = line.find("--;")
            if end < 0:
                continue
            line, in_block_comment = line[end + 3 :], False
        start = line.find(";--")
        if start >= 0:
            end = line.find("--;", start + 3)
            if end < 0:
                line, in_block_comment = line[:start], True
            else:
                line = line[:start] + line[end + 3 :]
        line = _strip_comment(line)
        if not line:
            continue
        if line.startswith("#"):
            problems.add(number, None, f"{line.split()[0]} is not followed; import that file too")
            continue
        match = _SECTION.match(line)
        if match:
            opts = [o.strip() for o in (match.group("opts") or "").split(",") if o.strip()]
            sections.append(
                _Section(
                    match.group("name").strip(), number, "!" in opts, [o for o in opts if o != "!"]
                )
            )
            continue
        key, sep, value = line.partition("=")
        if not sep or not sections:
            problems.add(number, None, f"not an option line: {raw.strip()!r}")
            continue
        sections[-1].options.append((key.strip().lower(), value.lstrip(">").strip()))
    return sections


def _resolved(
    section: _Section, templates: Mapping[str, _Section], problems: _Problems
) -> dict[str, str]:
    options: dict[str, str] = {}
    for parent in section.parents:
        template = templates.get(parent)
        if template is None:
            problems.add(section.line, section.name, f"unknown template {parent!r}")
            continue
        options.update(_resolved(template, templates, problems))
    for key, value in section.options:
        options[key] = value
    return options


def parse_pjsip_conf(text: str, source: str | None = None, *, strict: bool = False) -> ImportResult:
    """Extensions from an Asterisk ``pjsip.conf`` text (endpoints with their auths/AORs).

    Returns an :class:`ImportResult`; raises InputError (strict only).
    """
    problems = _Problems(source, strict)
    sections = parse_conf_sections(text, problems)
    templates = {s.name: s for s in sections if s.is_template}
    by_type: dict[str, dict[str, tuple[_Section, dict[str, str]]]] = {}
    for s in sections:
        if s.is_template:
            continue
        options = _resolved(s, templates, problems)
        kind = options.get("type", "")
        by_type.setdefault(kind, {})[s.name] = (s, options)
    auths = by_type.get("auth", {})
    extensions: list[Extension] = []
    for name, (section, options) in by_type.get("endpoint", {}).items():
        display, cid_number = _callerid(options.get("callerid", ""))
        number = name if EXTENSION_NUMBER.fullmatch(name) else cid_number
        if not number or not EXTENSION_NUMBER.fullmatch(number):
            problems.add(section.line, name, "no extension number (section name or callerid)")
            continue
        data: dict[str, Any] = {"number": number, "name": display or name}
        auth_name = options.get("auth") or options.get("outbound_auth")
        if auth_name:
            auth = auths.get(auth_name.split(",")[0].strip())
            if auth is None:
                problems.add(section.line, name, f"auth section {auth_name!r} not found")
            else:
                auth_options = auth[1]
                data["sip_username"] = auth_options.get("username") or name
                if auth_options.get("auth_type", "userpass") == "userpass" and auth_options.get(
                    "password"
                ):
                    data["sip_password"] = auth_options["password"]
                else:
                    problems.add(
                        auth[0].line,
                        name,
                        "no clear-text password (md5_cred?): a new random password was generated",
                    )
        if not options.get("aors"):
            problems.add(section.line, name, "endpoint has no aors=: it cannot register")
        data["voicemail"] = {"enabled": bool(options.get("mailboxes"))}
        try:
            extensions.append(build(Extension, data))
        except ValidationError as exc:
            problems.add(section.line, name, str(exc))
    return ImportResult(extensions, problems.frame())


def _callerid(value: str) -> tuple[str | None, str | None]:
    match = _CALLERID.match(value)
    if not match:
        return (value.strip() or None), None
    name = match.group("qname") if match.group("qname") is not None else match.group("name")
    return (name.strip() or None), (match.group("number").strip() or None)


# -- FreePBX Bulk Handler ----------------------------------------------------------------

FREEPBX_COLUMNS = frozenset(
    {
        "extension",
        "name",
        "tech",
        "secret",
        "outboundcid",
        "ringtimer",
        "voicemail",
        "voicemail_enable",
        "voicemail_vmpwd",
        "voicemail_email",
        "findmefollow_enabled",
        "findmefollow_ddial",
        "findmefollow_strategy",
        "findmefollow_grptime",
        "findmefollow_grplist",
        "description",
    }
)
_SIMULTANEOUS = frozenset({"ringall", "ringallv2", "ringall-prim", "ringallv2-prim"})


def e164_from_national(number: str, country_code: str | None) -> str:
    """``number`` as E.164: kept if it starts with '+' or '00', else prefixed with
    ``country_code`` (a national number's trunk prefix 0 dropped)."""
    digits = re.sub(r"[^0-9+]", "", number)
    if digits.startswith("+"):
        return digits
    if digits.startswith("00"):
        return "+" + digits[2:]
    if country_code is None:
        return digits  # left for validation to report
    if digits.startswith(country_code) and len(digits) > 10:
        return "+" + digits
    return f"+{country_code}{digits.lstrip('0')}"


def parse_freepbx_csv(
    text: str, source: str | None = None, *, country_code: str | None = None, strict: bool = False
) -> ImportResult:
    """Extensions from a FreePBX Bulk Handler extensions export (CSV text).

    Returns an :class:`ImportResult`; raises InputError for a file without an
    ``extension`` column, and for any problem when ``strict``.
    """
    problems = _Problems(source, strict)
    reader = csv.DictReader(io.StringIO(text.lstrip("\ufeff")))
    header = [h.strip() for h in reader.fieldnames or []]
    if "extension" not in header:
        raise InputError(
            "not a FreePBX extensions CSV: no 'extension' column", Location(source, line=1)
        )
    ignored = sorted(set(header) - FREEPBX_COLUMNS)
    extensions: list[Extension] = []
    for row in reader:
        line = reader.line_num
        cells = {k.strip(): (v or "").strip() for k, v in row.items() if k is not None}
        number = cells.get("extension", "")
        tech = cells.get("tech", "pjsip").lower() or "pjsip"
        if tech not in ("pjsip", "sip"):
            problems.add(line, number, f"tech {tech!r} is not a SIP extension; skipped")
            continue
        try:
            extensions.append(build(Extension, _freepbx_row(cells, country_code)))
        except ValidationError as exc:
            problems.add(line, number, str(exc))
        except InputError as exc:
            problems.add(line, number, exc.message)
    return ImportResult(extensions, problems.frame(), ignored)


def _freepbx_row(cells: Mapping[str, str], country_code: str | None) -> dict[str, Any]:
    number = cells["extension"]
    data: dict[str, Any] = {
        "number": number,
        "name": cells.get("name") or cells.get("description") or number,
    }
    if cells.get("secret"):
        data["sip_password"] = cells["secret"]
    ring = cells.get("ringtimer", "")
    if ring and ring != "0":  # 0: FreePBX's "use the system default"
        data["ring_timeout"] = ring
    cid = cells.get("outboundcid", "")
    if cid:
        inner = re.search(r"<([^>]*)>", cid)
        data["caller_id"] = {
            "outbound_did": e164_from_national(inner.group(1) if inner else cid, country_code)
        }
    vm_enabled = cells.get("voicemail_enable", "")
    voicemail: dict[str, Any] = {
        "enabled": parse_bool(vm_enabled, "voicemail_enable")
        if vm_enabled
        else cells.get("voicemail", "novm") not in ("", "novm"),
    }
    if cells.get("voicemail_vmpwd"):
        voicemail["pin"] = cells["voicemail_vmpwd"]
    if cells.get("voicemail_email"):
        voicemail["email_recipients"] = [
            e for e in re.split(r"[,;|]", cells["voicemail_email"]) if e.strip()
        ]
    data["voicemail"] = voicemail
    grplist = [g for g in re.split(r"[-\s]+", cells.get("findmefollow_grplist", "")) if g]
    if grplist:
        timeout = cells.get("findmefollow_grptime") or "20"
        destinations = []
        for item in grplist:
            if item == number:
                continue  # FreePBX lists the extension itself first; it rings anyway
            if item.endswith("#"):
                destinations.append(
                    {
                        "kind": "external",
                        "target": e164_from_national(item[:-1], country_code),
                        "ring_timeout": timeout,
                    }
                )
            else:
                destinations.append({"kind": "extension", "target": item, "ring_timeout": timeout})
        enabled_text = cells.get("findmefollow_enabled", "")
        enabled = (
            parse_bool(enabled_text, "findmefollow_enabled")
            if enabled_text
            else cells.get("findmefollow_ddial", "").upper() != "CHECKED"
        )
        strategy = cells.get("findmefollow_strategy", "ringallv2").lower()
        data["fmfm"] = {
            "enabled": enabled and bool(destinations),
            "strategy": "simultaneous" if strategy in _SIMULTANEOUS else "sequential",
            "destinations": destinations,
        }
    return data
