"""Analysis: derived tables and the findings that say why (issue 4)."""

from pbxlab.analysis.findings import DiagnosisPolicy, diagnose

__all__ = ["DiagnosisPolicy", "diagnose"]
