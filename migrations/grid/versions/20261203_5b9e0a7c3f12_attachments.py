"""Attachments of hazards, grid events and inspections: one row per file, a unique slot per item;
an inspection's history (its files added)

Revision ID: 5b9e0a7c3f12
Revises: c81f4a7e2d90
Create Date: 2026-12-03 14:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '5b9e0a7c3f12'
down_revision: str | None = 'c81f4a7e2d90'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        'attachment',
        sa.Column('item_kind', sa.String(length=20), nullable=False),
        sa.Column('item_id', sa.Uuid(), nullable=False),
        sa.Column('community_id', sa.Uuid(), nullable=False),
        sa.Column('slot', sa.Integer(), nullable=False),
        sa.Column('stage', sa.String(length=20), nullable=True),
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
        sa.CheckConstraint(
            "item_kind IN ('hazard', 'grid_event', 'inspection')", name=op.f('ck_attachment_item_kind')
        ),
        sa.CheckConstraint("sha256 ~ '^[0-9a-f]{64}$'", name=op.f('ck_attachment_sha256')),
        sa.CheckConstraint('slot >= 1', name=op.f('ck_attachment_slot')),
        sa.CheckConstraint(
            "(item_kind = 'hazard' AND stage IN ('found', 'rectified', 'verified'))"
            " OR (item_kind = 'grid_event' AND stage IN ('report', 'handling', 'verification'))"
            " OR (item_kind = 'inspection' AND stage IS NULL)",
            name=op.f('ck_attachment_stage'),
        ),
        sa.CheckConstraint("status IN ('pending', 'confirmed')", name=op.f('ck_attachment_status')),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_attachment')),
        sa.UniqueConstraint('item_kind', 'item_id', 'slot', name=op.f('uq_attachment_item_kind_item_id_slot')),
        schema='grid',
    )
    op.create_index(
        'ix_attachment_pending_expiry',
        'attachment',
        ['expires_at'],
        unique=False,
        schema='grid',
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_table(
        'inspection_history',
        sa.Column('inspection_id', sa.Uuid(), nullable=False),
        sa.Column('action', sa.String(length=30), nullable=False),
        sa.Column('actor', sa.String(length=200), nullable=False),
        sa.Column('note', sa.String(length=2000), nullable=True),
        sa.Column('id', sa.Uuid(), nullable=False),
        sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.Column('updated_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
        sa.ForeignKeyConstraint(
            ['inspection_id'], ['grid.inspection.id'], name=op.f('fk_inspection_history_inspection_id_inspection')
        ),
        sa.PrimaryKeyConstraint('id', name=op.f('pk_inspection_history')),
        schema='grid',
    )
    op.create_index(
        op.f('ix_inspection_history_inspection_id'), 'inspection_history', ['inspection_id'], unique=False, schema='grid'
    )


def downgrade() -> None:
    op.drop_index(op.f('ix_inspection_history_inspection_id'), table_name='inspection_history', schema='grid')
    op.drop_table('inspection_history', schema='grid')
    op.drop_index(
        'ix_attachment_pending_expiry', table_name='attachment', schema='grid', postgresql_where=sa.text("status = 'pending'")
    )
    op.drop_table('attachment', schema='grid')
