"""transfers move between two different communities

Revision ID: 7f3a2c1b9e04
Revises: 5e7a1c9d3b40
Create Date: 2026-12-01 22:55:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "7f3a2c1b9e04"
down_revision: str | None = "5e7a1c9d3b40"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        "building_jurisdiction",
        sa.Column("from_community_id", sa.Uuid(), nullable=True),
        schema="registry",
    )
    op.create_foreign_key(
        op.f("fk_building_jurisdiction_from_community_id_community"),
        "building_jurisdiction",
        "community",
        ["from_community_id"],
        ["id"],
        source_schema="registry",
        referent_schema="registry",
    )
    # Earlier transfers: the community of the period that ended the day this one began. A recorded
    # move to the same community (the race this revision closes) keeps NULL: it moved nothing.
    op.execute(
        """
        UPDATE registry.building_jurisdiction AS moved
        SET from_community_id = earlier.community_id
        FROM registry.building_jurisdiction AS earlier
        WHERE earlier.building_id = moved.building_id
          AND upper(earlier.during) = lower(moved.during)
          AND earlier.community_id <> moved.community_id
        """
    )
    op.create_check_constraint(
        op.f("ck_building_jurisdiction_moves_between_communities"),
        "building_jurisdiction",
        "from_community_id IS DISTINCT FROM community_id",
        schema="registry",
    )


def downgrade() -> None:
    op.drop_constraint(
        op.f("ck_building_jurisdiction_moves_between_communities"),
        "building_jurisdiction",
        schema="registry",
        type_="check",
    )
    op.drop_constraint(
        op.f("fk_building_jurisdiction_from_community_id_community"),
        "building_jurisdiction",
        schema="registry",
        type_="foreignkey",
    )
    op.drop_column("building_jurisdiction", "from_community_id", schema="registry")
