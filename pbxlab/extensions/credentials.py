"""SIP credentials: how passwords are made and how they are kept out of sight.

Passwords come from :mod:`secrets` (the OS CSPRNG) with 192 bits of entropy,
well above the 128-bit floor.  They travel inside pydantic's ``SecretStr``,
whose ``repr``/``str``/JSON dump show ``**********``; the clear text is only
obtained through ``get_secret_value()``, which pbxlab calls in exactly four
places: the database row, an export or a provisioning file asked for with
secrets, the digest answer of a reboot, and an explicit reveal.
"""

from __future__ import annotations

import secrets

from pydantic import SecretStr

PASSWORD_BYTES = 24  # 192 bits of entropy; token_urlsafe gives 32 characters [A-Za-z0-9_-]
MASK = "********"  # shown where a secret would be


def generate_password() -> SecretStr:
    """A new random SIP password (32 URL-safe characters, 192 bits), wrapped as a secret."""
    return SecretStr(secrets.token_urlsafe(PASSWORD_BYTES))


def password_entropy_bits(length: int = PASSWORD_BYTES) -> int:
    """The entropy in bits of a password made by :func:`generate_password`."""
    return length * 8
