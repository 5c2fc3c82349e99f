"""Residents' views: a grid event names the enterprise it concerns; a grid worker's duty hours

Revision ID: e5b2d7a19c46
Revises: 5b9e0a7c3f12
Create Date: 2026-12-03 14:00:00

`grid_event.enterprise_id` is set when an employee or a representative reports from their building
(their enterprise), so the representative's "my enterprise's events" list is one indexed query.
`grid_worker.duty_hours` is what "my grid worker" shows a building's residents (free text, e.g.
工作日 9:00-17:30).
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e5b2d7a19c46'
down_revision: str | None = '5b9e0a7c3f12'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column('grid_event', sa.Column('enterprise_id', sa.Uuid(), nullable=True), schema='grid')
    op.create_index(
        'ix_grid_event_enterprise_created',
        'grid_event',
        ['enterprise_id', 'created_at', 'id'],
        schema='grid',
        postgresql_where=sa.text('enterprise_id IS NOT NULL'),
    )
    op.create_index('ix_grid_event_reporter_created', 'grid_event', ['reporter_subject', 'created_at', 'id'], schema='grid')
    op.create_index(
        'ix_hazard_enterprise_created',
        'hazard',
        ['enterprise_id', 'created_at', 'id'],
        schema='grid',
        postgresql_where=sa.text('enterprise_id IS NOT NULL'),
    )
    op.create_index(
        'ix_inspection_enterprise_visited',
        'inspection',
        ['enterprise_id', 'visited_on', 'id'],
        schema='grid',
        postgresql_where=sa.text('enterprise_id IS NOT NULL'),
    )
    op.add_column('grid_worker', sa.Column('duty_hours', sa.String(length=100), nullable=True), schema='grid')


def downgrade() -> None:
    op.drop_column('grid_worker', 'duty_hours', schema='grid')
    op.drop_index('ix_inspection_enterprise_visited', table_name='inspection', schema='grid')
    op.drop_index('ix_hazard_enterprise_created', table_name='hazard', schema='grid')
    op.drop_index('ix_grid_event_reporter_created', table_name='grid_event', schema='grid')
    op.drop_index('ix_grid_event_enterprise_created', table_name='grid_event', schema='grid')
    op.drop_column('grid_event', 'enterprise_id', schema='grid')
