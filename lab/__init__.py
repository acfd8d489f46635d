"""The pbxlab lab: a real Kamailio registrar and SIPp user agents on loopback.

Test infrastructure, not part of the pbxlab package: lab/catalog.py declares
the scenarios, lab/run_scenario.py runs one inside a private network namespace
and returns its capture, lab/record_samples.py re-records sample_pcaps/lab-*.
See docs/lab.md and lab/SCENARIOS.md.
"""
