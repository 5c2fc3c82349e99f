"""Password hashing (argon2id), the TOTP secret sealed for storage, and TOTP steps (RFC 6238).

argon2 is CPU- and memory-heavy by design: callers run `hash_password` / `verify_password` in a
thread (`asyncio.to_thread`) so the event loop keeps serving.
"""

from __future__ import annotations

import functools
import hmac
import os
import time

import argon2
import pyotp
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE = 12
_INFO = b"binjiang identity admin totp v1"  # its own key, not the signing keys' (keys/crypto.py)
TOTP_PERIOD_SECONDS = 30
TOTP_DIGITS = 6
TOTP_WINDOW_STEPS = 1  # the previous and the next step are accepted too (clock drift)

# RFC 9106's second recommended option: argon2id, t=3, 64 MiB, p=4 (argon2-cffi's defaults).
_HASHER = argon2.PasswordHasher(type=argon2.Type.ID)


def hash_password(password: str) -> str:
    return _HASHER.hash(password)


@functools.cache
def _dummy_hash() -> str:
    """A hash of nothing anyone knows, verified when the username is unknown (similar time)."""
    return _HASHER.hash(os.urandom(32).hex())


def verify_password(password_hash: str | None, password: str) -> bool:
    """Whether `password` matches; with `None` (unknown username) the dummy hash is verified, False."""
    try:
        _HASHER.verify(password_hash or _dummy_hash(), password)
    except (argon2.exceptions.VerificationError, argon2.exceptions.InvalidHashError):
        return False
    return password_hash is not None


def new_totp_secret() -> str:
    return pyotp.random_base32(32)  # 160 bits, RFC 4226's recommended length


def provisioning_uri(secret: str, username: str, issuer: str) -> str:
    """The `otpauth://totp/...` URI an authenticator app scans (it holds the secret: show it once)."""
    return pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD_SECONDS).provisioning_uri(
        name=username, issuer_name=issuer
    )


def matching_step(secret: str, code: str, now: float | None = None) -> int | None:
    """The 30-second step (within ±1 of now) whose code is `code`, the latest if several; else None."""
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_PERIOD_SECONDS)
    current = int((time.time() if now is None else now) // TOTP_PERIOD_SECONDS)
    matched = None
    for step in range(current - TOTP_WINDOW_STEPS, current + TOTP_WINDOW_STEPS + 1):  # every step compared
        if hmac.compare_digest(totp.generate_otp(step), code):
            matched = step
    return matched


def _sealing_key(secret: str) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
    return AESGCM(derived)


def seal_totp_secret(totp_secret: str, key_secret: str, account_id: str) -> bytes:
    """The TOTP secret encrypted for the database; the account id is authenticated with it."""
    nonce = os.urandom(_NONCE)
    return nonce + _sealing_key(key_secret).encrypt(nonce, totp_secret.encode("ascii"), account_id.encode())


def unseal_totp_secret(sealed: bytes, key_secret: str, account_id: str) -> str:
    """The TOTP secret back; `cryptography.exceptions.InvalidTag` under another secret or account."""
    return _sealing_key(key_secret).decrypt(sealed[:_NONCE], sealed[_NONCE:], account_id.encode()).decode("ascii")
