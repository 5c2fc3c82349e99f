"""Key material: ES256 key pairs, their public JWK, and sealing private keys for storage."""

from __future__ import annotations

import base64
import hashlib
import os
from typing import Any

import jwt
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_NONCE = 12
_INFO = b"binjiang identity signing keys v1"


def generate() -> ec.EllipticCurvePrivateKey:
    return ec.generate_private_key(ec.SECP256R1())


def public_jwk(private_key: ec.EllipticCurvePrivateKey) -> dict[str, Any]:
    """The public half as a JWK with its `kid` (the RFC 7638 thumbprint), `alg` and `use`."""
    jwk: dict[str, Any] = jwt.algorithms.ECAlgorithm.to_jwk(private_key.public_key(), as_dict=True)
    canonical = f'{{"crv":"{jwk["crv"]}","kty":"EC","x":"{jwk["x"]}","y":"{jwk["y"]}"}}'
    kid = base64.urlsafe_b64encode(hashlib.sha256(canonical.encode()).digest()).rstrip(b"=").decode()
    return {**jwk, "kid": kid, "alg": "ES256", "use": "sig"}


def _sealing_key(secret: str) -> AESGCM:
    derived = HKDF(algorithm=hashes.SHA256(), length=32, salt=None, info=_INFO).derive(secret.encode())
    return AESGCM(derived)


def seal(private_key: ec.EllipticCurvePrivateKey, secret: str, kid: str) -> bytes:
    """The private key encrypted for the database; the kid is authenticated with it."""
    der = private_key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    nonce = os.urandom(_NONCE)
    return nonce + _sealing_key(secret).encrypt(nonce, der, kid.encode())


def unseal(sealed: bytes, secret: str, kid: str) -> ec.EllipticCurvePrivateKey:
    """The private key back; `cryptography.exceptions.InvalidTag` under another secret or kid."""
    der = _sealing_key(secret).decrypt(sealed[:_NONCE], sealed[_NONCE:], kid.encode())
    key = serialization.load_der_private_key(der, password=None)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("a signing key is not an EC key")
    return key
