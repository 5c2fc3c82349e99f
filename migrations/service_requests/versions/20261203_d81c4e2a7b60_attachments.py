"""Files of service requests: one row per file, a unique slot per request; timeline kind `attachment`

Revision ID: d81c4e2a7b60
Revises: a4e7c1d9b352
Create Date: 2026-12-03 14:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = 'd81c4e2a7b60'
down_revision: str | None = 'a4e7c1d9b352'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

KINDS = "'transition', 'comment', 'escalation', 'rating', 'deadline', 'return_visit'"


def upgrade() -> None:
    op.create_table(
        'attachment',
        sa.Column('request_id', sa.Uuid(), nullable=False),
        sa.Column('community_id', sa.Uuid(), nullable=False),
        sa.Column('slot', sa.Integer(), nullable=False),
        sa.Column('field', sa.String(length=64), nullable=True),
        sa.Column('name', sa.String(length=255), nullable=False),
        sa.Column('declared_type', sa.String(length=40), nullable=False),
        sa.Column('declared_size', sa.BigInteger(), nullable=False),
        sa.Column('sha256', sa.String(length=64), nullable=False),
        sa.Column('uploaded_by', sa.String(length=200), nullable=False),
        sa.Column('status', sa.String(length=10), server_default='pending', nullable=False),
        sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('content_type', sa.String(length=40), nullable=True),
        sa.Column('size', sa.BigInteger(), nullable=True),
        sa.Column('width', sa.Integer(), nullable=True),
        sa.Column('height', sa.Integer(), nullable=True),
        sa.Column('has_thumbnail', sa.Boolean(), server_default='false', nullable=False),
        sa.Column('confirmed_at', sa.DateTime(timezone=True), nullable=True),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.CheckConstraint(
            "(status = 'confirmed') = (confirmed_at IS NOT NULL AND size IS NOT NULL)",
            name=op.f('ck_attachment_confirmed'),
        ),
        sa.CheckConstraint(
            "declared_type IN ('image/jpeg', 'image/png', 'image/heic', 'application/pdf')",
            name=op.f('ck_attachment_declared_type'),
        ),
        sa.CheckConstraint('declared_size > 0', name=op.f('ck_attachment_declared_size')),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name=op.f('ck_attachment_sha256')),
        sa.CheckConstraint('slot >= 1', name=op.f('ck_attachment_slot')),
        sa.CheckConstraint("status IN ('pending', 'confirmed')", name=op.f('ck_attachment_status')),
        sa.ForeignKeyConstraint(
            ['request_id'],
            ['requests.service_request.id'],
            name=op.f('fk_attachment_request_id_service_request'),
            ondelete='CASCADE',
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
        sa.UniqueConstraint('request_id', 'slot', name=op.f('uq_attachment_request_id_slot')),
        schema='requests',
    )
    op.create_index(
        'ix_attachment_pending_expiry',
        'attachment',
        ['expires_at'],
        unique=False,
        schema='requests',
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_constraint(op.f('ck_request_event_kind'), 'request_event', schema='requests', type_='check')
    op.create_check_constraint(
        op.f('ck_request_event_kind'), 'request_event', f"kind IN ({KINDS}, 'attachment')", schema='requests'
    )


def downgrade() -> None:
    op.execute("DELETE FROM requests.request_event WHERE kind = 'attachment'")
    op.drop_constraint(op.f('ck_request_event_kind'), 'request_event', schema='requests', type_='check')
    op.create_check_constraint(op.f('ck_request_event_kind'), 'request_event', f"kind IN ({KINDS})", schema='requests')
    op.drop_index(
        'ix_attachment_pending_expiry',
        table_name='attachment',
        schema='requests',
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.drop_table('attachment', schema='requests')
