"""recipient indexes: live grants by scope and role, enterprises by community

Revision ID: 4e7a1c9b2d58
Revises: 9d2b7e4c1a35
Create Date: 2026-12-03 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "4e7a1c9b2d58"
down_revision: str | None = "9d2b7e4c1a35"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

SCOPES = ("enterprise", "community", "grid")


def upgrade() -> None:
    for scope in SCOPES:
        op.create_index(
            f"ix_role_grant_live_{scope}",
            "role_grant",
            [f"{scope}_id", "role", "account_id"],
            schema="identity",
            postgresql_include=["valid_until"],
            postgresql_where=sa.text(f"revoked_at IS NULL AND {scope}_id IS NOT NULL"),
        )
    op.create_index(
        "ix_enterprise_community_community_id",
        "enterprise_community",
        ["community_id", "enterprise_id"],
        schema="identity",
    )


def downgrade() -> None:
    op.drop_index("ix_enterprise_community_community_id", table_name="enterprise_community", schema="identity")
    for scope in reversed(SCOPES):
        op.drop_index(f"ix_role_grant_live_{scope}", table_name="role_grant", schema="identity")
