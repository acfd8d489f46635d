"""``pbxlab report`` of the bundled samples and a corpus log: what the pages and files say."""

from __future__ import annotations

import json
from html.parser import HTMLParser
from pathlib import Path

import pandas as pd
import pytest
from markupsafe import escape

from pbxlab.analysis.status import STATUS_CHANGES
from pbxlab.batch import UNMAPPED
from pbxlab.cli.app import main
from pbxlab.cli.diagnose import to_records
from pbxlab.report.health import HealthPolicy, health
from pbxlab.tables import STATUS
from tests.report.conftest import LAB_TENANT

TENANT_FILES = {
    "report.html",
    "findings.json",
    "findings.csv",
    "health.json",
    "extensions.csv",
    "status.parquet",
    "transitions.parquet",
}


class _Links(HTMLParser):
    """Every src/href attribute of a page, and its table rows' data-* attributes."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.scripts_with_src: list[str] = []
        self.rows: list[dict[str, str]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {k: v or "" for k, v in attrs}
        self.links += [values[k] for k in ("src", "href") if k in values]
        if tag == "script" and "src" in values:
            self.scripts_with_src.append(values["src"])
        if tag == "tr" and any(k.startswith("data-") for k in values):
            self.rows.append(values)


def _esc(text: str) -> str:
    """``text`` as the (Jinja2-autoescaped) page writes it."""
    return str(escape(text))


def _parse(page: Path) -> _Links:
    parser = _Links()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def _tenants(report_dir: Path) -> list[dict[str, object]]:
    return json.loads((report_dir / "tenants.json").read_text())


def _page(report_dir: Path, tenant: str) -> str:
    directory = next(t["directory"] for t in _tenants(report_dir) if t["tenant"] == tenant)
    return (report_dir / str(directory) / "report.html").read_text(encoding="utf-8")


def _findings(report_dir: Path, tenant: str) -> list[dict[str, object]]:
    directory = next(t["directory"] for t in _tenants(report_dir) if t["tenant"] == tenant)
    return json.loads((report_dir / str(directory) / "findings.json").read_text())


def test_every_tenant_has_its_page_and_files(report_dir):
    tenants = _tenants(report_dir)
    assert {t["tenant"] for t in tenants} == {
        LAB_TENANT,
        "upbsml.onsip.com",
        "263734",
        "192.168.43.100",
        "bestel.com",
        UNMAPPED,  # the log's attacker and a capture without a REGISTER name no tenant
    }
    for tenant in tenants:
        files = {p.name for p in (report_dir / str(tenant["directory"])).iterdir()}
        assert files == TENANT_FILES
    assert (report_dir / "index.html").is_file()


def test_index_ranks_the_least_healthy_tenant_first(report_dir):
    tenants = _tenants(report_dir)
    scores = [int(str(t["score"])) for t in tenants]
    assert scores == sorted(scores)
    assert [t["rank"] for t in tenants] == list(range(1, len(tenants) + 1))
    # the lab (flapping, NAT, scanner, one-way audio...) is far worse than the clean X-Lite call
    names = [t["tenant"] for t in tenants]
    assert names.index(LAB_TENANT) < names.index("bestel.com")
    assert tenants[0]["grade"] == "unhealthy"
    # the index page lists them in that order, each linking to its page
    rows = [r["data-tenant"] for r in _parse(report_dir / "index.html").rows]
    assert rows == names
    links = _parse(report_dir / "index.html").links
    assert links == [f"{t['directory']}/report.html" for t in tenants]


def test_the_flapping_extension_shows_with_its_finding_and_action(report_dir):
    flapping = [f for f in _findings(report_dir, LAB_TENANT) if f["code"] == "FLAPPING"]
    assert {f["extension"] for f in flapping} >= {"210"}
    page = _page(report_dir, LAB_TENANT)
    for finding in flapping:
        assert _esc(str(finding["summary"])) in page
        assert _esc(str(finding["action"])) in page
    extensions = [
        r["data-extension"]
        for r in _parse(report_dir / LAB_TENANT / "report.html").rows
        if "data-extension" in r
    ]
    assert "210" in extensions
    table = pd.read_csv(report_dir / LAB_TENANT / "extensions.csv", dtype={"extension": str})
    row = table.set_index("extension").loc["210"]
    assert row["worst_severity"] in {"warning", "critical"}
    assert row["transitions"] > 0


def test_health_json_and_page_give_the_score_and_its_reasons(report_dir, sample_tenants):
    lab = sample_tenants[LAB_TENANT]
    expected = health(
        lab.findings, lab.analysis.reliability, lab.analysis.calls, lab.analysis.rtp_streams
    )
    written = json.loads((report_dir / LAB_TENANT / "health.json").read_text())
    assert written["score"] == expected.score
    assert [r["text"] for r in written["reasons"]] == [r.text for r in expected.reasons]
    page = _page(report_dir, LAB_TENANT)
    assert f'id="health-score">{expected.score}</span>' in page
    for reason in expected.reasons:
        assert _esc(reason.text) in page
    assert _esc(HealthPolicy().describe()) in page
    assert "FLAPPING" in {r["code"] for r in written["reasons"]}


def test_every_finding_of_diagnose_appears(report_dir, diagnosed):
    diagnosed = to_records(diagnosed)  # as `pbxlab diagnose --format json` prints them
    assert diagnosed
    reported = {t["tenant"]: _findings(report_dir, str(t["tenant"])) for t in _tenants(report_dir)}
    for finding in diagnosed:
        holders = [name for name, found in reported.items() if finding in found]
        assert holders, f"not in any tenant's findings.json: {finding}"
        for name in holders:
            assert _esc(str(finding["summary"])) in _page(report_dir, name)
    # nothing invented: each tenant's findings are diagnose's
    for found in reported.values():
        assert all(f in diagnosed for f in found)


def test_security_section_lists_the_scanner_and_the_brute_force(report_dir):
    lab_page = _page(report_dir, LAB_TENANT)
    security = lab_page[lab_page.index('id="security"') :]
    assert "127.0.0.66" in security  # the lab scanner
    logs_page = _page(report_dir, UNMAPPED)
    security = logs_page[logs_page.index('id="security"') :]
    assert "BRUTE_FORCE" in security and "172.17.0.1" in security


def test_pages_reference_nothing_outside_the_report(report_dir):
    pages = [report_dir / "index.html", *report_dir.glob("*/report.html")]
    for page in pages:
        parsed = _parse(page)
        assert parsed.scripts_with_src == [], page
        external = [link for link in parsed.links if link.startswith(("http:", "https:", "//"))]
        assert external == [], page
        text = page.read_text(encoding="utf-8")
        assert "<link" not in text  # no stylesheet or font from anywhere
    for page in report_dir.glob("*/report.html"):
        # plotly.js is embedded, once per page
        assert page.read_text(encoding="utf-8").count("* plotly.js v") == 1, page


def test_findings_files_have_diagnose_shapes(report_dir):
    found = _findings(report_dir, LAB_TENANT)
    assert set(found[0]) == {
        "extension",
        "domain",
        "source",
        "code",
        "severity",
        "first_seen",
        "last_seen",
        "summary",
        "action",
        "evidence",
    }
    assert all(str(f["first_seen"]).endswith("Z") for f in found if f["first_seen"])
    table = pd.read_csv(report_dir / LAB_TENANT / "findings.csv")
    assert len(table) == len(found)
    assert table["code"].tolist() == [f["code"] for f in found]


def test_status_and_transitions_parquet_follow_their_schemas(report_dir, sample_tenants):
    lab = sample_tenants[LAB_TENANT]
    status = pd.read_parquet(report_dir / LAB_TENANT / "status.parquet")
    STATUS.validate(status)
    pd.testing.assert_frame_equal(status, lab.analysis.status)
    transitions = pd.read_parquet(report_dir / LAB_TENANT / "transitions.parquet")
    STATUS_CHANGES.validate(transitions)
    assert len(transitions) == len(lab.analysis.transitions)


@pytest.mark.parametrize(
    ("fail_on", "code"),
    [
        (None, 0),
        ("critical", 0),
        ("warning", 0),
        ("info", 1),  # lab-two-phones: one MULTIPLE_PHONES (info) finding
    ],
)
def test_fail_on_exits_1_when_a_finding_reaches_it(tmp_path, sample_files, capsys, fail_on, code):
    two_phones = [str(p) for p in sample_files if p.name == "lab-two-phones.pcap"]
    out = tmp_path / "out"
    args = ["--fail-on", fail_on] if fail_on else []
    assert main(["report", *two_phones, "-o", str(out), "--no-cache", *args]) == code
    assert capsys.readouterr().out.strip() == str(out / "index.html")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--fail-on", "fatal"], "unknown --fail-on 'fatal'"),
        (["missing.pcap"], "no such file"),
    ],
)
def test_bad_input_exits_2_with_a_message(tmp_path, sample_files, capsys, args, message):
    inputs = [] if args[0] == "missing.pcap" else [str(sample_files[0])]
    code = main(["report", *inputs, *args, "-o", str(tmp_path / "out")])
    assert code == 2
    assert message in capsys.readouterr().err


def test_output_that_is_a_file_exits_2(tmp_path, sample_files, capsys):
    target = tmp_path / "taken"
    target.write_text("")
    assert main(["report", str(sample_files[0]), "-o", str(target)]) == 2
    assert "-o must be a directory" in capsys.readouterr().err
