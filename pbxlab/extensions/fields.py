"""Dotted field names and their text form: one codec for CSV cells and ``--set``.

Strategy: an extension flattens to ``{dotted name: text}`` (``voicemail.enabled``
→ ``"true"``); lists have a compact text form (``;`` between items):

- ``voicemail.email_recipients``: ``a@example.com;b@example.com``
- ``fmfm.destinations``: ``kind:target@seconds``, e.g. ``extension:202@20;external:+15551234567@30``
- ``phones``: ``mac|model|profile``, e.g. ``00:15:65:1a:2b:3c|Yealink T46S|office``

:func:`apply_changes` decodes text values, merges them into a copy of the
extension and re-validates the whole, so a change is checked exactly like a
new extension.  Secret fields are flattened only when asked (``include_secrets``).
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from pydantic import BaseModel, SecretStr

from pbxlab.errors import FieldProblem, ValidationError
from pbxlab.extensions.model import Extension, FmfmDestination, Phone, build
from pbxlab.extensions.validation import SECRET_FIELDS, mac_address

READ_ONLY_FIELDS = frozenset({"sip_username"})
# Observed state of a phone (status, last registration, contact) is not a setting:
# exports and imports carry only what an administrator decides.
PHONE_SETTINGS = ("mac", "model", "profile")


def _leaf_names(model: type[BaseModel], prefix: str = "") -> list[str]:
    names = []
    for name, info in model.model_fields.items():
        annotation = info.annotation
        if isinstance(annotation, type) and issubclass(annotation, BaseModel):
            names.extend(_leaf_names(annotation, f"{prefix}{name}."))
        else:
            names.append(f"{prefix}{name}")
    return names


FIELD_NAMES: tuple[str, ...] = tuple(_leaf_names(Extension))
"""Every dotted field of an extension, in model order (the CSV column order)."""

_KNOWN = frozenset(FIELD_NAMES)
_LIST_FIELDS = frozenset({"voicemail.email_recipients", "fmfm.destinations", "phones"})


def _encode_destinations(destinations: list[FmfmDestination]) -> str:
    return ";".join(f"{d.kind}:{d.target}@{d.ring_timeout}" for d in destinations)


def _encode_phones(phones: list[Phone]) -> str:
    return ";".join(f"{p.mac}|{p.model}|{p.profile or ''}" for p in phones)


def encode(value: Any) -> str:
    """The text form of one field value (None → empty)."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, SecretStr):
        return value.get_secret_value()
    if isinstance(value, list):
        if value and isinstance(value[0], FmfmDestination):
            return _encode_destinations(value)
        if value and isinstance(value[0], Phone):
            return _encode_phones(value)
        return ";".join(str(v) for v in value)
    return str(value)


def get(ext: Extension, name: str) -> Any:
    """The value of dotted field ``name`` of ``ext``; raises ValidationError if unknown."""
    _check_known(name)
    value: Any = ext
    for part in name.split("."):
        value = getattr(value, part)
    return value


def flatten(ext: Extension, *, include_secrets: bool = False) -> dict[str, str]:
    """``{dotted name: text}`` for every field; secret fields only with ``include_secrets``."""
    return {
        name: encode(get(ext, name))
        for name in FIELD_NAMES
        if include_secrets or name not in SECRET_FIELDS
    }


def _split(text: str) -> list[str]:
    return [item.strip() for item in text.split(";") if item.strip()]


def _decode_destination(item: str, name: str) -> dict[str, Any]:
    kind, sep, rest = item.partition(":")
    if not sep:
        raise ValidationError([FieldProblem(name, f"{item!r} is not kind:target[@seconds]")])
    target, _, timeout = rest.partition("@")
    out: dict[str, Any] = {"kind": kind.strip(), "target": target.strip()}
    if timeout.strip():
        out["ring_timeout"] = timeout.strip()
    return out


def _decode_phone(item: str) -> dict[str, Any]:
    parts = [p.strip() for p in item.split("|")]
    parts += [""] * (len(PHONE_SETTINGS) - len(parts))
    mac, model, profile = parts[: len(PHONE_SETTINGS)]
    return {"mac": mac, "model": model, "profile": profile or None}


_DECODERS: Mapping[str, Callable[[str, str], Any]] = {
    "voicemail.email_recipients": lambda text, name: _split(text),
    "fmfm.destinations": lambda text, name: [_decode_destination(i, name) for i in _split(text)],
    "phones": lambda text, name: [_decode_phone(i) for i in _split(text)],
}


def decode(name: str, text: str) -> Any:
    """The model input for dotted field ``name`` from its text form (empty → None).

    Scalars stay text: pydantic converts them while validating ("true" → True).
    """
    _check_known(name)
    if name in _DECODERS:
        return _DECODERS[name](text, name)
    text = text.strip()
    if text == "" and _optional(name):
        return None
    return text


@functools.cache
def _optional(name: str) -> bool:
    model: type[BaseModel] = Extension
    *parents, leaf = name.split(".")
    for part in parents:
        annotation = model.model_fields[part].annotation
        assert isinstance(annotation, type) and issubclass(annotation, BaseModel)
        model = annotation
    info = model.model_fields[leaf]
    return info.default is None and not info.is_required()


def _check_known(name: str) -> None:
    if name not in _KNOWN:
        raise ValidationError([FieldProblem(name, "no such field")])


def apply_changes(
    ext: Extension, changes: Mapping[str, Any], *, allow_read_only: bool = False
) -> Extension:
    """A validated copy of ``ext`` with ``changes`` (dotted name → text or value) applied.

    Text values are decoded with :func:`decode`; phones named by MAC keep their
    observed state (status, last registration, contact).  Raises ValidationError
    naming every unknown, read-only or invalid field; ``ext`` is left unchanged.
    """
    problems = []
    data = ext.model_dump()
    for name, raw in changes.items():
        if name not in _KNOWN:
            problems.append(FieldProblem(name, "no such field"))
            continue
        if name in READ_ONLY_FIELDS and not allow_read_only and raw != get(ext, name):
            problems.append(FieldProblem(name, "is read-only after creation"))
            continue
        value = decode(name, raw) if isinstance(raw, str) else raw
        if name == "phones":
            value = _merge_phones(ext.phones, value)
        *parents, leaf = name.split(".")
        target = data
        for part in parents:
            target = target[part]
        target[leaf] = value
    if problems:
        raise ValidationError(problems)
    return build(Extension, data)


def _merge_phones(current: list[Phone], new: list[Any]) -> list[Any]:
    observed = {p.mac: p.model_dump() for p in current}
    merged = []
    for item in new:
        if isinstance(item, dict):
            mac = str(item.get("mac", ""))
            try:
                mac = mac_address(mac)
            except ValueError:
                merged.append(item)  # validation will name this phone's MAC
                continue
            merged.append({**observed.get(mac, {}), **item, "mac": mac})
        else:
            merged.append(item)
    return merged


def from_flat(row: Mapping[str, str], *, prefix: str = "") -> Extension:
    """A new extension from ``{dotted name: text}`` (blank cells take the defaults).

    Raises ValidationError naming each unknown or invalid field.
    """
    unknown = [FieldProblem(name, "no such field") for name in row if name not in _KNOWN]
    if unknown:
        raise ValidationError(unknown)
    data: dict[str, Any] = {}
    for name, text in row.items():
        if text is None or (text.strip() == "" and name not in _LIST_FIELDS):
            continue  # blank: the model's default
        *parents, leaf = name.split(".")
        target = data
        for part in parents:
            target = target.setdefault(part, {})
        target[leaf] = decode(name, text)
    return build(Extension, data, prefix)
