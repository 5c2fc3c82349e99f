"""The local signing key pair for development tokens (`.data/keys/`, never committed)."""

from __future__ import annotations

import fcntl
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec

PRIVATE_NAME = "dev-jwt-private.pem"
PUBLIC_NAME = "dev-jwt-public.pem"


@dataclass(frozen=True, slots=True)
class DevKeys:
    private_key: Path
    public_key: Path


def ensure_dev_keys(directory: Path | str) -> DevKeys:
    """Create an ES256 (P-256) key pair in `directory` unless one is there; return the paths."""
    directory = Path(directory)
    keys = DevKeys(private_key=directory / PRIVATE_NAME, public_key=directory / PUBLIC_NAME)
    if keys.private_key.exists() and keys.public_key.exists():
        return keys
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two processes starting at once must not mix two pairs
        if not (keys.private_key.exists() and keys.public_key.exists()):
            _write_pair(keys)
    return keys


def _write_pair(keys: DevKeys) -> None:
    private = ec.generate_private_key(ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    public = private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    temporary_private = keys.private_key.with_suffix(f".{os.getpid()}.tmp")
    temporary_public = keys.public_key.with_suffix(f".{os.getpid()}.tmp")
    descriptor = os.open(temporary_private, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as handle:
        handle.write(pem)
    temporary_public.write_bytes(public)
    os.replace(temporary_public, keys.public_key)
    os.replace(temporary_private, keys.private_key)
