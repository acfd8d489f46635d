"""The tenant's extensions and the tenant objects that point at them.

Every field of the user guide's Extensions chapter is here: the list columns,
the General / Voicemail / Find Me-Follow Me / Caller ID / Directory / Phones
tabs, and the tenant objects that refer to extensions (DIDs, ring groups,
voicemail boxes, provisioning profiles, tenant defaults).  The models are
pydantic: building one or assigning a field validates it with the rules of
:mod:`pbxlab.extensions.validation`; secrets are ``SecretStr`` and never show
in a ``repr``.  Use :func:`build` / :func:`validated` to get pbxlab's
``ValidationError`` (dotted field names) instead of pydantic's.
"""

from __future__ import annotations

import functools
import zoneinfo
from datetime import UTC, datetime
from typing import Annotated, Any, Literal, TypeVar

import pydantic
from pydantic import (
    AfterValidator,
    BaseModel,
    ConfigDict,
    Field,
    SecretStr,
    ValidationInfo,
    field_validator,
    model_validator,
)

from pbxlab.extensions import validation as rules
from pbxlab.extensions.credentials import generate_password


def _secret(rule: Any) -> Any:
    def check(value: SecretStr) -> SecretStr:
        rule(value.get_secret_value())
        return value

    return check


ExtensionNumber = Annotated[str, AfterValidator(rules.extension_number)]
E164Number = Annotated[str, AfterValidator(rules.e164)]
SipUsername = Annotated[str, AfterValidator(rules.sip_username)]
SipPassword = Annotated[SecretStr, AfterValidator(_secret(rules.sip_password))]
Pin = Annotated[SecretStr, AfterValidator(_secret(rules.pin))]
Email = Annotated[str, AfterValidator(rules.email_address)]
MacAddress = Annotated[str, AfterValidator(rules.mac_address)]
IpAddress = Annotated[str, AfterValidator(rules.ip_address)]
Name = Annotated[str, AfterValidator(rules.required_text), AfterValidator(rules.display_text(80))]
PhoneModel = Annotated[Name, AfterValidator(rules.no_list_separators)]
Cnam = Annotated[str, AfterValidator(rules.display_text(rules.CNAM_MAX))]
InboundPrefix = Annotated[str, AfterValidator(rules.display_text(rules.INBOUND_PREFIX_MAX))]
RecordingFile = Annotated[str, AfterValidator(rules.recording_file)]
ProfileName = Annotated[str, AfterValidator(rules.profile_name)]
RingTimeout = Annotated[int, AfterValidator(rules.in_range(*rules.RING_TIMEOUT_RANGE))]
DestinationTimeout = Annotated[int, AfterValidator(rules.in_range(*rules.FMFM_TIMEOUT_RANGE))]

PhoneStatus = Literal["online", "offline", "unknown"]
DestinationKind = Literal["extension", "external", "voicemail"]
NoAnswerAction = Literal["voicemail", "hangup", "extension", "external"]
FmfmStrategy = Literal["simultaneous", "sequential"]
DidRoute = Literal["extension", "ring_group", "voicemail", "unrouted"]
MAX_FMFM_DESTINATIONS = 10


class _Model(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        validate_assignment=True,
        str_strip_whitespace=True,
        # pydantic's own messages would quote the input: a password, a PIN
        hide_input_in_errors=True,
    )


def _target_for(kind: str, target: str) -> str:
    # An FMFM/no-answer target is an extension or voicemail box number, or an E.164 number.
    return rules.e164(target) if kind == "external" else rules.extension_number(target)


class VoicemailSettings(_Model):
    """The Voicemail tab."""

    enabled: bool = True
    box: ExtensionNumber | None = Field(
        default=None, description="Linked voicemail box; None: the extension's own box."
    )
    pin: Pin | None = None
    email_recipients: list[Email] = Field(default_factory=list)
    transcribe: bool = False
    attach: bool = True


