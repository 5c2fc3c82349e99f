"""Events for notifications: the announced close of a voting round and its closing-soon notice, once per round

Revision ID: e5b9d3a7c104
Revises: 4d1c7e2a9b55
Create Date: 2026-12-03 09:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'e5b9d3a7c104'
down_revision: str | None = '4d1c7e2a9b55'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'election', sa.Column('voting_closes_at', sa.DateTime(timezone=True), nullable=True), schema='elections'
    )
    op.create_table(
        'closing_notice',
        sa.Column('election_id', sa.Uuid(), nullable=False),
        sa.Column('round_no', sa.Integer(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ['election_id'], ['elections.election.id'], name=op.f('fk_closing_notice_election_id_election')
        ),
        sa.PrimaryKeyConstraint('election_id', 'round_no', name=op.f('pk_closing_notice')),
        schema='elections',
    )


def downgrade() -> None:
    op.drop_table('closing_notice', schema='elections')
    op.drop_column('election', 'voting_closes_at', schema='elections')
