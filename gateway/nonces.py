"""Nonces of accepted signed partner requests; UNIQUE (key_id, nonce) makes a replay impossible.

`gateway.database.request_nonce` is this table in the gateway's schema.
"""

from __future__ import annotations

from sqlalchemy import Column, DateTime, MetaData, String, Table, UniqueConstraint


def define_request_nonce_table(metadata: MetaData) -> Table:
    return Table(
        "request_nonce",
        metadata,
        Column("key_id", String(64), nullable=False),
        Column("nonce", String(128), nullable=False),
        Column("created", DateTime(timezone=True), nullable=False, index=True),
        UniqueConstraint("key_id", "nonce", name="uq_request_nonce_key_id_nonce"),
    )


__all__ = ["define_request_nonce_table"]
