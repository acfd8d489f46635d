"""pbxlab's exceptions: one base class, one class per failure family.

Every error carries *where* it happened (file, frame, byte offset, line) so a
support engineer can open the evidence at the right spot; messages quote the
offending input with ``{!r}``.  Readers are lenient by default: they turn these
errors into rows of an ``errors`` table and keep going; ``strict=True`` raises
the first one instead.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class Location:
    """Where a problem was found. Any field may be unknown (None)."""

    file: str | None = None
    frame: int | None = None
    byte_offset: int | None = None
    line: int | None = None

    def __str__(self) -> str:
        parts = [self.file or "<input>"]
        if self.frame is not None:
            parts.append(f"frame {self.frame}")
        if self.line is not None:
            parts.append(f"line {self.line}")
        if self.byte_offset is not None:
            parts.append(f"byte {self.byte_offset}")
        return ", ".join(parts)


class PbxlabError(Exception):
    """Base class of every error pbxlab raises on purpose."""

    def __init__(self, message: str, location: Location | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.location = location or Location()

    def __str__(self) -> str:
        if self.location == Location():
            return self.message
        return f"{self.location}: {self.message}"


class InputError(PbxlabError):
    """The input (a file, an argument) cannot be used as given."""


class CaptureFormatError(InputError):
    """The file is not a capture pbxlab can read, or its framing is corrupt."""


class UnsupportedFormatError(CaptureFormatError):
    """A recognised capture format that pbxlab does not read (e.g. NetMon)."""


class TruncatedCaptureError(CaptureFormatError):
    """The capture ends in the middle of a record: more data was needed."""


class PacketDecodeError(InputError):
    """A frame's link/IP/UDP/TCP layers are malformed."""


class SipParseError(PbxlabError):
    """Bytes that were expected to hold a SIP message do not.

    ``offset`` is the position inside the message where parsing failed.
    """

    def __init__(self, message: str, offset: int = 0, location: Location | None = None) -> None:
        super().__init__(message, location)
        self.offset = offset


class LogFormatError(InputError):
    """A registrar log (or its format) cannot be read."""


class LogLineError(LogFormatError):
    """A log line (or record) looks like a known event but does not parse.

    ``log_format`` names the parser that recognised the line; ``excerpt`` is the
    offending text (the reader quotes it, truncated, in its ``errors`` table).
    """

    def __init__(
        self,
        message: str,
        log_format: str,
        excerpt: str = "",
        location: Location | None = None,
    ) -> None:
        super().__init__(message, location)
        self.log_format = log_format
        self.excerpt = excerpt


class BackendUnavailableError(PbxlabError):
    """An optional backend (tshark for pyshark) is not installed or not working."""


@dataclass(frozen=True, slots=True)
class FieldProblem:
    """One broken rule: the dotted field name (``voicemail.pin``) and what is wrong."""

    field: str
    message: str

    def __str__(self) -> str:
        return f"{self.field}: {self.message}"


class ValidationError(InputError):
    """A value breaks a rule of the extensions model; ``problems`` names each field.

    Messages never quote a secret (SIP password, voicemail PIN).
    """

    def __init__(self, problems: list[FieldProblem], location: Location | None = None) -> None:
        super().__init__("; ".join(str(p) for p in problems), location)
        self.problems = problems


class NotFoundError(InputError):
    """An extension, DID, ring group, box or profile that was named does not exist."""


class ConflictError(InputError):
    """The change would break the tenant: a duplicate, or references still pointing at it."""


class StoreError(PbxlabError):
    """The extensions database cannot be opened, migrated or written."""


class PhoneActionError(InputError):
    """A phone action (reboot) cannot be attempted: no phone, no contact, bad address."""
