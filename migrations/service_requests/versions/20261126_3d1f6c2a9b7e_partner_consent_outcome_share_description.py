"""partner consent time, structured outcome, shareable description

Revision ID: 3d1f6c2a9b7e
Revises: 8b06be8e9834
Create Date: 2026-11-26 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision: str = '3d1f6c2a9b7e'
down_revision: str | None = '8b06be8e9834'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.add_column(
        'service_type',
        sa.Column('handler_share_description', sa.Boolean(), server_default='false', nullable=False),
        schema='requests',
    )
    op.add_column(
        'service_request', sa.Column('share_consent_at', sa.DateTime(timezone=True), nullable=True), schema='requests'
    )
    op.add_column(
        'service_request',
        sa.Column('outcome', postgresql.JSONB(astext_type=sa.Text()), nullable=True),
        schema='requests',
    )


def downgrade() -> None:
    op.drop_column('service_request', 'outcome', schema='requests')
    op.drop_column('service_request', 'share_consent_at', schema='requests')
    op.drop_column('service_type', 'handler_share_description', schema='requests')
