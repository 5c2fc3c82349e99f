"""residential community type

Revision ID: 30ebe6ed648c
Revises: 36214c27ca72
Create Date: 2026-11-26 19:37:01.486728
"""

from collections.abc import Sequence

from alembic import op

revision: str = '30ebe6ed648c'
down_revision: str | None = '36214c27ca72'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


INDUSTRIAL = "'tech_innovation', 'cultural_creative', 'smart_manufacturing', 'business_building'"


def upgrade() -> None:
    # Ordinary (residential) communities are recorded too: industrial ones are carved out of them.
    op.drop_constraint(op.f("ck_community_type"), "community", schema="registry", type_="check")
    op.create_check_constraint(
        op.f("ck_community_type"), "community", f"type IN ({INDUSTRIAL}, 'residential')", schema="registry"
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_community_type"), "community", schema="registry", type_="check")
    op.create_check_constraint(op.f("ck_community_type"), "community", f"type IN ({INDUSTRIAL})", schema="registry")
