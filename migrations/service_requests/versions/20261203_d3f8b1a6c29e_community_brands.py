"""community brands: each community's names for the six scenarios

Revision ID: d3f8b1a6c29e
Revises: d81c4e2a7b60
Create Date: 2026-12-03 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = "d3f8b1a6c29e"
down_revision: str | None = "d81c4e2a7b60"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "community_brands",
        sa.Column("community_id", sa.Uuid(), nullable=False),
        sa.Column("names", postgresql.JSONB(astext_type=sa.Text()), nullable=False),
        sa.Column("version", sa.Integer(), server_default="1", nullable=False),
        sa.Column("updated_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.PrimaryKeyConstraint("community_id", name=op.f("pk_community_brands")),
        schema="requests",
    )


def downgrade() -> None:
    op.drop_table("community_brands", schema="requests")
