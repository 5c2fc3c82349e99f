"""wechat identities and the shared access token

Revision ID: 9d2b7e4c1a35
Revises: 0ca26a89bb6c
Create Date: 2026-12-02 15:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "9d2b7e4c1a35"
down_revision: str | None = "0ca26a89bb6c"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "wechat_identity",
        sa.Column("appid", sa.String(length=40), nullable=False),
        sa.Column("openid", sa.String(length=128), nullable=False),
        sa.Column("unionid", sa.String(length=128), nullable=True),
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("session_key_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["identity.account.id"], name=op.f("fk_wechat_identity_account_id_account")
        ),
        sa.PrimaryKeyConstraint("appid", "openid", name=op.f("pk_wechat_identity")),
        schema="identity",
    )
    op.create_index(op.f("ix_wechat_identity_unionid"), "wechat_identity", ["unionid"], schema="identity")
    op.create_index(op.f("ix_wechat_identity_account_id"), "wechat_identity", ["account_id"], schema="identity")
    op.create_table(
        "wechat_access_token",
        sa.Column("appid", sa.String(length=40), nullable=False),
        sa.Column("token_sealed", sa.LargeBinary(), nullable=False),
        sa.Column("token_sha256", sa.LargeBinary(length=32), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("refresh_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("appid", name=op.f("pk_wechat_access_token")),
        schema="identity",
    )


def downgrade() -> None:
    op.drop_table("wechat_access_token", schema="identity")
    op.drop_table("wechat_identity", schema="identity")
