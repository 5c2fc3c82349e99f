"""Events for notifications: deadline-approaching notices once per deadline, activity cancellation and reminder

Revision ID: a4e7c1d9b352
Revises: 7b3e9d2c4f18
Create Date: 2026-12-03 08:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = 'a4e7c1d9b352'
down_revision: str | None = '7b3e9d2c4f18'
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        'deadline_notice',
        sa.Column('request_id', sa.Uuid(), nullable=False),
        sa.Column('kind', sa.String(length=20), nullable=False),
        sa.Column('clock', sa.SmallInteger(), nullable=False),
        sa.Column('due_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("kind IN ('acknowledge', 'resolve')", name=op.f('ck_deadline_notice_kind')),
        sa.ForeignKeyConstraint(
            ['request_id'], ['requests.service_request.id'],
            name=op.f('fk_deadline_notice_request_id_service_request'), ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('request_id', 'kind', 'clock', name=op.f('pk_deadline_notice')),
        schema='requests',
    )
    op.add_column('activity', sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True), schema='requests')
    op.add_column('activity', sa.Column('reminded_at', sa.DateTime(timezone=True), nullable=True), schema='requests')


def downgrade() -> None:
    op.drop_column('activity', 'reminded_at', schema='requests')
    op.drop_column('activity', 'cancelled_at', schema='requests')
    op.drop_table('deadline_notice', schema='requests')
