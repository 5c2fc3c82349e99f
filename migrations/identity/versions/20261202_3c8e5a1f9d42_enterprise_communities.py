"""enterprise communities: the registry's communities of each enterprise an account works for

Revision ID: 3c8e5a1f9d42
Revises: 5b1f0c3a7d21
Create Date: 2026-12-02 14:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "3c8e5a1f9d42"
down_revision: str | None = "5b1f0c3a7d21"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enterprise_community",
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("fetched_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("enterprise_id", "community_id", name=op.f("pk_enterprise_community")),
        schema="identity",
    )


def downgrade() -> None:
    op.drop_table("enterprise_community", schema="identity")
