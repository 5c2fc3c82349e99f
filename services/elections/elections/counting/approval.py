"""An observer's signed approval: the statement they sign and its Ed25519 check (docs/elections.md)."""

from __future__ import annotations

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey

from shared.jsonutil import canonical

APPROVAL_FORMAT = "binjiang-election-approval/1"


def approval_statement(election_id: str, observer: str, result_hash: str) -> bytes:
    """The bytes an observer signs: canonical JSON of {format, election_id, observer, result_hash}."""
    return canonical(
        {"format": APPROVAL_FORMAT, "election_id": election_id, "observer": observer, "result_hash": result_hash}
    )


def signature_valid(public_key_hex: str, statement: bytes, signature_hex: str) -> bool:
    """True when the hex Ed25519 signature of `statement` verifies under the hex public key."""
    try:
        key = Ed25519PublicKey.from_public_bytes(bytes.fromhex(public_key_hex))
        key.verify(bytes.fromhex(signature_hex), statement)
    except (ValueError, InvalidSignature):
        return False
    return True
