"""Events for notifications: a hazard's overdue notice once, a campaign's missing check-in notice once per building and day

Revision ID: c81f4a7e2d90
Revises: 61b0f4bbb22b
Create Date: 2026-12-03 08:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'c81f4a7e2d90'
down_revision: str | None = '61b0f4bbb22b'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('hazard', sa.Column('overdue_noticed_at', sa.DateTime(timezone=True), nullable=True), schema='grid')
    op.create_table(
        'missing_check_in_notice',
        sa.Column('campaign_id', sa.Uuid(), nullable=False),
        sa.Column('day', sa.Date(), nullable=False),
        sa.Column('building_id', sa.Uuid(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['campaign_id'], ['grid.campaign.id'], name=op.f('fk_missing_check_in_notice_campaign_id_campaign')
        ),
        sa.PrimaryKeyConstraint('campaign_id', 'day', 'building_id', name=op.f('pk_missing_check_in_notice')),
        schema='grid',
    )


def downgrade() -> None:
    op.drop_table('missing_check_in_notice', schema='grid')
    op.drop_column('hazard', 'overdue_noticed_at', schema='grid')
