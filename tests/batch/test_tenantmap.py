"""Tenant mapping files: TOML and CSV rules, matching and the errors that name the line."""

from __future__ import annotations

from pathlib import Path

import pytest

from pbxlab.batch import UNMAPPED, load_tenant_map
from pbxlab.batch.tenantmap import parse_csv_map, parse_toml_map
from pbxlab.errors import InputError

TOML = """
[tenants.acme]
domains = ["acme.example.com", "*.acme.example"]
networks = ["203.0.113.0/24", "2001:db8:1::/48"]

[tenants.beta]
domains = ["Beta.Example.NET"]
networks = ["203.0.113.128/25", "198.51.100.7"]
"""

CSV = """match,tenant
acme.example.com,acme
*.acme.example,acme
# a comment line
203.0.113.0/24,acme

2001:db8:1::/48,acme
beta.example.net,beta
203.0.113.128/25,beta
198.51.100.7,beta
"""


@pytest.mark.parametrize("tenant_map", [parse_toml_map(TOML), parse_csv_map(CSV)])
@pytest.mark.parametrize(
    ("domain", "tenant"),
    [
        ("acme.example.com", "acme"),
        ("ACME.example.com.", "acme"),
        ("pbx.acme.example", "acme"),
        ("a.b.acme.example", "acme"),
        ("acme.example", None),  # *.acme.example covers subdomains only
        ("beta.example.net", "beta"),
        ("example.net", None),
    ],
)
def test_domains_map_case_insensitively_with_wildcards(tenant_map, domain, tenant) -> None:
    assert tenant_map.tenant_of_domain(domain) == tenant


@pytest.mark.parametrize("tenant_map", [parse_toml_map(TOML), parse_csv_map(CSV)])
@pytest.mark.parametrize(
    ("address", "tenant"),
    [
        ("203.0.113.5", "acme"),
        ("203.0.113.200", "beta"),  # the /25 is more specific than the /24
        ("198.51.100.7", "beta"),
        ("198.51.100.8", None),
        ("[2001:db8:1::5]", "acme"),
        ("2001:db8:2::5", None),
        ("not-an-address", None),
    ],
)
def test_addresses_map_to_the_most_specific_network(tenant_map, address, tenant) -> None:
    assert tenant_map.tenant_of_address(address) == tenant


def test_both_formats_give_the_same_map() -> None:
    assert parse_toml_map(TOML) == parse_csv_map(CSV)
    assert parse_toml_map(TOML).tenants == ["acme", "beta"]


@pytest.mark.parametrize(
    ("text", "parse", "match"),
    [
        ("match,tenant\nacme.example,a\nACME.example,b\n", parse_csv_map, r"line 3.*two tenants"),
        ("match,tenant\n10.0.0.0/8,a\n10.1.2.3/8,b\n", parse_csv_map, r"'10.0.0.0/8'.*two tenants"),
        ("match,tenant\nbad domain!,a\n", parse_csv_map, r"line 2.*neither a domain"),
        ("match,tenant\nacme.example\n", parse_csv_map, r"line 2.*expected 'match,tenant'"),
        ("match,tenant\nacme.example, \n", parse_csv_map, "empty tenant name"),
        ("match,tenant\nacme.example,(unmapped)\n", parse_csv_map, "reserved"),
        ("domain,who\nacme.example,a\n", parse_csv_map, r"line 1.*header 'match,tenant'"),
        ("", parse_csv_map, "header"),
        ("[tenants.a]\ndomains = [\n", parse_toml_map, "not valid TOML"),
        ("[tenant.a]\ndomains = ['x.example']\n", parse_toml_map, "unknown top-level keys"),
        ("title = 'x'\n", parse_toml_map, "unknown top-level keys"),
        ("[tenants.a]\nhosts = ['x.example']\n", parse_toml_map, r"\[tenants.a\].*unknown keys"),
        ("[tenants.a]\ndomains = 'x.example'\n", parse_toml_map, "must be a list of strings"),
        ("[tenants.a]\nnetworks = ['x.example']\n", parse_toml_map, "not an IP address"),
        ("[tenants.a]\ndomains = ['10.0.0.0/8']\n", parse_toml_map, "list it under networks"),
        ("match,tenant,kind\n10.0.0.1,a,host\n", parse_csv_map, "unknown kind 'host'"),
        ("match,tenant,kind\nx.example,a,network\n", parse_csv_map, "not an IP address"),
        (
            "[tenants.a]\ndomains = ['x.example']\n[tenants.b]\ndomains = ['x.example']\n",
            parse_toml_map,
            r"\[tenants.b\].*two tenants: 'a' and 'b'",
        ),
    ],
)
def test_bad_maps_are_refused_naming_where(text, parse, match) -> None:
    with pytest.raises(InputError, match=match):
        parse(text, "map")


def test_a_sip_domain_written_as_an_address_is_a_domain_when_said_so() -> None:
    from_toml = parse_toml_map(
        "[tenants.lab]\ndomains = ['192.0.2.10']\nnetworks = ['192.0.2.0/24']\n"
    )
    from_csv = parse_csv_map("match,tenant,kind\n192.0.2.10,lab,domain\n192.0.2.0/24,lab,\n")
    assert from_toml == from_csv
    assert from_csv.tenant_of_domain("192.0.2.10") == "lab"
    assert from_csv.tenant_of_address("192.0.2.99") == "lab"
    assert parse_csv_map("match,tenant\n192.0.2.10,lab\n").tenant_of_domain("192.0.2.10") is None


def test_the_unmapped_name_is_reserved() -> None:
    with pytest.raises(InputError, match="reserved"):
        parse_toml_map(f'[tenants."{UNMAPPED}"]\ndomains = ["x.example"]\n')


def test_load_reads_by_extension(tmp_path: Path) -> None:
    (tmp_path / "map.toml").write_text(TOML)
    (tmp_path / "map.csv").write_text(CSV)
    assert load_tenant_map(tmp_path / "map.toml") == load_tenant_map(tmp_path / "map.csv")
    (tmp_path / "map.yaml").write_text("acme: x")
    with pytest.raises(InputError, match=r"map.yaml.*\.toml or \.csv"):
        load_tenant_map(tmp_path / "map.yaml")
    with pytest.raises(InputError, match=r"missing.toml.*no such file"):
        load_tenant_map(tmp_path / "missing.toml")
