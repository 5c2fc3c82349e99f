"""Known-answer vectors for the public record's formats (also printed in docs/elections.md).

The expected hashes are written out here, not computed: they were checked with `printf '%s'
'<canonical JSON>' | sha256sum`. The verifier's own implementation (`elections.verify_formats`,
standard library only) and the service's (`elections.counting`, `election.service`) must both
reproduce them, so neither can drift without a test failing.
"""

from __future__ import annotations

import ast
import uuid
from pathlib import Path
from typing import Any

from elections import verify_formats
from elections.counting.chain import GENESIS, digest, entry_hash, verify_chain
from elections.counting.lot import draw, seed_string
from elections.election.ballots import tracker_of
from elections.election.roll import roll_fingerprint
from shared.jsonutil import canonical

ELECTION_ID = "8f5c2b1e-3d4a-4c6b-9e7f-0a1b2c3d4e5f"
NONCE = "00112233445566778899aabbccddeeff"
ROLL = [  # deliberately not in USCC order
    {
        "enterprise_id": "00000000-0000-4000-8000-000000000002",
        "uscc": "91330108MA2B00002X",
        "name": "杭州星光数字科技有限公司",
    },
    {
        "enterprise_id": "00000000-0000-4000-8000-000000000001",
        "uscc": "91330108MA2B00001Y",
        "name": "杭州滨江物联网有限公司",
    },
]
CANONICAL_SAMPLE = {"b": [1, "星"], "a": {"d": None, "c": True}}
CANONICAL_SAMPLE_BYTES = '{"a":{"c":true,"d":null},"b":[1,"星"]}'.encode()
CANONICAL_SAMPLE_SHA256 = "b660b5b7eca3c35c8cf1a2c2d177ff958afa2b53953d01cbf65efe8a77b3ca74"
FINGERPRINT = "62eaf07bb3bb8e9383bd1df777ab13d5c5b0b146fd5fbca9410e43edb6a29520"
TRACKER = "389dbabc438ab3e65dc91290c2a6f360c41a47d364cd0b381e2cca13b74daba8"
HASH_1 = "5370209573c7fac723f2e1c62b2c8d1ea49e44f88286797f5fc0cee106365e14"
HASH_2 = "21197b470a2b1f7de95e57225971dca68f2d140b00d114ad9512eb9bfa42b026"
LOG: list[dict[str, Any]] = [
    {
        "seq": 1,
        "type": "roll_frozen",
        "at": "2026-06-01T08:00:00Z",
        "payload": {"size": 2, "fingerprint": FINGERPRINT},
        "prev": GENESIS,
        "hash": HASH_1,
    },
    {
        "seq": 2,
        "type": "ballot_cast",
        "at": "2026-06-02T09:30:00Z",
        "payload": {"round_no": 1, "tracker": TRACKER, "choices": ["c1", "c2"]},
        "prev": HASH_1,
        "hash": HASH_2,
    },
]
RFC_SOURCES: list[int | str | list[int]] = [9319, [2, 5, 12, 8, 10], [9, 18, 26, 34, 41, 45]]
RFC_SELECTION = ["17", "7", "2", "16", "25", "23", "8", "24", "19", "13", "22"]  # RFC 3797 section 6
TEXT_SOURCES: list[int | str | list[int]] = [20260601, "Shanghai Composite: 3,312.5"]


def test_the_verifier_reproduces_every_vector() -> None:
    assert verify_formats.canonical_json(CANONICAL_SAMPLE) == CANONICAL_SAMPLE_BYTES
    assert verify_formats.sha256_hex(CANONICAL_SAMPLE) == CANONICAL_SAMPLE_SHA256
    assert verify_formats.roll_fingerprint(ROLL) == FINGERPRINT
    assert verify_formats.tracker(ELECTION_ID, 1, ["c2", "c1"], NONCE) == TRACKER
    assert [verify_formats.entry_hash(entry) for entry in LOG] == [HASH_1, HASH_2]
    assert verify_formats.chain_problems(LOG) == []
    assert verify_formats.lot_seed(RFC_SOURCES) == "9319./2.5.8.10.12./9.18.26.34.41.45./"
    assert verify_formats.lot_draw([str(n) for n in range(1, 26)], 11, RFC_SOURCES) == RFC_SELECTION
    assert verify_formats.lot_seed(TEXT_SOURCES) == "20260601./SHANGHAICOMPOSITE33125/"
    assert verify_formats.lot_draw(["c3", "c5", "c7"], 1, TEXT_SOURCES) == ["c3"]


