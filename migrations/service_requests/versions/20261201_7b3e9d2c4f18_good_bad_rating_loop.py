"""好差评: return visit after a bad rating, one follow-up rating

Revision ID: 7b3e9d2c4f18
Revises: 5c2e8a1f0d47
Create Date: 2026-12-01 23:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision: str = '7b3e9d2c4f18'
down_revision: str | None = '5c2e8a1f0d47'
branch_labels = None
depends_on = None

KINDS = "'transition', 'comment', 'escalation', 'rating', 'deadline'"


def upgrade() -> None:
    table = 'service_request'
    op.add_column(table, sa.Column('return_visit_due_at', sa.DateTime(timezone=True), nullable=True), schema='requests')
    op.add_column(table, sa.Column('return_visited_at', sa.DateTime(timezone=True), nullable=True), schema='requests')
    op.add_column(
        table,
        sa.Column('return_visit_escalated', sa.Boolean(), server_default='false', nullable=False),
        schema='requests',
    )
    op.add_column(table, sa.Column('follow_up_rating', sa.SmallInteger(), nullable=True), schema='requests')
    op.add_column(table, sa.Column('follow_up_rated_at', sa.DateTime(timezone=True), nullable=True), schema='requests')
    op.create_check_constraint(
        op.f('ck_service_request_follow_up_rating'),
        table,
        "follow_up_rating IS NULL OR (follow_up_rating BETWEEN 1 AND 5 AND rating <= 2)",
        schema='requests',
    )
    op.create_check_constraint(
        op.f('ck_service_request_return_visit_owed'),
        table,
        "return_visited_at IS NULL OR return_visit_due_at IS NOT NULL",
        schema='requests',
    )
    op.drop_constraint(op.f('ck_request_event_kind'), 'request_event', schema='requests', type_='check')
    op.create_check_constraint(
        op.f('ck_request_event_kind'), 'request_event', f"kind IN ({KINDS}, 'return_visit')", schema='requests'
    )


def downgrade() -> None:
    op.execute("DELETE FROM requests.request_event WHERE kind = 'return_visit'")
    op.drop_constraint(op.f('ck_request_event_kind'), 'request_event', schema='requests', type_='check')
    op.create_check_constraint(op.f('ck_request_event_kind'), 'request_event', f"kind IN ({KINDS})", schema='requests')
    for name in ('follow_up_rating', 'return_visit_owed'):
        op.drop_constraint(op.f(f'ck_service_request_{name}'), 'service_request', schema='requests', type_='check')
    for column in ('follow_up_rated_at', 'follow_up_rating', 'return_visit_escalated', 'return_visited_at',
                   'return_visit_due_at'):
        op.drop_column('service_request', column, schema='requests')
