"""Everything that ingests evidence: packet captures (and, later, registrar logs)."""
