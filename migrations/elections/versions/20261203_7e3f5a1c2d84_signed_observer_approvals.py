"""signed observer approvals

Revision ID: 7e3f5a1c2d84
Revises: e5b9d3a7c104
Create Date: 2026-12-03 08:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '7e3f5a1c2d84'
down_revision: str | None = 'e5b9d3a7c104'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    # Approvals made before signatures existed keep empty strings: the verifier reports them as
    # unsigned rather than the migration inventing anything. New rows must give both columns.
    for column, length in (("public_key", 64), ("signature", 128)):
        op.add_column(
            'certification',
            sa.Column(column, sa.String(length=length), nullable=False, server_default=''),
            schema='elections',
        )
        op.alter_column('certification', column, server_default=None, schema='elections')


def downgrade() -> None:
    op.drop_column('certification', 'signature', schema='elections')
    op.drop_column('certification', 'public_key', schema='elections')
