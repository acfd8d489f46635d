"""Property tests: any valid extension survives its text form and a CSV round trip."""

from __future__ import annotations

import string

from hypothesis import given, reject, settings
from hypothesis import strategies as st

from pbxlab.errors import ValidationError
from pbxlab.extensions import Extension, validated
from pbxlab.extensions.bulk import export_csv, read_csv
from pbxlab.extensions.fields import flatten, from_flat
from pbxlab.extensions.validation import mac_address

# Printable text without control characters: commas, quotes, semicolons, accents...
names = st.text(
    alphabet=st.characters(blacklist_categories=("Cc", "Cs", "Zl", "Zp")), min_size=1, max_size=40
).filter(lambda s: s.strip() == s and s.strip())
numbers = st.integers(min_value=10, max_value=9_999_999).map(str)
e164 = st.integers(min_value=10**7, max_value=10**14 - 1).map(lambda n: f"+{n}")
# unicast (multicast bit 40 cleared) and not all zero: the only MACs a phone can have
macs = (
    st.integers(min_value=1, max_value=2**48 - 1)
    .map(lambda n: n & ~(1 << 40))
    .filter(lambda n: n != 0)
    .map(lambda n: ":".join(f"{n >> s & 255:02x}" for s in range(40, -8, -8)))
)
passwords = st.text(alphabet=string.ascii_letters + "!#$%&*+-.=?@^_", min_size=8, max_size=40)
emails = st.sampled_from(["a@example.com", "x.y@example.org", "Ünïcode@example.net"])
words = st.text(alphabet=string.ascii_letters + string.digits + " -.", min_size=1, max_size=20)


@st.composite
def extensions(draw: st.DrawFn) -> Extension:
    number = draw(numbers)
    destinations = draw(
        st.lists(
            st.fixed_dictionaries(
                {"kind": st.just("external"), "target": e164,
                 "ring_timeout": st.integers(5, 120)}
            ),
            max_size=3,
        )
    )  # fmt: skip
    data = {
        "number": number,
        "name": draw(names),
        "ring_timeout": draw(st.integers(5, 300)),
        "sip_password": draw(passwords),
        "voicemail": {
            "enabled": draw(st.booleans()),
            "pin": draw(st.none() | st.from_regex(r"[0-9]{4,10}", fullmatch=True)),
            "email_recipients": draw(st.lists(emails, max_size=2)),
        },
        "fmfm": {"enabled": bool(destinations), "destinations": destinations},
        "caller_id": {"outbound_did": draw(st.none() | e164), "cnam": draw(st.none() | words)},
        "directory": {"first_name": draw(st.none() | names)},
        "phones": [
            {"mac": mac, "model": f"Yealink {draw(words)}"}
            for mac in draw(st.lists(macs, max_size=2, unique=True))
        ],
    }
    try:
        return validated(Extension, **data)
    except ValidationError:
        # e.g. a CNAM that strips to empty: not a valid extension, draw another
        reject()


@given(extensions())
@settings(max_examples=60, deadline=None)
def test_text_form_round_trip(ext: Extension) -> None:
    assert from_flat(flatten(ext, include_secrets=True)) == ext


@given(st.lists(extensions(), min_size=1, max_size=4, unique_by=lambda e: e.number))
@settings(max_examples=30, deadline=None)
def test_csv_round_trip(exts: list[Extension]) -> None:
    rows = read_csv(export_csv(exts, include_secrets=True))
    assert [from_flat(dict(row.cells)) for row in rows] == exts


@given(macs)
def test_mac_notations_normalise_alike(mac: str) -> None:
    digits = mac.replace(":", "")
    cisco = f"{digits[:4]}.{digits[4:8]}.{digits[8:]}".upper()
    assert mac_address(cisco) == mac_address(mac.replace(":", "-")) == mac_address(digits) == mac
