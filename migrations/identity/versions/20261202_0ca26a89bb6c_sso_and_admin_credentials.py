"""staff single sign-on (oidc_login, oidc_identity) and platform admin credentials (admin_credential)

Revision ID: 0ca26a89bb6c
Revises: 3c8e5a1f9d42
Create Date: 2026-12-02 14:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = '0ca26a89bb6c'
down_revision: str | None = '3c8e5a1f9d42'
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table('oidc_login',
    sa.Column('state_sha256', sa.LargeBinary(), nullable=False),
    sa.Column('nonce', sa.String(length=64), nullable=False),
    sa.Column('code_verifier', sa.String(length=128), nullable=False),
    sa.Column('redirect_uri', sa.String(length=2000), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('consumed_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.CheckConstraint('expires_at > created_at', name=op.f('ck_oidc_login_expires_after_created')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_login')),
    sa.UniqueConstraint('state_sha256', name=op.f('uq_oidc_login_state_sha256')),
    schema='identity'
    )
    op.create_index(op.f('ix_oidc_login_expires_at'), 'oidc_login', ['expires_at'], unique=False, schema='identity')
    op.create_table('oidc_identity',
    sa.Column('issuer', sa.String(length=500), nullable=False),
    sa.Column('subject', sa.String(length=255), nullable=False),
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('id', sa.Uuid(), nullable=False),
    sa.ForeignKeyConstraint(['account_id'], ['identity.account.id'], name=op.f('fk_oidc_identity_account_id_account')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_oidc_identity')),
    sa.UniqueConstraint('issuer', 'subject', name=op.f('uq_oidc_identity_issuer_subject')),
    schema='identity'
    )
    op.create_index(op.f('ix_oidc_identity_account_id'), 'oidc_identity', ['account_id'], unique=False, schema='identity')
    op.create_table('admin_credential',
    sa.Column('account_id', sa.Uuid(), nullable=False),
    sa.Column('username', sa.String(length=64), nullable=False),
    sa.Column('password_hash', sa.String(length=200), nullable=False),
    sa.Column('totp_secret_sealed', sa.LargeBinary(), nullable=False),
    sa.Column('totp_last_step', sa.BigInteger(), server_default='0', nullable=False),
    sa.Column('failed_attempts', sa.Integer(), server_default='0', nullable=False),
    sa.Column('locked_until', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), server_default=sa.text('now()'), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('failed_attempts >= 0', name=op.f('ck_admin_credential_failed_attempts')),
    sa.CheckConstraint('totp_last_step >= 0', name=op.f('ck_admin_credential_totp_last_step')),
    sa.ForeignKeyConstraint(['account_id'], ['identity.account.id'], name=op.f('fk_admin_credential_account_id_account')),
    sa.PrimaryKeyConstraint('account_id', name=op.f('pk_admin_credential')),
    sa.UniqueConstraint('username', name=op.f('uq_admin_credential_username')),
    schema='identity'
    )


def downgrade() -> None:
    op.drop_table('admin_credential', schema='identity')
    op.drop_index(op.f('ix_oidc_identity_account_id'), table_name='oidc_identity', schema='identity')
    op.drop_table('oidc_identity', schema='identity')
    op.drop_index(op.f('ix_oidc_login_expires_at'), table_name='oidc_login', schema='identity')
    op.drop_table('oidc_login', schema='identity')
