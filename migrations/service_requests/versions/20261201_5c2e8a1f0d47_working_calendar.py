"""the operator's working-day calendar, provisional deadlines, deadline timeline rows

Revision ID: 5c2e8a1f0d47
Revises: 3d1f6c2a9b7e
Create Date: 2026-12-01 22:50:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op


revision: str = '5c2e8a1f0d47'
down_revision: str | None = '3d1f6c2a9b7e'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute(sa.schema.CreateSequence(sa.Sequence('calendar_version', schema='requests')))
    op.create_table('calendar_state',
    sa.Column('id', sa.SmallInteger(), nullable=False),
    sa.Column('version', sa.BigInteger(), server_default='0', nullable=False),
    sa.CheckConstraint('id = 1', name=op.f('ck_calendar_state_single_row')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_calendar_state')),
    schema='requests'
    )
    op.create_table('calendar_year',
    sa.Column('year', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('notice', sa.String(length=300), nullable=True),
    sa.Column('loaded_by', sa.String(length=200), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('version', sa.Integer(), server_default='1', nullable=False),
    sa.CheckConstraint('year BETWEEN 2000 AND 2100', name=op.f('ck_calendar_year_year_range')),
    sa.PrimaryKeyConstraint('year', name=op.f('pk_calendar_year')),
    schema='requests'
    )
    op.create_table('calendar_day',
    sa.Column('day', sa.Date(), nullable=False),
    sa.Column('year', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('name', sa.String(length=100), nullable=True),
    sa.CheckConstraint("kind IN ('holiday', 'working_day')", name=op.f('ck_calendar_day_kind')),
    sa.CheckConstraint('EXTRACT(YEAR FROM day) = year', name=op.f('ck_calendar_day_day_in_year')),
    sa.CheckConstraint("kind = 'holiday' OR EXTRACT(ISODOW FROM day) IN (6, 7)", name=op.f('ck_calendar_day_working_day_on_weekend')),
    sa.ForeignKeyConstraint(['year'], ['requests.calendar_year.year'], name=op.f('fk_calendar_day_year_calendar_year'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('day', name=op.f('pk_calendar_day')),
    schema='requests'
    )
    op.create_index(op.f('ix_calendar_day_year'), 'calendar_day', ['year'], unique=False, schema='requests')
    op.add_column('service_request', sa.Column('deadlines_provisional', sa.Boolean(), server_default='false', nullable=False), schema='requests')
    op.drop_constraint(op.f('ck_request_event_kind'), 'request_event', schema='requests', type_='check')
    op.create_check_constraint(op.f('ck_request_event_kind'), 'request_event', "kind IN ('transition', 'comment', 'escalation', 'rating', 'deadline')", schema='requests')


def downgrade() -> None:
    op.execute("DELETE FROM requests.request_event WHERE kind = 'deadline'")
    op.drop_constraint(op.f('ck_request_event_kind'), 'request_event', schema='requests', type_='check')
    op.create_check_constraint(op.f('ck_request_event_kind'), 'request_event', "kind IN ('transition', 'comment', 'escalation', 'rating')", schema='requests')
    op.drop_column('service_request', 'deadlines_provisional', schema='requests')
    op.drop_index(op.f('ix_calendar_day_year'), table_name='calendar_day', schema='requests')
    op.drop_table('calendar_day', schema='requests')
    op.drop_table('calendar_year', schema='requests')
    op.drop_table('calendar_state', schema='requests')
    op.execute(sa.schema.DropSequence(sa.Sequence('calendar_version', schema='requests')))
