"""Secrets kept at rest (a WeChat session key, the app's access token): AES-256-GCM under a key
derived (HKDF-SHA256) from `IDENTITY_KEY_ENCRYPTION_SECRET`, one derivation label per use, the
row's identity authenticated with the ciphertext so a sealed value cannot be moved to another row."""

from __future__ import annotations

import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE = 12


class Sealer:
    def __init__(self, secret: str, label: str) -> None:
        key = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=label.encode()).derive(secret.encode())
        self._aead = AESGCM(key)

    def __repr__(self) -> str:
        return "Sealer(<key hidden>)"

    def seal(self, plain: str, bound_to: str) -> bytes:
        nonce = os.urandom(_NONCE)
        return nonce + self._aead.encrypt(nonce, plain.encode(), bound_to.encode())

    def unseal(self, sealed: bytes, bound_to: str) -> str:
        """`cryptography.exceptions.InvalidTag` under another secret, label or row."""
        return self._aead.decrypt(sealed[:_NONCE], sealed[_NONCE:], bound_to.encode()).decode()
