"""cast in one statement

Revision ID: 4d1c7e2a9b55
Revises: 0a2483406461
Create Date: 2026-11-27 04:10:00.000000
"""

from collections.abc import Sequence

from alembic import op


revision: str = '4d1c7e2a9b55'
down_revision: str | None = '0a2483406461'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # The whole cast in one autocommitted statement: the casting locks (shared on the election,
    # which closing takes exclusively; exclusive on the voter, so one voter's casts replace each
    # other in serial order), the checks against state read after the locks (a VOLATILE plpgsql
    # function takes a fresh snapshot per statement), then the ballot and the counted-ballot upsert.
    # With p_ballot NULL it only checks, so a bad ballot is refused with the same precedence.
    op.execute("""
        CREATE FUNCTION elections.cast_ballot(
            p_election uuid, p_enterprise uuid, p_subject text, p_round integer, p_ballot uuid,
            p_choices jsonb, p_tracker text, p_link bytea, p_election_lock bigint, p_voter_lock bigint
        ) RETURNS TABLE (outcome text, ballot_serial bigint, ballot_cast_at timestamptz, replaced boolean)
        LANGUAGE plpgsql VOLATILE AS $$
        DECLARE
            v_status text;
            v_round integer;
            v_has_key boolean;
            v_on_roll boolean;
            v_entitled boolean;
            v_representative text;
            v_previous uuid;
        BEGIN
            PERFORM pg_advisory_xact_lock_shared(p_election_lock);
            PERFORM pg_advisory_xact_lock(p_voter_lock);
            SELECT e.status::text, e.current_round, s.link_key IS NOT NULL, r.enterprise_id IS NOT NULL,
                   coalesce(r.entitled, false), r.representative_subject::text
              INTO v_status, v_round, v_has_key, v_on_roll, v_entitled, v_representative
              FROM elections.election AS e
              LEFT JOIN elections.election_secret AS s ON s.election_id = e.id
              LEFT JOIN elections.roll_entry AS r ON r.election_id = e.id AND r.enterprise_id = p_enterprise
             WHERE e.id = p_election;
            IF NOT FOUND THEN
                outcome := 'not_found';
            ELSIF v_status NOT IN ('voting_open', 'runoff_open') OR NOT v_has_key THEN
                outcome := 'closed';
            ELSIF v_round <> p_round THEN
                outcome := 'stale_round';
            ELSIF NOT v_on_roll THEN
                outcome := 'not_on_roll';
            ELSIF NOT v_entitled THEN
                outcome := 'entitlement_lost';
            ELSIF v_representative IS DISTINCT FROM p_subject THEN
                outcome := 'not_representative';
            ELSIF p_ballot IS NULL THEN
                outcome := 'may_cast';
            ELSE
                SELECT c.ballot_id INTO v_previous FROM elections.current_ballot AS c
                 WHERE c.election_id = p_election AND c.round_no = p_round AND c.voter_link = p_link;
                INSERT INTO elections.ballot (id, election_id, round_no, choices, tracker, replaces_ballot_id)
                VALUES (p_ballot, p_election, p_round, p_choices, p_tracker, v_previous)
                RETURNING ballot.serial, ballot.cast_at INTO ballot_serial, ballot_cast_at;
                INSERT INTO elections.current_ballot AS c (election_id, round_no, voter_link, ballot_id)
                VALUES (p_election, p_round, p_link, p_ballot)
                ON CONFLICT (election_id, round_no, voter_link) DO UPDATE SET ballot_id = excluded.ballot_id;
                outcome := 'cast';
                replaced := v_previous IS NOT NULL;
            END IF;
            RETURN NEXT;
        END $$
    """)
    op.execute("DROP FUNCTION elections.lock_for_cast(uuid, uuid, bigint, bigint)")


def downgrade() -> None:
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
    op.execute("DROP FUNCTION elections.cast_ballot(uuid, uuid, text, integer, uuid, jsonb, text, bytea, bigint, bigint)")
