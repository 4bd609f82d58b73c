"""Password hashing with scrypt (a memory-hard KDF from the standard library).

A stored hash is ``scrypt$<n>$<r>$<p>$<salt>$<hash>`` (salt and hash in URL-safe base64), so
the cost can be raised later: :func:`needs_rehash` tells when a stored hash is weaker than
today's parameters and the login path then stores a new one.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from soxsvo.errors import InputError

#: scrypt cost: one of OWASP's equivalent minimum settings (n=2**15, r=8, p=3); 32 MiB of
#: memory at a time, so a few logins at once do not exhaust a web worker.
N, R, P = 2**15, 8, 3
_MAXMEM = 64 * 1024 * 1024
_SALT_BYTES = 16
_KEY_BYTES = 32
#: Shortest password accepted.
MIN_LENGTH = 10


class PasswordPolicyError(InputError):
    """A new password that is too weak to be accepted."""


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode("ascii").rstrip("=")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _derive(password: str, salt: bytes, n: int, r: int, p: int) -> bytes:
    return hashlib.scrypt(password.encode("utf-8"), salt=salt, n=n, r=r, p=p,
                          maxmem=_MAXMEM, dklen=_KEY_BYTES)


def check_policy(password: str) -> None:
    """Refuse passwords shorter than :data:`MIN_LENGTH` characters.

    Raises
    ------
    PasswordPolicyError
        With the reason, for the user.
    """
    if len(password) < MIN_LENGTH:
        raise PasswordPolicyError(f"a password needs at least {MIN_LENGTH} characters")


def hash_password(password: str) -> str:
    """A new salted scrypt hash of ``password`` in the stored format."""
    salt = secrets.token_bytes(_SALT_BYTES)
    return f"scrypt${N}${R}${P}${_b64(salt)}${_b64(_derive(password, salt, N, R, P))}"


def verify_password(password: str, stored: str | None) -> bool:
    """Whether ``password`` matches the ``stored`` hash (False for no or a malformed hash)."""
    if not stored:
        # Spend the same time as a real check: response times must not tell which logins exist.
        _derive(password, b"\0" * _SALT_BYTES, N, R, P)
        return False
    try:
        scheme, n, r, p, salt, expected = stored.split("$")
        if scheme != "scrypt":
            return False
        actual = _derive(password, _unb64(salt), int(n), int(r), int(p))
    except ValueError:
        return False
    return hmac.compare_digest(actual, _unb64(expected))


def needs_rehash(stored: str) -> bool:
    """Whether ``stored`` was made with other parameters than today's."""
    return not stored.startswith(f"scrypt${N}${R}${P}$")
