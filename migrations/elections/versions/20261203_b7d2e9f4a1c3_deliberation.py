"""Deliberation (议事协商): the committee, proposals and supports, meetings, consultations, actions

Revision ID: b7d2e9f4a1c3
Revises: 7e3f5a1c2d84
Create Date: 2026-12-03 13:40:18.225188
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

MINUTES_FROZEN = """
    CREATE FUNCTION elections.refuse_approved_minutes_change() RETURNS trigger LANGUAGE plpgsql AS $$
    BEGIN
        IF OLD.minutes_approved_at IS NOT NULL AND (
            NEW.minutes IS DISTINCT FROM OLD.minutes OR NEW.minutes_approved_at IS DISTINCT FROM OLD.minutes_approved_at
        ) THEN
            RAISE EXCEPTION 'approved minutes are immutable' USING ERRCODE = 'check_violation',
                CONSTRAINT = 'meeting_minutes_frozen';
        END IF;
        RETURN NEW;
    END $$;
"""
MINUTES_TRIGGER = """
    CREATE TRIGGER meeting_minutes_frozen BEFORE UPDATE ON elections.meeting
        FOR EACH ROW EXECUTE FUNCTION elections.refuse_approved_minutes_change();
"""

revision: str = "b7d2e9f4a1c3"
down_revision: str | None = "7e3f5a1c2d84"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "consultation",
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("audience", sa.String(length=12), nullable=False),
        sa.Column("questions", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="draft", nullable=False),
        sa.Column("opens_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("audience IN ('enterprises', 'employees')", name=op.f("ck_consultation_audience")),
        sa.CheckConstraint("status <> 'open' OR opened_at IS NOT NULL", name=op.f("ck_consultation_opened")),
        sa.CheckConstraint("status IN ('draft', 'open', 'closed')", name=op.f("ck_consultation_status")),
        sa.CheckConstraint("opens_at IS NULL OR opens_at < closes_at", name=op.f("ck_consultation_window")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_consultation")),
        schema="elections",
    )
    op.create_index(
        op.f("ix_consultation_community_id"), "consultation", ["community_id"], unique=False, schema="elections"
    )
    op.create_table(
        "consultation_answer",
        sa.Column("consultation_id", sa.Uuid(), nullable=False),
        sa.Column("respondent_key", sa.String(length=200), nullable=False),
        sa.Column("respondent_subject", sa.String(length=200), nullable=False),
        sa.Column("answers", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("consultation_id", "respondent_key", name=op.f("pk_consultation_answer")),
        schema="elections",
    )
    op.create_table(
        "committee",
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("election_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("seats", sa.Integer(), nullable=False),
        sa.Column("support_threshold", sa.Integer(), nullable=False),
        sa.Column("agenda_days", sa.Integer(), nullable=False),
        sa.Column("term_starts_on", sa.Date(), nullable=False),
        sa.Column("term_ends_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=10), server_default="active", nullable=False),
        sa.Column("ended_on", sa.Date(), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("status IN ('active', 'ended')", name=op.f("ck_committee_status")),
        sa.CheckConstraint("support_threshold >= 1 AND agenda_days >= 1", name=op.f("ck_committee_settings")),
        sa.CheckConstraint("term_ends_on > term_starts_on", name=op.f("ck_committee_term")),
        sa.ForeignKeyConstraint(
            ["election_id"], ["elections.election.id"], name=op.f("fk_committee_election_id_election")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_committee")),
        sa.UniqueConstraint("election_id", name=op.f("uq_committee_election_id")),
        schema="elections",
    )
    op.create_index(op.f("ix_committee_community_id"), "committee", ["community_id"], unique=False, schema="elections")
    op.create_index(
        "uq_committee_one_active",
        "committee",
        ["community_id"],
        unique=True,
        schema="elections",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.create_table(
        "committee_member",
        sa.Column("committee_id", sa.Uuid(), nullable=False),
        sa.Column("seat_no", sa.Integer(), nullable=False),
        sa.Column("candidate_id", sa.Uuid(), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_name", sa.String(length=200), nullable=False),
        sa.Column("representative_subject", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["committee_id"], ["elections.committee.id"], name=op.f("fk_committee_member_committee_id_committee")
        ),
        sa.PrimaryKeyConstraint("committee_id", "seat_no", name=op.f("pk_committee_member")),
        sa.UniqueConstraint("committee_id", "candidate_id", name=op.f("uq_committee_member_committee_id_candidate_id")),
        schema="elections",
    )
    op.create_index(
        op.f("ix_committee_member_enterprise_id"),
        "committee_member",
        ["enterprise_id"],
        unique=False,
        schema="elections",
    )
    op.create_table(
        "meeting",
        sa.Column("committee_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("scheduled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("location", sa.String(length=200), nullable=False),
        sa.Column("minutes", sa.Text(), server_default="", nullable=False),
        sa.Column("minutes_approved_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.ForeignKeyConstraint(
            ["committee_id"], ["elections.committee.id"], name=op.f("fk_meeting_committee_id_committee")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting")),
        schema="elections",
    )
    op.create_index(op.f("ix_meeting_committee_id"), "meeting", ["committee_id"], unique=False, schema="elections")
    op.create_index(op.f("ix_meeting_community_id"), "meeting", ["community_id"], unique=False, schema="elections")
    op.create_table(
        "proposal",
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("committee_id", sa.Uuid(), nullable=True),
        sa.Column("author_subject", sa.String(length=200), nullable=False),
        sa.Column("author_enterprise_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("category", sa.String(length=30), nullable=False),
        sa.Column("building_id", sa.Uuid(), nullable=True),
        sa.Column("scope", sa.String(length=200), nullable=True),
        sa.Column("status", sa.String(length=20), server_default="open", nullable=False),
        sa.Column("support_count", sa.Integer(), server_default="0", nullable=False),
        sa.Column("support_threshold", sa.Integer(), nullable=False),
        sa.Column("agenda_days", sa.Integer(), nullable=False),
        sa.Column("threshold_reached_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("agenda_due_on", sa.Date(), nullable=True),
        sa.Column("merged_into", sa.Uuid(), nullable=True),
        sa.Column("answer", sa.Text(), nullable=True),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("(status = 'merged') = (merged_into IS NOT NULL)", name=op.f("ck_proposal_merged")),
        sa.CheckConstraint(
            "category IN ('environment', 'traffic', 'safety', 'public_service', 'enterprise_service', 'employee_life', 'other')",
            name=op.f("ck_proposal_category"),
        ),
        sa.CheckConstraint(
            "status IN ('open', 'threshold_reached', 'on_agenda', 'decided', 'merged', 'answered')",
            name=op.f("ck_proposal_status"),
        ),
        sa.CheckConstraint("support_count >= 0 AND support_threshold >= 1", name=op.f("ck_proposal_counts")),
        sa.ForeignKeyConstraint(
            ["committee_id"], ["elections.committee.id"], name=op.f("fk_proposal_committee_id_committee")
        ),
        sa.ForeignKeyConstraint(
            ["merged_into"], ["elections.proposal.id"], name=op.f("fk_proposal_merged_into_proposal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_proposal")),
        schema="elections",
    )
    op.create_index(op.f("ix_proposal_community_id"), "proposal", ["community_id"], unique=False, schema="elections")
    op.create_table(
        "meeting_attendance",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("seat_no", sa.Integer(), nullable=False),
        sa.Column("recorded_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["elections.meeting.id"], name=op.f("fk_meeting_attendance_meeting_id_meeting")
        ),
        sa.PrimaryKeyConstraint("meeting_id", "seat_no", name=op.f("pk_meeting_attendance")),
        schema="elections",
    )
    op.create_table(
        "meeting_item",
        sa.Column("meeting_id", sa.Uuid(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("outcome", sa.String(length=10), nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("department", sa.String(length=200), nullable=True),
        sa.Column("present_seats", sa.Integer(), nullable=True),
        sa.Column("quorum", sa.Integer(), nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint(
            "outcome IS DISTINCT FROM 'referred' OR department IS NOT NULL", name=op.f("ck_meeting_item_referred_to")
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR outcome IN ('adopted', 'rejected', 'referred')", name=op.f("ck_meeting_item_outcome")
        ),
        sa.CheckConstraint(
            "outcome IS NULL OR (present_seats >= quorum AND reason IS NOT NULL AND decided_at IS NOT NULL)",
            name=op.f("ck_meeting_item_decided_with_quorum"),
        ),
        sa.ForeignKeyConstraint(
            ["meeting_id"], ["elections.meeting.id"], name=op.f("fk_meeting_item_meeting_id_meeting")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["elections.proposal.id"], name=op.f("fk_meeting_item_proposal_id_proposal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_meeting_item")),
        sa.UniqueConstraint("meeting_id", "position", name=op.f("uq_meeting_item_meeting_id_position")),
        sa.UniqueConstraint("meeting_id", "proposal_id", name=op.f("uq_meeting_item_meeting_id_proposal_id")),
        schema="elections",
    )
    op.create_index(
        op.f("ix_meeting_item_meeting_id"), "meeting_item", ["meeting_id"], unique=False, schema="elections"
    )
    op.create_table(
        "proposal_support",
        sa.Column("proposal_id", sa.Uuid(), nullable=False),
        sa.Column("supporter_kind", sa.String(length=10), nullable=False),
        sa.Column("supporter_key", sa.String(length=200), nullable=False),
        sa.Column("subject", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("supporter_kind IN ('enterprise', 'person')", name=op.f("ck_proposal_support_kind")),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["elections.proposal.id"], name=op.f("fk_proposal_support_proposal_id_proposal")
        ),
        sa.PrimaryKeyConstraint("proposal_id", "supporter_kind", "supporter_key", name=op.f("pk_proposal_support")),
        schema="elections",
    )
    op.create_table(
        "action",
        sa.Column("committee_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("proposal_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("owner", sa.String(length=200), nullable=False),
        sa.Column("due_on", sa.Date(), nullable=False),
        sa.Column("status", sa.String(length=12), server_default="open", nullable=False),
        sa.Column("progress", sa.Integer(), server_default="0", nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("escalated_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("(status = 'done') = (done_at IS NOT NULL)", name=op.f("ck_action_done")),
        sa.CheckConstraint("status IN ('open', 'in_progress', 'done')", name=op.f("ck_action_status")),
        sa.CheckConstraint("progress BETWEEN 0 AND 100", name=op.f("ck_action_progress")),
        sa.ForeignKeyConstraint(
            ["committee_id"], ["elections.committee.id"], name=op.f("fk_action_committee_id_committee")
        ),
        sa.ForeignKeyConstraint(
            ["item_id"], ["elections.meeting_item.id"], name=op.f("fk_action_item_id_meeting_item")
        ),
        sa.ForeignKeyConstraint(
            ["proposal_id"], ["elections.proposal.id"], name=op.f("fk_action_proposal_id_proposal")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action")),
        sa.UniqueConstraint("item_id", name=op.f("uq_action_item_id")),
        schema="elections",
    )
    op.create_index(op.f("ix_action_committee_id"), "action", ["committee_id"], unique=False, schema="elections")
    op.create_table(
        "committee_vote",
        sa.Column("item_id", sa.Uuid(), nullable=False),
        sa.Column("seat_no", sa.Integer(), nullable=False),
        sa.Column("choice", sa.String(length=10), nullable=False),
        sa.Column("voter_subject", sa.String(length=200), nullable=False),
        sa.Column("cast_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("choice IN ('for', 'against', 'abstain')", name=op.f("ck_committee_vote_choice")),
        sa.ForeignKeyConstraint(
            ["item_id"], ["elections.meeting_item.id"], name=op.f("fk_committee_vote_item_id_meeting_item")
        ),
        sa.PrimaryKeyConstraint("item_id", "seat_no", name=op.f("pk_committee_vote")),
        schema="elections",
    )
    op.create_table(
        "action_update",
        sa.Column("action_id", sa.Uuid(), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("progress", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(length=12), nullable=False),
        sa.Column("author_subject", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.ForeignKeyConstraint(["action_id"], ["elections.action.id"], name=op.f("fk_action_update_action_id_action")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_action_update")),
        schema="elections",
    )
    op.create_index(
        op.f("ix_action_update_action_id"), "action_update", ["action_id"], unique=False, schema="elections"
    )
    op.execute(MINUTES_FROZEN)
    op.execute(MINUTES_TRIGGER)


def downgrade() -> None:
    op.execute("DROP TRIGGER meeting_minutes_frozen ON elections.meeting")
    op.execute("DROP FUNCTION elections.refuse_approved_minutes_change()")
    op.drop_index(op.f("ix_action_update_action_id"), table_name="action_update", schema="elections")
    op.drop_table("action_update", schema="elections")
    op.drop_table("committee_vote", schema="elections")
    op.drop_index(op.f("ix_action_committee_id"), table_name="action", schema="elections")
    op.drop_table("action", schema="elections")
    op.drop_table("proposal_support", schema="elections")
    op.drop_index(op.f("ix_meeting_item_meeting_id"), table_name="meeting_item", schema="elections")
    op.drop_table("meeting_item", schema="elections")
    op.drop_table("meeting_attendance", schema="elections")
    op.drop_index(op.f("ix_proposal_community_id"), table_name="proposal", schema="elections")
    op.drop_table("proposal", schema="elections")
    op.drop_index(op.f("ix_meeting_community_id"), table_name="meeting", schema="elections")
    op.drop_index(op.f("ix_meeting_committee_id"), table_name="meeting", schema="elections")
    op.drop_table("meeting", schema="elections")
    op.drop_index(op.f("ix_committee_member_enterprise_id"), table_name="committee_member", schema="elections")
    op.drop_table("committee_member", schema="elections")
    op.drop_index(
        "uq_committee_one_active",
        table_name="committee",
        schema="elections",
        postgresql_where=sa.text("status = 'active'"),
    )
    op.drop_index(op.f("ix_committee_community_id"), table_name="committee", schema="elections")
    op.drop_table("committee", schema="elections")
    op.drop_table("consultation_answer", schema="elections")
    op.drop_index(op.f("ix_consultation_community_id"), table_name="consultation", schema="elections")
    op.drop_table("consultation", schema="elections")
