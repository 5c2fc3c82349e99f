"""sms challenges: one live code per phone with its send counters

Revision ID: 5e1f0c7a3b21
Revises: 92d8ebc2484d
Create Date: 2026-12-02 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5e1f0c7a3b21"
down_revision: str | None = "92d8ebc2484d"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "sms_challenge",
        sa.Column("phone", sa.String(length=20), nullable=False),
        sa.Column("code_digest", sa.LargeBinary(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("wrong_tries", sa.SmallInteger(), server_default=sa.text("0"), nullable=False),
        sa.Column("consumed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_on", sa.Date(), nullable=False),
        sa.Column("sent_that_day", sa.SmallInteger(), nullable=False),
        sa.CheckConstraint("wrong_tries BETWEEN 0 AND 5", name=op.f("ck_sms_challenge_wrong_tries")),
        sa.CheckConstraint("sent_that_day BETWEEN 1 AND 10", name=op.f("ck_sms_challenge_sent_that_day")),
        sa.PrimaryKeyConstraint("phone", name=op.f("pk_sms_challenge")),
        schema="identity",
    )


def downgrade() -> None:
    op.drop_table("sms_challenge", schema="identity")
