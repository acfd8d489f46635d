"""A tenant's extensions: model, validation, store, bulk operations and phone actions.

See docs/extensions.md.  Typical use::

    from pbxlab.extensions import ExtensionStore, Extension

    with ExtensionStore.open("tenant.db") as store:
        store.add(Extension(number="201", name="Alice"))
        store.update("201", {"voicemail.enabled": "false"})
        table = store.table(search="ali")
"""

from pbxlab.extensions.actions import reboot_phone, view_configuration
from pbxlab.extensions.bulk import IMPORT_REPORT, ImportReport
from pbxlab.extensions.credentials import generate_password
from pbxlab.extensions.fields import FIELD_NAMES, apply_changes, flatten
from pbxlab.extensions.importers import (
    IMPORT_ERRORS,
    ImportResult,
    parse_freepbx_csv,
    parse_pjsip_conf,
)
from pbxlab.extensions.listing import EXTENSION_LIST, join_status
from pbxlab.extensions.model import (
    CallerIdSettings,
    Did,
    DirectorySettings,
    Extension,
    FmfmDestination,
    FmfmSettings,
    Phone,
    ProvisioningProfile,
    RingGroup,
    TenantDefaults,
    VoicemailBox,
    VoicemailSettings,
    validated,
)
from pbxlab.extensions.provisioning import PhoneConfig, render_config
from pbxlab.extensions.reboot import RebootResult, reboot_event, send_reboot
from pbxlab.extensions.references import Reference
from pbxlab.extensions.store import ExtensionStore, RenumberResult
from pbxlab.extensions.validation import TenantIndex, check_references

__all__ = [
    "EXTENSION_LIST",
    "FIELD_NAMES",
    "IMPORT_ERRORS",
    "IMPORT_REPORT",
    "CallerIdSettings",
    "Did",
    "DirectorySettings",
    "Extension",
    "ExtensionStore",
    "FmfmDestination",
    "FmfmSettings",
    "ImportReport",
    "ImportResult",
    "Phone",
    "PhoneConfig",
    "ProvisioningProfile",
    "RebootResult",
    "Reference",
    "RenumberResult",
    "RingGroup",
    "TenantDefaults",
    "TenantIndex",
    "VoicemailBox",
    "VoicemailSettings",
    "apply_changes",
    "check_references",
    "flatten",
    "generate_password",
    "join_status",
    "parse_freepbx_csv",
    "parse_pjsip_conf",
    "reboot_event",
    "reboot_phone",
    "render_config",
    "send_reboot",
    "validated",
    "view_configuration",
]
