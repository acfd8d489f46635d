"""Bulk import then export of 10,000 extensions (FreePBX needs minutes per few hundred).

Builds a realistic tenant CSV (names, voicemail with PIN and e-mail, FMFM to a
neighbour and a mobile, one phone each with a profile), imports it into a
fresh store (validation of every row, one transaction, audit entries), exports
it back, and prints the times.  Default store: a SQLite file in a temporary
directory; ``--db URL`` for another database (e.g. PostgreSQL).

    python benchmarks/bench_extensions.py [--count 10000] [--db URL]
"""

from __future__ import annotations

import argparse
import csv
import io
import tempfile
import time
from pathlib import Path

from pbxlab.extensions import FIELD_NAMES, ExtensionStore, ProvisioningProfile


def tenant_csv(count: int) -> str:
    """CSV text of ``count`` extensions numbered from 100000, every field group used."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(FIELD_NAMES), lineterminator="\n")
    writer.writeheader()
    first = 100000
    for i in range(count):
        number = first + i
        neighbour = first + (i + 1) % count
        writer.writerow(
            {
                "number": str(number),
                "name": f"User {number}",
                "sip_username": f"u{number}",
                "sip_password": f"pw-{number:08d}-benchmark",
                "ring_timeout": "30",
                "voicemail.enabled": "true",
                "voicemail.pin": f"{number % 10000:04d}",
                "voicemail.email_recipients": f"user{number}@example.com",
                "fmfm.enabled": "true",
                "fmfm.strategy": "sequential",
                "fmfm.destinations": f"extension:{neighbour}@15;external:+1555{number:07d}@25",
                "caller_id.outbound_did": f"+1613{number:07d}",
                "directory.include": "true",
                "phones": f"00:15:65:{i >> 16 & 255:02x}:{i >> 8 & 255:02x}:{i & 255:02x}"
                "|Yealink T46S|office",
            }
        )
    return out.getvalue()


def main() -> None:
    """Run the benchmark and print the timings."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--count", type=int, default=10_000)
    parser.add_argument("--db", help="SQLAlchemy URL (default: a temporary SQLite file)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        url = args.db or f"sqlite:///{Path(tmp) / 'bench.db'}"
        text = tenant_csv(args.count)
        with ExtensionStore.open(url, actor="benchmark") as store:
            store.put_profile(ProvisioningProfile(name="office"))
            start = time.perf_counter()
            dry = store.import_csv(text, dry_run=True)
            dry_s = time.perf_counter() - start
            assert dry.ok and not dry.applied
            start = time.perf_counter()
            report = store.import_csv(text)
            import_s = time.perf_counter() - start
            assert report.ok and report.created == args.count, report.errors.head()
            start = time.perf_counter()
            exported = store.export_csv(include_secrets=True)
            export_s = time.perf_counter() - start
            start = time.perf_counter()
            again = store.import_csv(exported)
            reimport_s = time.perf_counter() - start
            assert again.ok and again.updated == args.count
            assert exported.count("\n") == args.count + 1
        print(f"store:            {url.split('://')[0]}")
        print(f"extensions:       {args.count}")
        print(f"dry-run import:   {dry_s:6.2f} s  (validation only)")
        print(f"import:           {import_s:6.2f} s  ({args.count / import_s:,.0f}/s)")
        print(f"export:           {export_s:6.2f} s  ({args.count / export_s:,.0f}/s)")
        print(f"re-import (same): {reimport_s:6.2f} s  (every row an unchanged update)")


if __name__ == "__main__":
    main()
