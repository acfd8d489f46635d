"""View configuration: provisioning files rendered from the extension and its profile."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from pbxlab.errors import InputError, NotFoundError
from pbxlab.extensions import (
    Extension,
    ExtensionStore,
    ProvisioningProfile,
    TenantDefaults,
    render_config,
    validated,
    view_configuration,
)
from pbxlab.extensions.provisioning import UnsupportedPhoneError

PASSWORD = "s3cr3t-Passw0rd"


@pytest.fixture
def alice() -> Extension:
    return validated(
        Extension, number="201", name='Alice "Al" <Smith> & Co', sip_password=PASSWORD,
        phones=[{"mac": "00:15:65:1a:2b:3c", "model": "Yealink T46S"},
                {"mac": "00:04:f2:11:22:33", "model": "Polycom VVX 450"},
                {"mac": "00:04:13:44:55:66", "model": "Snom D785"}],
    )  # fmt: skip


PROFILE = ProvisioningProfile(
    name="office", sip_server="pbx.example.com", sip_port=5080, transport="tcp",
    registration_expires=120, timezone="America/New_York",
)  # fmt: skip


def _cfg(text: str) -> dict[str, str]:
    pairs = [line.split(" = ", 1) for line in text.splitlines() if " = " in line]
    return {key: value for key, value in pairs}


def test_yealink_cfg(alice: Extension) -> None:
    config = render_config(alice, alice.phones[0], PROFILE)
    assert (config.vendor, config.filename) == ("yealink", "0015651a2b3c.cfg")
    settings = _cfg(config.content)
    assert settings["account.1.user_name"] == "201"
    assert settings["account.1.password"] == "********"
    assert settings["account.1.sip_server.1.address"] == "pbx.example.com"
    assert settings["account.1.sip_server.1.port"] == "5080"
    assert settings["account.1.sip_server.1.transport_type"] == "1"  # TCP
    assert settings["account.1.sip_server.1.expires"] == "120"
    assert settings["local_time.time_zone"] == "-5"
    assert settings["voice_mail.number.1"] == "201"
    assert config.content.startswith("#!version:1.0.0.1\n")
    assert PASSWORD not in config.content


def test_polycom_xml_is_escaped_and_parses(alice: Extension) -> None:
    config = render_config(alice, alice.phones[1], PROFILE, include_secrets=True)
    assert (config.vendor, config.filename) == ("polycom", "0004f2112233-pbxlab.cfg")
    element = ET.fromstring(config.content.encode()).find("ALL")
    assert element is not None
    assert element.get("reg.1.displayName") == 'Alice "Al" <Smith> & Co'
    assert element.get("reg.1.auth.password") == PASSWORD
    assert element.get("reg.1.server.1.transport") == "TCPOnly"
    assert element.get("tcpIpApp.sntp.gmtOffset") == "-18000"


def test_defaults_fill_in_without_a_profile(alice: Extension) -> None:
    config = render_config(alice, alice.phones[0], None, TenantDefaults(sip_domain="acme.example"))
    settings = _cfg(config.content)
    assert settings["account.1.sip_server.1.address"] == "acme.example"
    assert settings["local_time.time_zone"] == "+0"


def test_unsupported_model(alice: Extension) -> None:
    with pytest.raises(UnsupportedPhoneError, match="no provisioning template for 'Snom D785'"):
        render_config(alice, alice.phones[2])


def test_line_breaks_cannot_inject_settings(alice: Extension) -> None:
    profile = PROFILE.model_copy(update={"ntp_server": "ntp.example\naccount.1.password = x"})
    with pytest.raises(InputError, match="line break"):
        render_config(alice, alice.phones[0], profile)


def test_view_configuration_from_the_store(tmp_path: Path, alice: Extension) -> None:
    with ExtensionStore.open(tmp_path / "t.db") as store:
        store.put_profile(PROFILE)
        phones = [p.model_copy(update={"profile": "office"}) for p in alice.phones]
        store.add(alice.model_copy(update={"phones": phones}))
        config = view_configuration(store, "201", "00-04-F2-11-22-33")
        assert config.vendor == "polycom" and "pbx.example.com" in config.content
        assert view_configuration(store, "201").vendor == "yealink"
        with pytest.raises(NotFoundError, match="no phone 00:04:f2:99:99:99"):
            view_configuration(store, "201", "00:04:f2:99:99:99")
        view_configuration(store, "201", include_secrets=True)
        assert list(store.audit_log("00:15:65:1a:2b:3c")["action"]) == [
            "view_configuration_secrets"
        ]
