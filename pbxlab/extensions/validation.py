"""The rules an extension and its tenant objects must follow, each stated once.

Strategy: single-field rules are plain functions that return the normalised
value or raise ``ValueError`` with a sentence naming the rule; the model
(:mod:`pbxlab.extensions.model`) attaches them to fields, so pydantic reports
which field broke which rule.  :func:`problems_from_pydantic` turns pydantic's
report into :class:`~pbxlab.errors.FieldProblem` s with dotted field names and
*without* the offending input when the field is a secret.  Rules that need the
rest of the tenant (uniqueness, destinations that exist) live in
:func:`check_references`, which takes a :class:`TenantIndex` snapshot, so they
are testable without a database.
"""

from __future__ import annotations

import functools
import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import email_validator

from pbxlab.errors import FieldProblem, ValidationError

if TYPE_CHECKING:
    import pydantic

    from pbxlab.extensions.model import Extension

# Dialable internal numbers: 2 to 7 digits, no leading 0 (0 is the operator/outside-line prefix).
EXTENSION_NUMBER = re.compile(r"[1-9][0-9]{1,6}")
# ITU-T E.164: '+', country code (no leading 0), at most 15 digits in all.
E164 = re.compile(r"\+[1-9][0-9]{1,14}")
# SIP user part we accept for usernames: RFC 3261 "unreserved" characters only, so it
# needs no escaping in a URI, a CSV cell or a phone's config file.
SIP_USERNAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._~-]{0,63}")
PIN = re.compile(r"[0-9]{4,10}")
_MAC_HEX = re.compile(r"[0-9a-f]{12}")
_MAC_SEPARATORS = str.maketrans("", "", ":.- \t")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")
PROFILE_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9 ._-]{0,63}")

RING_TIMEOUT_RANGE = (5, 300)  # seconds; 300 s is the usual PBX ceiling for an unanswered leg
FMFM_TIMEOUT_RANGE = (5, 120)  # per destination, sequential mode
PASSWORD_LENGTH_RANGE = (8, 128)
CNAM_MAX = 15  # CNAM is 15 characters in the North-American CNAM databases
INBOUND_PREFIX_MAX = 20
NAME_MAX = 80
RECORDING_SUFFIXES = (".wav", ".mp3", ".gsm", ".ulaw", ".alaw", ".g722", ".sln")

# Fields whose values are secrets: never echoed in messages, exports or audit entries.
SECRET_FIELDS = frozenset({"sip_password", "voicemail.pin"})


def extension_number(value: str) -> str:
    """``value`` if it is a valid extension number; raises ValueError otherwise."""
    if not EXTENSION_NUMBER.fullmatch(value):
        raise ValueError("must be 2 to 7 digits, not starting with 0")
    return value


def e164(value: str) -> str:
    """``value`` if it is an E.164 number (``+15551234567``); raises ValueError otherwise."""
    compact = re.sub(r"[\s().-]", "", value)
    if not E164.fullmatch(compact):
        raise ValueError("must be an E.164 number: '+', country code, at most 15 digits")
    return compact


def sip_username(value: str) -> str:
    """``value`` if it is a usable SIP username; raises ValueError otherwise."""
    if not SIP_USERNAME.fullmatch(value):
        raise ValueError("must be 1 to 64 letters, digits or . _ ~ -, starting with a letter/digit")
    return value


def sip_password(value: str) -> str:
    """``value`` if it is an acceptable SIP password; raises ValueError (never quoting it)."""
    low, high = PASSWORD_LENGTH_RANGE
    if not low <= len(value) <= high:
        raise ValueError(f"must be {low} to {high} characters long")
    if not value.isascii() or not value.isprintable() or " " in value:
        raise ValueError("must be printable ASCII without spaces")
    return value


def pin(value: str) -> str:
    """``value`` if it is a voicemail PIN (4 to 10 digits); raises ValueError (never quoting it)."""
    if not PIN.fullmatch(value):
        raise ValueError("must be 4 to 10 digits")
    return value


