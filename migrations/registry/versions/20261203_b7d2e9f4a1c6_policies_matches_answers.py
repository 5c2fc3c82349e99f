"""policies, their matches (with the reasons) and the representatives' answers

Revision ID: b7d2e9f4a1c6
Revises: 7f3a2c1b9e04
Create Date: 2026-12-03 13:50:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "b7d2e9f4a1c6"
down_revision: str | None = "7f3a2c1b9e04"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "policy",
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("issuer", sa.String(length=200), nullable=False),
        sa.Column("summary", sa.Text(), nullable=False),
        sa.Column("link", sa.String(length=500), nullable=True),
        sa.Column("valid_from", sa.Date(), nullable=False),
        sa.Column("valid_to", sa.Date(), nullable=True),
        sa.Column("rules", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("published_by", sa.String(length=200), nullable=False),
        sa.Column("matched_on", sa.Date(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.CheckConstraint("valid_to IS NULL OR valid_to >= valid_from", name=op.f("ck_policy_validity")),
        sa.ForeignKeyConstraint(
            ["community_id"], ["registry.community.id"], name=op.f("fk_policy_community_id_community")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_policy")),
        schema="registry",
    )
    op.create_index(op.f("ix_policy_community_id"), "policy", ["community_id"], unique=False, schema="registry")
    op.create_index("ix_policy_created_at_id", "policy", ["created_at", "id"], unique=False, schema="registry")
    op.create_table(
        "policy_match",
        sa.Column("policy_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("community_ids", postgresql.ARRAY(sa.Uuid()), nullable=False),
        sa.Column("reasons", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("matched_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["enterprise_id"],
            ["registry.enterprise.id"],
            name=op.f("fk_policy_match_enterprise_id_enterprise"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["policy_id"], ["registry.policy.id"], name=op.f("fk_policy_match_policy_id_policy"), ondelete="CASCADE"
        ),
        sa.PrimaryKeyConstraint("policy_id", "enterprise_id", name=op.f("pk_policy_match")),
        schema="registry",
    )
    op.create_index(
        "ix_policy_match_enterprise_id_matched_at",
        "policy_match",
        ["enterprise_id", "matched_at", "policy_id"],
        unique=False,
        schema="registry",
    )
    op.create_table(
        "policy_answer",
        sa.Column("policy_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("answer", sa.String(length=16), nullable=False),
        sa.Column("answered_by", sa.String(length=200), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.CheckConstraint("answer IN ('applied', 'not_relevant')", name=op.f("ck_policy_answer_answer")),
        sa.ForeignKeyConstraint(
            ["policy_id", "enterprise_id"],
            ["registry.policy_match.policy_id", "registry.policy_match.enterprise_id"],
            name="fk_policy_answer_policy_match",
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("policy_id", "enterprise_id", name=op.f("pk_policy_answer")),
        schema="registry",
    )


def downgrade() -> None:
    op.drop_table("policy_answer", schema="registry")
    op.drop_index("ix_policy_match_enterprise_id_matched_at", table_name="policy_match", schema="registry")
    op.drop_table("policy_match", schema="registry")
    op.drop_index("ix_policy_created_at_id", table_name="policy", schema="registry")
    op.drop_index(op.f("ix_policy_community_id"), table_name="policy", schema="registry")
    op.drop_table("policy", schema="registry")