def test_the_service_reproduces_every_vector() -> None:
    assert canonical(CANONICAL_SAMPLE) == CANONICAL_SAMPLE_BYTES
    assert digest(CANONICAL_SAMPLE) == CANONICAL_SAMPLE_SHA256
    assert roll_fingerprint(ROLL) == FINGERPRINT
    assert tracker_of(uuid.UUID(ELECTION_ID), 1, sorted(["c2", "c1"]), NONCE) == TRACKER
    assert [entry_hash(e["seq"], e["type"], e["at"], e["payload"], e["prev"]) for e in LOG] == [HASH_1, HASH_2]
    assert verify_chain(LOG) == []
    assert seed_string(RFC_SOURCES) == "9319./2.5.8.10.12./9.18.26.34.41.45./"
    assert [step.selected for step in draw([str(n) for n in range(1, 26)], 11, RFC_SOURCES)[1]] == RFC_SELECTION
    assert [step.selected for step in draw(["c3", "c5", "c7"], 1, TEXT_SOURCES)[1]] == ["c3"]


def test_the_verifier_sees_every_break_in_the_chain() -> None:
    changed_payload = [LOG[0], {**LOG[1], "payload": {**LOG[1]["payload"], "choices": ["c1"]}}]
    assert verify_formats.chain_problems(changed_payload) == ["log entry 2: hash does not match the entry's contents"]
    assert verify_formats.chain_problems([LOG[1]]) == [
        "log entry 2: expected seq 1",
        "log entry 2: prev does not match the hash of the entry before",
    ]


def test_the_vectors_in_the_docs_are_the_ones_tested() -> None:
    docs = (Path(__file__).parents[2] / "docs" / "elections.md").read_text()
    for value in (CANONICAL_SAMPLE_SHA256, FINGERPRINT, TRACKER, HASH_1, HASH_2, NONCE, ELECTION_ID):
        assert value in docs


def test_the_verifiers_formats_import_only_the_standard_library() -> None:
    source = Path(verify_formats.__file__).read_text()
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.Import | ast.ImportFrom)
        for alias in (node.names if isinstance(node, ast.Import) else [ast.alias(node.module or "")])
    }
    assert imported <= {"__future__", "hashlib", "json", "re", "collections", "typing"}


def test_the_verifiers_ed25519_passes_rfc_8032_and_agrees_with_the_service() -> None:
    from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

    from elections.counting.approval import approval_statement as service_statement
    from elections.counting.approval import signature_valid
    from elections.verify_formats import approval_statement, ed25519_verify

    # RFC 8032 section 7.1, test 2: a one-byte message
    public = bytes.fromhex("3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c")
    signature = bytes.fromhex(
        "92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da"
        "085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00"
    )
    assert ed25519_verify(public, b"\x72", signature)
    assert not ed25519_verify(public, b"\x73", signature)
    statement = approval_statement("8f5c2b1e-3d4a-4c6b-9e7f-0a1b2c3d4e5f", "observer-1", "ab" * 32)
    assert statement == service_statement("8f5c2b1e-3d4a-4c6b-9e7f-0a1b2c3d4e5f", "observer-1", "ab" * 32)
    assert statement == (
        b'{"election_id":"8f5c2b1e-3d4a-4c6b-9e7f-0a1b2c3d4e5f","format":"binjiang-election-approval/1",'
        b'"observer":"observer-1","result_hash":"' + b"ab" * 32 + b'"}'
    )
    key = Ed25519PrivateKey.generate()
    raw = key.public_key().public_bytes_raw()
    signed = key.sign(statement)
    assert ed25519_verify(raw, statement, signed) and signature_valid(raw.hex(), statement, signed.hex())
    assert not ed25519_verify(raw, statement + b" ", signed)