def mac_address(value: str) -> str:
    """The MAC in canonical form ``00:15:65:1a:2b:3c``; raises ValueError if it is not one.

    Accepts colon, dash, dot (Cisco) or no separators, any case.  A multicast or
    all-zero address cannot belong to a phone and is refused.
    """
    hex_digits = value.translate(_MAC_SEPARATORS).lower()
    if not _MAC_HEX.fullmatch(hex_digits):
        raise ValueError("must be a MAC address of 12 hex digits, e.g. 00:15:65:1a:2b:3c")
    if int(hex_digits[:2], 16) & 1 or hex_digits == "0" * 12:
        raise ValueError("must be a unicast device address (not multicast or all zero)")
    return ":".join(hex_digits[i : i + 2] for i in range(0, 12, 2))


@functools.lru_cache(maxsize=65536)
def email_address(value: str) -> str:
    """``value`` normalised if it is an e-mail address (syntax only, no DNS); raises ValueError.

    Cached: checking the syntax of an internationalised address is costly, and a
    tenant's addresses are validated again each time its extensions are loaded.
    """
    try:
        return email_validator.validate_email(value, check_deliverability=False).normalized
    except email_validator.EmailNotValidError as exc:
        raise ValueError(f"is not a valid email address: {exc}") from None


def ip_address(value: str) -> str:
    """``value`` normalised if it is an IPv4/IPv6 address; raises ValueError otherwise."""
    try:
        return str(ipaddress.ip_address(value.strip()))
    except ValueError:
        raise ValueError("must be an IPv4 or IPv6 address") from None


def display_text(max_length: int) -> Any:
    """A rule: printable text of 1..``max_length`` characters (names, CNAM, prefixes)."""

    def rule(value: str) -> str:
        if _CONTROL.search(value):
            raise ValueError("must not contain control characters")
        if len(value) > max_length:
            raise ValueError(f"must be at most {max_length} characters")
        return value

    return rule


def required_text(value: str) -> str:
    """``value`` if it is not blank; raises ValueError otherwise."""
    if not value.strip():
        raise ValueError("must not be empty")
    return value


def no_list_separators(value: str) -> str:
    """``value`` if it holds neither ``;`` nor ``|`` (the separators of list fields' text form)."""
    if ";" in value or "|" in value:
        raise ValueError("must not contain ';' or '|'")
    return value


def recording_file(value: str) -> str:
    """``value`` if it names an audio file pbxlab knows; raises ValueError otherwise."""
    display_text(255)(value)
    if not value.lower().endswith(RECORDING_SUFFIXES):
        raise ValueError(f"must be an audio file ({', '.join(RECORDING_SUFFIXES)})")
    return value


def profile_name(value: str) -> str:
    """``value`` if it is a valid provisioning profile name; raises ValueError otherwise."""
    if not PROFILE_NAME.fullmatch(value):
        raise ValueError("must be 1 to 64 letters, digits, spaces or . _ -")
    return value


def in_range(low: int, high: int) -> Any:
    """A rule: an integer between ``low`` and ``high`` inclusive."""

    def rule(value: int) -> int:
        if not low <= value <= high:
            raise ValueError(f"must be between {low} and {high} seconds")
        return value

    return rule


def problems_from_pydantic(exc: pydantic.ValidationError, prefix: str = "") -> list[FieldProblem]:
    """Field problems from a pydantic error: dotted names, pydantic's text, secrets unquoted."""
    problems = []
    for err in exc.errors(include_url=False, include_input=False, include_context=False):
        name = ".".join(str(part) for part in err["loc"])
        name = f"{prefix}.{name}" if prefix and name else (prefix or name or "value")
        message = str(err["msg"])
        # pydantic prefixes messages of ValueError-raising rules with "Value error, ".
        message = message.removeprefix("Value error, ")
        problems.append(FieldProblem(name, message))
    return problems


def validation_error(exc: pydantic.ValidationError, prefix: str = "") -> ValidationError:
    """The pbxlab :class:`~pbxlab.errors.ValidationError` equivalent of a pydantic error."""
    return ValidationError(problems_from_pydantic(exc, prefix))


