"""The invariants a lock in the code guards as well as a constraint.

Their race tests still pass when the constraint alone is dropped (docs/testing.md, "Races with
their constraint dropped"): the lock serializes the racers first. So the constraint itself is
pinned here: each test fails if the migration that makes it is lost or loosened, whatever the
code's locks do.
"""

from __future__ import annotations

import asyncpg
import pytest

from tests.support.database import asyncpg_dsn

# (schema, table, name, what its definition must say)
GUARDS = [
    (
        "registry",
        "building_jurisdiction",
        "ck_building_jurisdiction_moves_between_communities",
        "from_community_id IS DISTINCT FROM community_id",
    ),
    ("registry", "building_jurisdiction", "ex_building_jurisdiction_no_overlap", "EXCLUDE USING gist"),
    (
        "requests",
        "enrollment",
        "uq_enrollment_active_subject",
        "(activity_id, subject) WHERE ((status)::text <> 'cancelled'",
    ),
    ("gateway", "api_key", "uq_api_key_active_slot", "(partner_id, slot) WHERE (revoked_at IS NULL)"),
    ("gateway", "request_nonce", "uq_request_nonce_key_id_nonce", "(key_id, nonce)"),
    ("grid", "grid", "uq_grid_code", "(code)"),
    # the starter catalogue's applications queue on an advisory lock; one code per community still
    ("requests", "service_type", "uq_service_type_community_id_code", "(community_id, code)"),
]


@pytest.mark.parametrize(("schema", "table", "name", "says"), GUARDS, ids=[guard[2] for guard in GUARDS])
async def test_the_database_holds_the_invariant_itself(
    database_url: str, schema: str, table: str, name: str, says: str
) -> None:
    connection = await asyncpg.connect(asyncpg_dsn(database_url))
    try:
        definition = await connection.fetchval(
            """
            SELECT pg_get_constraintdef(c.oid) FROM pg_constraint c
              JOIN pg_class t ON t.oid = c.conrelid JOIN pg_namespace n ON n.oid = t.relnamespace
             WHERE n.nspname = $1 AND t.relname = $2 AND c.conname = $3
            UNION ALL
            SELECT indexdef FROM pg_indexes WHERE schemaname = $1 AND tablename = $2 AND indexname = $3
            """,
            schema,
            table,
            name,
        )
    finally:
        await connection.close()
    assert definition is not None, f"{schema}.{table} has lost {name}"
    assert says in definition, definition
