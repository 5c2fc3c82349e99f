"""representatives: the registry's representative records, mirrored from its feed

Revision ID: 7a4c2d9e6f10
Revises: 5e1f0c7a3b21
Create Date: 2026-12-02 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7a4c2d9e6f10"
down_revision: str | None = "5e1f0c7a3b21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "representative",
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("phone", sa.String(length=20), nullable=True),
        sa.Column("user_subject", sa.String(length=200), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("event_seq", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("enterprise_id", name=op.f("pk_representative")),
        schema="identity",
    )
    op.create_index(op.f("ix_representative_phone"), "representative", ["phone"], schema="identity")
    op.create_index(op.f("ix_representative_user_subject"), "representative", ["user_subject"], schema="identity")


def downgrade() -> None:
    op.drop_table("representative", schema="identity")