class FmfmDestination(_Model):
    """One Find Me/Follow Me destination, rung in list order in sequential mode."""

    kind: DestinationKind
    target: str = Field(description="Extension number, E.164 number, or voicemail box number.")
    ring_timeout: DestinationTimeout = 20

    @field_validator("target")
    @classmethod
    def _target_matches_kind(cls, value: str, info: ValidationInfo) -> str:
        kind = info.data.get("kind")
        return _target_for(kind, value) if kind else value


class FmfmSettings(_Model):
    """The Find Me / Follow Me tab."""

    enabled: bool = False
    strategy: FmfmStrategy = "simultaneous"
    destinations: list[FmfmDestination] = Field(default_factory=list, validate_default=True)
    no_answer_action: NoAnswerAction = "voicemail"
    no_answer_target: str | None = Field(
        default=None,
        validate_default=True,
        description="Extension/E.164 number for extension/external; optional box for voicemail.",
    )

    @field_validator("destinations")
    @classmethod
    def _destinations_fit(cls, value: list[FmfmDestination], info: ValidationInfo) -> Any:
        if info.data.get("enabled") and not value:
            raise ValueError("must list at least one destination when FMFM is enabled")
        if len(value) > MAX_FMFM_DESTINATIONS:
            raise ValueError(f"must list at most {MAX_FMFM_DESTINATIONS} destinations")
        return value

    @field_validator("no_answer_target")
    @classmethod
    def _target_fits_action(cls, value: str | None, info: ValidationInfo) -> str | None:
        action = info.data.get("no_answer_action")
        if action == "hangup" and value is not None:
            raise ValueError("must be empty when the no-answer action is hangup")
        if action in ("extension", "external") and value is None:
            raise ValueError(f"is required when the no-answer action is {action}")
        if value is None or action is None:
            return value
        return _target_for(action, value)


class CallerIdSettings(_Model):
    """The Caller ID tab (the outbound DID is also shown on the General tab)."""

    outbound_did: E164Number | None = None
    inbound_prefix: InboundPrefix = ""
    cnam: Cnam | None = Field(default=None, description="None: the tenant default CNAM.")

    @field_validator("cnam")
    @classmethod
    def _blank_is_default(cls, value: str | None) -> str | None:
        # "" and None would both be written as an empty cell: keep one meaning
        return value or None


class DirectorySettings(_Model):
    """The Directory tab."""

    include: bool = True
    first_name: Name | None = None
    last_name: Name | None = None
    recorded_name_file: RecordingFile | None = None


class Phone(_Model):
    """A provisioned phone assigned to an extension (the Phones tab)."""

    mac: MacAddress
    model: PhoneModel = Field(
        description="Vendor and model, e.g. 'Yealink T46S', 'Polycom VVX 450'."
    )
    status: PhoneStatus = "unknown"
    last_registered: datetime | None = None
    profile: ProfileName | None = None
    contact: str | None = Field(
        default=None, description="Registered Contact URI (where NOTIFY reboot is sent)."
    )
    source: str | None = Field(
        default=None,
        description="host:port the registration came from; preferred over a NAT'ed contact.",
    )
    user_agent: str | None = None

    @field_validator("last_registered")
    @classmethod
    def _utc(cls, value: datetime | None) -> datetime | None:
        if value is not None and value.tzinfo is None:
            raise ValueError("must carry a time zone (UTC expected)")
        return value.astimezone(UTC) if value is not None else None

    @field_validator("contact")
    @classmethod
    def _sip_uri(cls, value: str | None) -> str | None:
        if value is not None and not value.lower().startswith(("sip:", "sips:")):
            raise ValueError("must be a sip: or sips: URI")
        return value

    @field_validator("source")
    @classmethod
    def _host_port(cls, value: str | None) -> str | None:
        if value is None:
            return None
        host, sep, port = value.rpartition(":")
        if not sep or not port.isdigit() or not 0 < int(port) < 65536:
            raise ValueError("must be host:port (IPv6 as [addr]:port)")
        rules.ip_address(host.strip("[]"))
        return value

    @property
    def vendor(self) -> str:
        """The vendor word of the model ('yealink', 'polycom', 'snom', ...), lower case."""
        return self.model.split()[0].lower()


