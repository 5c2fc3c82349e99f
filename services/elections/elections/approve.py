"""An observer's signing tool: `python -m elections.approve keygen KEY` and `... sign KEY ...`.

`keygen` writes a new Ed25519 private key (32 bytes, hex) to a file only its owner can read and
prints the public key; `sign` prints the body of `POST /v1/elections/{id}/certifications`: the
result hash, the public key and the signature of the approval statement (docs/elections.md).
Exit codes: 0 done; 2 wrong usage, an unreadable or malformed key file, or a key file that exists.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import sys
from collections.abc import Sequence
from pathlib import Path

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from elections.counting.approval import approval_statement

_HASH = re.compile(r"^[0-9a-f]{64}$")


def public_hex(key: Ed25519PrivateKey) -> str:
    """The raw public key in lower-case hex."""
    return key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw).hex()


def signed_approval(key: Ed25519PrivateKey, election_id: str, observer: str, result_hash: str) -> dict[str, str]:
    """The certification request body for this observer's approval of `result_hash`."""
    signature = key.sign(approval_statement(election_id, observer, result_hash))
    return {"result_hash": result_hash, "public_key": public_hex(key), "signature": signature.hex()}


def _read_key(path: Path) -> Ed25519PrivateKey:
    text = path.read_text().strip()
    if not re.fullmatch(r"[0-9a-f]{64}", text):
        raise ValueError("not a 64-character hex Ed25519 private key")
    return Ed25519PrivateKey.from_private_bytes(bytes.fromhex(text))


def main(argv: Sequence[str]) -> int:
    """The command line; returns the exit code."""
    parser = argparse.ArgumentParser(
        prog="python -m elections.approve",
        description="Sign an election observer's approval of a result hash (Ed25519).",
        epilog="Exit codes: 0 done, 2 wrong usage or an unusable key file.",
    )
    commands = parser.add_subparsers(dest="command", required=True)
    keygen = commands.add_parser("keygen", help="write a new private key and print its public key")
    keygen.add_argument("key", type=Path, help="file to create (refused if it exists)")
    sign = commands.add_parser("sign", help="print the certification request body")
    sign.add_argument("key", type=Path, help="the private key file written by keygen")
    sign.add_argument("--election", required=True, help="the election id")
    sign.add_argument("--observer", required=True, help="your token's subject")
    sign.add_argument("--result-hash", required=True, help="the result hash you approve")
    try:
        arguments = parser.parse_args(argv)
    except SystemExit as exit_:  # argparse exits 0 for --help and 2 for usage errors
        return int(exit_.code or 0)
    try:
        if arguments.command == "keygen":
            key = Ed25519PrivateKey.generate()
            raw = key.private_bytes_raw().hex()
            descriptor = os.open(arguments.key, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "w") as file:
                file.write(raw + "\n")
            sys.stdout.write(public_hex(key) + "\n")
            return 0
        if not _HASH.fullmatch(arguments.result_hash):
            sys.stderr.write("the result hash must be 64 lower-case hex characters\n")
            return 2
        body = signed_approval(_read_key(arguments.key), arguments.election, arguments.observer, arguments.result_hash)
    except (OSError, ValueError) as exc:
        reason = exc.strerror if isinstance(exc, OSError) and exc.strerror else str(exc)
        sys.stderr.write(f"cannot use the key file {arguments.key}: {reason}\n")
        return 2
    sys.stdout.write(json.dumps(body) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
