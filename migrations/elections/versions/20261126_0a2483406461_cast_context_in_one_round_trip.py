"""cast context in one round trip

Revision ID: 0a2483406461
Revises: 9b687f3a9e2a
Create Date: 2026-11-26 19:50:11.605661
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '0a2483406461'
down_revision: str | None = '9b687f3a9e2a'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Takes the casting locks, then reads with a fresh snapshot (a VOLATILE plpgsql function takes
    # one per statement), so a cast sees a close committed while it waited: one round trip.
    op.execute("""
        CREATE FUNCTION elections.lock_for_cast(
            p_election uuid, p_enterprise uuid, p_election_lock bigint, p_voter_lock bigint
        ) RETURNS TABLE (
            status text, current_round integer, round_spec jsonb, link_key bytea,
            on_roll boolean, entitled boolean, representative_subject text
        ) LANGUAGE plpgsql VOLATILE AS $$
        BEGIN
            PERFORM pg_advisory_xact_lock_shared(p_election_lock);
            PERFORM pg_advisory_xact_lock(p_voter_lock);
            RETURN QUERY
                SELECT e.status::text, e.current_round, e.round_spec, s.link_key,
                       r.enterprise_id IS NOT NULL, coalesce(r.entitled, false), r.representative_subject::text
                FROM elections.election AS e
                LEFT JOIN elections.election_secret AS s ON s.election_id = e.id
                LEFT JOIN elections.roll_entry AS r ON r.election_id = e.id AND r.enterprise_id = p_enterprise
                WHERE e.id = p_election;
        END $$
    """)


def downgrade() -> None:
    op.execute("DROP FUNCTION elections.lock_for_cast(uuid, uuid, bigint, bigint)")