class Extension(_Model):
    """One extension: the list columns and every detail tab of the guide."""

    number: ExtensionNumber
    name: Name
    sip_username: SipUsername = Field(description="Read-only after creation.")
    sip_password: SipPassword = Field(default_factory=generate_password)
    local_ip: IpAddress | None = None
    ring_timeout: RingTimeout = 25
    voicemail: VoicemailSettings = Field(default_factory=VoicemailSettings)
    fmfm: FmfmSettings = Field(default_factory=FmfmSettings)
    caller_id: CallerIdSettings = Field(default_factory=CallerIdSettings)
    directory: DirectorySettings = Field(default_factory=DirectorySettings)
    phones: list[Phone] = Field(default_factory=list)

    @model_validator(mode="before")
    @classmethod
    def _username_defaults_to_number(cls, data: Any) -> Any:
        if isinstance(data, dict) and not data.get("sip_username") and data.get("number"):
            return {**data, "sip_username": data["number"]}
        return data

    @property
    def voicemail_box(self) -> str:
        """The box calls go to: the linked box, or the extension's own."""
        return self.voicemail.box or self.number


class Did(_Model):
    """An inbound route: a DID and where it rings."""

    number: E164Number
    description: str = ""
    route: DidRoute = "unrouted"
    target: str | None = Field(default=None, validate_default=True)

    @field_validator("target")
    @classmethod
    def _target_fits_route(cls, value: str | None, info: ValidationInfo) -> str | None:
        route = info.data.get("route")
        if route == "unrouted" and value is not None:
            raise ValueError("must be empty for an unrouted DID")
        if route not in (None, "unrouted") and value is None:
            raise ValueError(f"is required for a DID routed to {route}")
        return rules.extension_number(value) if value is not None else None


class RingGroup(_Model):
    """A ring group: a number that rings several extensions."""

    number: ExtensionNumber
    name: Name
    strategy: Literal["ringall", "hunt"] = "ringall"
    ring_timeout: RingTimeout = 20
    members: list[ExtensionNumber] = Field(default_factory=list)


class VoicemailBox(_Model):
    """A shared voicemail box (an extension's own box needs no object)."""

    number: ExtensionNumber
    name: Name
    email_recipients: list[Email] = Field(default_factory=list)


class ProvisioningProfile(_Model):
    """Settings applied to many phones; rendered into each phone's config file."""

    name: ProfileName
    description: str = ""
    sip_server: str | None = Field(default=None, description="None: the tenant's SIP domain.")
    sip_port: int = Field(default=5060, ge=1, le=65535)
    transport: Literal["udp", "tcp", "tls"] = "udp"
    registration_expires: int = Field(default=300, ge=60, le=86400)
    ntp_server: str = "pool.ntp.org"
    timezone: str = "UTC"
    language: str = "English"
    firmware_url: str | None = None

    @field_validator("timezone")
    @classmethod
    def _known_zone(cls, value: str) -> str:
        if value not in _time_zones():
            raise ValueError("must be an IANA time zone name, e.g. Europe/Paris")
        return value


@functools.cache
def _time_zones() -> frozenset[str]:
    # available_timezones() walks the tz database on disk at every call
    return frozenset(zoneinfo.available_timezones())


class TenantDefaults(_Model):
    """Tenant-wide settings the extensions fall back to."""

    cnam: Cnam = ""
    sip_domain: str = "pbx.invalid"


M = TypeVar("M", bound=BaseModel)


def build(model: type[M], data: Any, prefix: str = "") -> M:
    """``model`` validated from ``data``; raises pbxlab ValidationError naming each field."""
    try:
        return model.model_validate(data)
    except pydantic.ValidationError as exc:
        raise rules.validation_error(exc, prefix) from None


def validated(model: type[M], **fields: Any) -> M:
    """``model(**fields)``; raises pbxlab ValidationError naming each broken field."""
    return build(model, fields)


def now_utc() -> datetime:
    """The current time, timezone-aware UTC."""
    return datetime.now(UTC)
