"""Digest authentication against the RFCs' own worked examples."""

from __future__ import annotations

import pytest
from pydantic import SecretStr

from pbxlab.extensions.digest import Challenge, DigestError, authorization, parse_challenge


def _response(header: str) -> str:
    return header.split('response="')[1].split('"', maxsplit=1)[0]


def test_rfc2617_md5_qop_auth_example() -> None:
    challenge = parse_challenge(
        'Digest realm="testrealm@host.com", qop="auth,auth-int", '
        'nonce="dcd98b7102dd2f0e8b11d0f600bfb0c093", opaque="5ccc069c403ebaf9f0171e9517f40e41"'
    )
    header = authorization(
        challenge, username="Mufasa", password=SecretStr("Circle Of Life"), method="GET",
        uri="/dir/index.html", cnonce="0a4f113b",
    )  # fmt: skip
    assert _response(header) == "6629fae49393a05397450978507c4ef1"
    assert 'opaque="5ccc069c403ebaf9f0171e9517f40e41"' in header
    assert "qop=auth, nc=00000001" in header
    assert "Circle Of Life" not in header


@pytest.mark.parametrize(
    ("algorithm", "expected"),
    [
        ("MD5", "8ca523f5e9506fed4657c9700eebdbec"),
        ("SHA-256", "753927fa0e85d155564e2e272a28d1802ca10daf4496794697cf8db5856cb6c1"),
    ],
)
def test_rfc7616_examples(algorithm: str, expected: str) -> None:
    challenge = parse_challenge(
        f'Digest realm="http-auth@example.org", qop="auth, auth-int", algorithm={algorithm}, '
        'nonce="7ypf/xlj9XXwfDPEoM4URrv/xwf94BcCAzFZH4GiTo0v", '
        'opaque="FQhe/qaU925kfnzjCev0ciny7QMkPqMAFRtzCUYo5tdS"'
    )
    header = authorization(
        challenge, username="Mufasa", password=SecretStr("Circle of Life"), method="GET",
        uri="/dir/index.html", cnonce="f2/wE4q74E6zIJEtWaHKaf5wv/H5QzzpXusqGemxURZJ",
    )  # fmt: skip
    assert _response(header) == expected


def test_challenge_without_qop_uses_rfc2069_response() -> None:
    challenge = Challenge(realm="asterisk", nonce="1a2b3c")
    header = authorization(
        challenge, username="201", password=SecretStr("pw123456"), method="NOTIFY",
        uri="sip:201@127.0.0.1",
    )  # fmt: skip
    # MD5(MD5("201:asterisk:pw123456"):1a2b3c:MD5("NOTIFY:sip:201@127.0.0.1"))
    assert _response(header) == "f57826bfc7974dd369a02af937b56d08"
    assert "qop" not in header and "cnonce" not in header


@pytest.mark.parametrize(
    ("value", "match"),
    [
        ('Basic realm="x"', "unsupported authentication scheme 'Basic'"),
        ('Digest nonce="abc"', "without realm or nonce"),
    ],
)
def test_unusable_challenges(value: str, match: str) -> None:
    with pytest.raises(DigestError, match=match):
        parse_challenge(value)


@pytest.mark.parametrize(
    ("challenge", "match"),
    [
        (Challenge("r", "n", algorithm="SHA-512-256"), "unsupported digest algorithm"),
        (Challenge("r", "n", qop=("auth-conf",)), "unsupported qop"),
    ],
)
def test_unsupported_variants(challenge: Challenge, match: str) -> None:
    with pytest.raises(DigestError, match=match):
        authorization(challenge, username="u", password=SecretStr("p"), method="NOTIFY", uri="x")
