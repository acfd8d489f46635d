"""Phone actions on a stored extension: reboot, view configuration.

These join the store (which phone, which credentials, which profile) with the
protocol and template modules; each action is recorded in the audit log.
"""

from __future__ import annotations

from pbxlab.errors import NotFoundError, PhoneActionError
from pbxlab.extensions.model import Extension, Phone
from pbxlab.extensions.provisioning import PhoneConfig, render_config
from pbxlab.extensions.reboot import (
    DEFAULT_TIMEOUT,
    RebootResult,
    notify_target,
    reboot_event,
    send_reboot,
)
from pbxlab.extensions.store import ExtensionStore
from pbxlab.extensions.validation import mac_address


def _pick_phone(ext: Extension, mac: str | None) -> Phone | None:
    if mac is not None:
        wanted = mac_address(mac)
        for phone in ext.phones:
            if phone.mac == wanted:
                return phone
        raise NotFoundError(f"extension {ext.number} has no phone {wanted}")
    with_contact = [p for p in ext.phones if p.contact]
    candidates = with_contact or ext.phones
    return candidates[0] if candidates else None


def reboot_phone(
    store: ExtensionStore,
    number: str,
    *,
    mac: str | None = None,
    contact: str | None = None,
    timeout: float = DEFAULT_TIMEOUT,
) -> RebootResult:
    """Reboot the phone of extension ``number`` with a SIP NOTIFY; returns its answer.

    The phone is ``mac`` or the first phone with a registered contact;
    ``contact`` overrides the stored one (e.g. taken from a capture).  The NOTIFY
    variant comes from the phone's model/User-Agent; a digest challenge is
    answered with the extension's credentials.  Raises NotFoundError,
    PhoneActionError (no contact to send to).
    """
    ext = store.get(number)
    phone = _pick_phone(ext, mac)
    target_contact = contact or (phone.contact if phone else None)
    if not target_contact:
        raise PhoneActionError(
            f"extension {number} has no registered contact on record; pass the contact "
            f"seen in a capture or log (e.g. --contact sip:{number}@192.0.2.10:5060)"
        )
    source = phone.source if phone is not None and contact is None else None
    target = notify_target(target_contact, source)
    variant = reboot_event(phone.model if phone else None, phone.user_agent if phone else None)
    result = send_reboot(
        target,
        event=variant.event,
        vendor=variant.vendor,
        username=ext.sip_username,
        password=ext.sip_password,
        timeout=timeout,
    )
    store.record_action(
        "reboot",
        "phone" if phone else "extension",
        phone.mac if phone else number,
        {"event": [None, variant.event], "outcome": [None, result.outcome]},
    )
    return result


def view_configuration(
    store: ExtensionStore, number: str, mac: str | None = None, *, include_secrets: bool = False
) -> PhoneConfig:
    """The provisioning file of a phone of extension ``number`` (password masked unless asked).

    Raises NotFoundError (no such extension/phone, or no phone at all) and
    UnsupportedPhoneError (model without template).
    """
    ext = store.get(number)
    phone = _pick_phone(ext, mac)
    if phone is None:
        raise NotFoundError(f"extension {number} has no phone")
    profile = store.profile(phone.profile) if phone.profile else None
    config = render_config(
        ext, phone, profile, store.tenant_defaults(), include_secrets=include_secrets
    )
    if include_secrets:
        store.record_action("view_configuration_secrets", "phone", phone.mac)
    return config
