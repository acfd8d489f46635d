"""Rendering edge cases: a tenant with no evidence, names that need escaping."""

from __future__ import annotations

from pbxlab.analysis import analyze
from pbxlab.batch import TenantResult as Tenant
from pbxlab.report.build import build_tenant_report, slug
from pbxlab.report.html import render_index_html, render_tenant_html
from pbxlab.report.write import ranking, summary
from pbxlab.tables import FINDINGS


def test_a_tenant_without_evidence_renders_every_section():
    report = build_tenant_report(Tenant("empty", analyze(), FINDINGS.empty(), ()))
    assert report.health.score == 100 and report.health.reasons == ()
    page = render_tenant_html(report)
    assert "No extension in the evidence." in page
    assert "Nothing to deduct" in page
    assert page.count('class="figure"') == 5  # each figure explains why it is empty


def test_names_are_escaped_and_directories_safe():
    name = "<b>acme</b> & co/../x"
    report = build_tenant_report(Tenant(name, analyze(), FINDINGS.empty(), ()))
    assert report.slug == slug(name) == "b_acme_b_co_.._x"
    page = render_tenant_html(report)
    assert "<b>acme</b>" not in page and "&lt;b&gt;acme&lt;/b&gt; &amp; co" in page
    index = render_index_html(ranking([summary(report)]))
    assert "<b>acme</b>" not in index
    assert 'href="b_acme_b_co_.._x/report.html"' in index


def test_ranking_breaks_ties_by_findings_then_name():
    rows = [
        {
            "tenant": t,
            "directory": t,
            "score": s,
            "grade": "g",
            "critical": c,
            "warning": w,
            "info": 0,
            "extensions": 1,
            "main_reason": "",
        }
        for t, s, c, w in [
            ("b", 50, 1, 0),
            ("a", 50, 1, 0),
            ("c", 50, 2, 0),
            ("d", 40, 0, 0),
            ("e", 50, 1, 3),
        ]
    ]
    assert ranking(rows)["tenant"].tolist() == ["d", "c", "e", "a", "b"]
    assert ranking(rows)["rank"].tolist() == [1, 2, 3, 4, 5]
