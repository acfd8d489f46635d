"""Re-record the lab's sample captures: sample_pcaps/lab-<scenario>.pcap.

Runs every scenario of lab/catalog.py (or those named on the command line)
with lab/run_scenario.py and writes its capture into sample_pcaps/.  Before a
capture replaces the committed one it is read back with pbxlab and checked:
it must hold SIP, and every address in it (signalling and RTP) must be on
loopback.  Prints the Kamailio and SIPp versions for sample_pcaps/README.md.

    python -m lab.record_samples            # all scenarios (about two minutes)
    python -m lab.record_samples nat call   # some of them
"""

from __future__ import annotations

import argparse
import ipaddress
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

import pbxlab
from lab.catalog import SCENARIOS, get_scenario
from lab.run_scenario import REPO, LabError, run_scenario

SAMPLES = REPO / "sample_pcaps"


def tool_versions() -> str:
    """'kamailio X, SIPp vY' as the installed programs report them."""
    kamailio = subprocess.run(
        ["kamailio", "-v"], capture_output=True, text=True, check=False, timeout=10
    ).stdout
    sipp = subprocess.run(["sipp", "-v"], capture_output=True, text=True, check=False, timeout=10)
    kamailio_version = re.search(r"kamailio (\S+)", kamailio)
    sipp_version = re.search(r"SIPp (v\S+?)\.?\s", sipp.stdout + sipp.stderr + " ")
    return (
        f"kamailio {kamailio_version.group(1) if kamailio_version else '?'}, "
        f"SIPp {sipp_version.group(1) if sipp_version else '?'}"
    )


def check_capture(pcap: Path) -> int:
    """Number of SIP messages in ``pcap``; raises LabError if any address is off loopback."""
    capture = pbxlab.read_capture(pcap, strict=True)
    if capture.messages.empty:
        raise LabError(f"{pcap}: no SIP message captured")
    addresses = set(capture.messages["src"].astype(str)) | set(capture.messages["dst"].astype(str))
    if not capture.rtp_streams.empty:
        addresses |= set(capture.rtp_streams["src"].astype(str))
        addresses |= set(capture.rtp_streams["dst"].astype(str))
    outside = sorted(a for a in addresses if not ipaddress.ip_address(a).is_loopback)
    if outside:
        raise LabError(f"{pcap}: packets with non-loopback addresses {outside}")
    return len(capture.messages)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("scenarios", nargs="*", help=f"default: all ({', '.join(SCENARIOS)})")
    parser.add_argument("--out-dir", type=Path, default=SAMPLES)
    args = parser.parse_args(argv)
    names = args.scenarios or list(SCENARIOS)
    print(f"recording with {tool_versions()}", file=sys.stderr)
    try:
        for name in names:
            scenario = get_scenario(name)
            # Kept (and named in the error) when the run fails.
            work = Path(tempfile.mkdtemp(prefix=f"pbxlab-record-{name}-"))
            pcap = run_scenario(name, work / scenario.sample_file, workdir=work)
            count = check_capture(pcap)
            target = args.out_dir / scenario.sample_file
            shutil.copyfile(pcap, target)
            shutil.rmtree(work)
            print(f"{target}: {count} SIP messages ({scenario.title})", file=sys.stderr)
    except (LabError, KeyError) as exc:
        print(f"record_samples: {exc}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
