"""SIP digest authentication (RFC 3261 §22, RFC 2617, RFC 7616): answering a challenge.

Strategy: :func:`parse_challenge` reads a ``WWW-Authenticate`` /
``Proxy-Authenticate`` value (the comma-separated ``key=value`` list is split
by the standard library's HTTP list parser); :func:`authorization` computes
the ``Authorization`` value for one request.  MD5 and SHA-256 (with their
``-sess`` variants) and qop ``auth`` / ``auth-int`` are supported; the
password is taken from a ``SecretStr`` and never returned or logged.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from urllib.request import parse_http_list, parse_keqv_list

from pydantic import SecretStr

from pbxlab.errors import InputError

_HASHES: dict[str, Callable[[bytes], str]] = {
    "MD5": lambda data: hashlib.md5(data, usedforsecurity=False).hexdigest(),
    "SHA-256": lambda data: hashlib.sha256(data).hexdigest(),
}


class DigestError(InputError):
    """A digest challenge pbxlab cannot answer (unknown scheme, algorithm or qop)."""


@dataclass(frozen=True, slots=True)
class Challenge:
    """The parameters of one Digest challenge."""

    realm: str
    nonce: str
    algorithm: str = "MD5"
    qop: tuple[str, ...] = ()
    opaque: str | None = None
    stale: bool = False


def parse_challenge(value: str) -> Challenge:
    """The :class:`Challenge` in a ``WWW-Authenticate`` header value.

    Raises DigestError when the scheme is not Digest or realm/nonce are missing.
    """
    scheme, _, rest = value.strip().partition(" ")
    if scheme.lower() != "digest":
        raise DigestError(f"unsupported authentication scheme {scheme!r}")
    params = {k.lower(): v for k, v in parse_keqv_list(parse_http_list(rest)).items()}
    if "realm" not in params or "nonce" not in params:
        raise DigestError(f"digest challenge without realm or nonce: {value!r}")
    qop = tuple(q.strip() for q in params.get("qop", "").split(",") if q.strip())
    return Challenge(
        realm=params["realm"],
        nonce=params["nonce"],
        algorithm=params.get("algorithm", "MD5").upper(),
        qop=qop,
        opaque=params.get("opaque"),
        stale=params.get("stale", "").lower() == "true",
    )


def authorization(
    challenge: Challenge,
    *,
    username: str,
    password: SecretStr,
    method: str,
    uri: str,
    body: bytes = b"",
    cnonce: str | None = None,
    nonce_count: int = 1,
) -> str:
    """The ``Authorization`` header value answering ``challenge`` for this request.

    Raises DigestError for an algorithm or qop this module does not implement.
    """
    base, sess = challenge.algorithm.removesuffix("-SESS"), challenge.algorithm.endswith("-SESS")
    if base not in _HASHES:
        raise DigestError(f"unsupported digest algorithm {challenge.algorithm!r}")
    h = _HASHES[base]
    qop = None
    if challenge.qop:
        qop = (
            "auth"
            if "auth" in challenge.qop
            else "auth-int"
            if "auth-int" in challenge.qop
            else None
        )
        if qop is None:
            raise DigestError(f"unsupported qop {','.join(challenge.qop)!r}")
    cnonce = cnonce or secrets.token_hex(8)
    nc = f"{nonce_count:08x}"
    ha1 = h(f"{username}:{challenge.realm}:{password.get_secret_value()}".encode())
    if sess:
        ha1 = h(f"{ha1}:{challenge.nonce}:{cnonce}".encode())
    a2 = f"{method}:{uri}" if qop != "auth-int" else f"{method}:{uri}:{h(body)}"
    ha2 = h(a2.encode())
    if qop:
        response = h(f"{ha1}:{challenge.nonce}:{nc}:{cnonce}:{qop}:{ha2}".encode())
    else:
        response = h(f"{ha1}:{challenge.nonce}:{ha2}".encode())
    parts = [
        f'username="{username}"',
        f'realm="{challenge.realm}"',
        f'nonce="{challenge.nonce}"',
        f'uri="{uri}"',
        f'response="{response}"',
        f"algorithm={challenge.algorithm}",
    ]
    if challenge.opaque is not None:
        parts.append(f'opaque="{challenge.opaque}"')
    if qop:
        parts += [f"qop={qop}", f"nc={nc}", f'cnonce="{cnonce}"']
    return "Digest " + ", ".join(parts)