@dataclass
class TenantIndex:
    """What the cross-object rules need to know about the rest of the tenant.

    Maps hold the owner (extension number) of each SIP username and phone MAC;
    sets hold the numbers/names that destinations may point at.
    """

    extensions: set[str] = field(default_factory=set)
    sip_usernames: dict[str, str] = field(default_factory=dict)
    macs: dict[str, str] = field(default_factory=dict)
    voicemail_boxes: set[str] = field(default_factory=set)
    profiles: set[str] = field(default_factory=set)
    ring_groups: set[str] = field(default_factory=set)

    def register(self, ext: Extension) -> None:
        """Record ``ext`` as part of the tenant (after it passed :func:`check_references`)."""
        self.extensions.add(ext.number)
        self.sip_usernames[ext.sip_username] = ext.number
        for phone in ext.phones:
            self.macs[phone.mac] = ext.number

    def forget(self, ext: Extension) -> None:
        """Remove ``ext`` (before re-registering a changed version of it)."""
        self.extensions.discard(ext.number)
        if self.sip_usernames.get(ext.sip_username) == ext.number:
            del self.sip_usernames[ext.sip_username]
        for phone in ext.phones:
            if self.macs.get(phone.mac) == ext.number:
                del self.macs[phone.mac]


def check_references(ext: Extension, tenant: TenantIndex, *, is_new: bool) -> list[FieldProblem]:
    """Every cross-object rule ``ext`` breaks against ``tenant`` (empty list: none).

    ``tenant`` must not contain ``ext`` itself when ``is_new``; for an update it may
    (the extension's own number, username and MACs are not duplicates of itself).
    """
    problems: list[FieldProblem] = []
    if is_new and ext.number in tenant.extensions:
        problems.append(FieldProblem("number", f"extension {ext.number} already exists"))
    if ext.number in tenant.ring_groups:
        problems.append(FieldProblem("number", f"{ext.number} is already a ring group number"))
    if ext.number in tenant.voicemail_boxes:
        problems.append(FieldProblem("number", f"{ext.number} is already a voicemail box number"))
    owner = tenant.sip_usernames.get(ext.sip_username)
    if owner is not None and owner != ext.number:  # same number: reported as "number"
        problems.append(
            FieldProblem("sip_username", f"{ext.sip_username!r} is already used by {owner}")
        )
    seen_macs: set[str] = set()
    for i, phone in enumerate(ext.phones):
        mac_owner = tenant.macs.get(phone.mac)
        if phone.mac in seen_macs or (mac_owner is not None and mac_owner != ext.number):
            where = f"extension {mac_owner}" if mac_owner else "this extension"
            problems.append(FieldProblem(f"phones.{i}.mac", f"{phone.mac} is already on {where}"))
        seen_macs.add(phone.mac)
        if phone.profile is not None and phone.profile not in tenant.profiles:
            problems.append(
                FieldProblem(f"phones.{i}.profile", f"no provisioning profile {phone.profile!r}")
            )
    box = ext.voicemail.box
    if box is not None and box not in tenant.voicemail_boxes and box not in tenant.extensions:
        problems.append(FieldProblem("voicemail.box", f"no voicemail box {box}"))
    for i, dest in enumerate(ext.fmfm.destinations):
        problems.extend(
            _destination_problems(
                f"fmfm.destinations.{i}.target", dest.kind, dest.target, ext, tenant
            )
        )
    action, target = ext.fmfm.no_answer_action, ext.fmfm.no_answer_target
    if action in ("extension", "voicemail") and target is not None:
        problems.extend(_destination_problems("fmfm.no_answer_target", action, target, ext, tenant))
    return problems


def _destination_problems(
    name: str, kind: str, target: str, ext: Extension, tenant: TenantIndex
) -> list[FieldProblem]:
    if kind == "extension":
        if target == ext.number:
            return [FieldProblem(name, "must not point at the extension itself")]
        if target not in tenant.extensions:
            return [FieldProblem(name, f"no extension {target}")]
    if kind == "voicemail" and target not in tenant.voicemail_boxes | tenant.extensions | {
        ext.number
    }:
        return [FieldProblem(name, f"no voicemail box {target}")]
    return []


def raise_problems(problems: Iterable[FieldProblem]) -> None:
    """Raise a :class:`~pbxlab.errors.ValidationError` if ``problems`` is not empty."""
    found = list(problems)
    if found:
        raise ValidationError(found)


def parse_bool(value: str | bool, name: str = "value") -> bool:
    """A yes/no from text (true/false, yes/no, on/off, 1/0); raises ValidationError."""
    if isinstance(value, bool):
        return value
    text = value.strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValidationError([FieldProblem(name, f"must be true or false, not {value!r}")])


_TRUE = frozenset({"1", "true", "yes", "on", "y", "t"})
_FALSE = frozenset({"0", "false", "no", "off", "n", "f", ""})
