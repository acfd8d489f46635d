"""View configuration: a phone's provisioning file rendered from templates.

Strategy: the phone's model picks a Jinja2 template in ``templates/`` (Yealink
``<mac>.cfg`` key = value files, Polycom UC Software XML); the template gets
the extension, the phone, its provisioning profile (or a default one) and the
tenant defaults.  XML templates are autoescaped; every rendered value is
refused if it holds a line break, so no value can inject a setting into a
line-oriented ``.cfg``.  The SIP password is masked unless asked for.
"""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape

from pbxlab.errors import InputError
from pbxlab.extensions.credentials import MASK
from pbxlab.extensions.model import Extension, Phone, ProvisioningProfile, TenantDefaults
from pbxlab.extensions.reboot import reboot_event


class UnsupportedPhoneError(InputError):
    """No provisioning template for this phone model."""


@dataclass(frozen=True, slots=True)
class PhoneConfig:
    """A rendered provisioning file: the vendor, the file name the phone fetches, the text."""

    vendor: str
    filename: str
    content: str


_TEMPLATES = {
    "yealink": ("yealink.cfg.j2", "{mac}.cfg"),
    "polycom": ("polycom.xml.j2", "{mac}-pbxlab.cfg"),
}


def _no_line_breaks(value: Any) -> Any:
    if isinstance(value, str) and ("\n" in value or "\r" in value):
        raise InputError(f"refusing to render a value with a line break: {value[:40]!r}")
    return value


_ENV = Environment(
    loader=PackageLoader("pbxlab.extensions", "templates"),
    autoescape=select_autoescape(enabled_extensions=("xml.j2",), default_for_string=False),
    undefined=StrictUndefined,
    keep_trailing_newline=True,
    trim_blocks=True,
    finalize=_no_line_breaks,
)


def config_vendor(phone: Phone) -> str:
    """The template vendor for ``phone`` (yealink, polycom); raises UnsupportedPhoneError."""
    vendor = reboot_event(phone.model, phone.user_agent).vendor
    if vendor not in _TEMPLATES:
        known = ", ".join(sorted(_TEMPLATES))
        raise UnsupportedPhoneError(
            f"no provisioning template for {phone.model!r} (templates exist for {known})"
        )
    return vendor


def _utc_offset(timezone: str) -> int:
    # Standard (winter) offset: phones apply daylight saving themselves.
    january = datetime(datetime.now(UTC).year, 1, 15, tzinfo=zoneinfo.ZoneInfo(timezone))
    offset = january.utcoffset()
    return int(offset.total_seconds()) if offset is not None else 0


def render_config(
    ext: Extension,
    phone: Phone,
    profile: ProvisioningProfile | None = None,
    defaults: TenantDefaults | None = None,
    *,
    include_secrets: bool = False,
) -> PhoneConfig:
    """The provisioning file of ``phone`` on ``ext``; the password masked unless asked.

    Raises UnsupportedPhoneError for a model without a template, InputError for a
    value that cannot be written safely.
    """
    vendor = config_vendor(phone)
    template_name, filename = _TEMPLATES[vendor]
    profile = profile or ProvisioningProfile(name="default")
    defaults = defaults or TenantDefaults()
    offset = _utc_offset(profile.timezone)
    hours = offset / 3600
    context = {
        "ext": ext,
        "phone": phone,
        "profile": profile,
        "server": profile.sip_server or defaults.sip_domain,
        "display_name": ext.caller_id.cnam or ext.name,
        "password": ext.sip_password.get_secret_value() if include_secrets else MASK,
        "utc_offset_seconds": offset,
        "utc_offset_hours": f"{hours:+g}",
    }
    content = _ENV.get_template(template_name).render(context)
    return PhoneConfig(vendor, filename.format(mac=phone.mac.replace(":", "")), content)
