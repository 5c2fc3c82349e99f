"""invitations join requests

Revision ID: 5b1f0c3a7d21
Revises: 7a4c2d9e6f10
Create Date: 2026-12-02 14:00:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "5b1f0c3a7d21"
down_revision: str | None = "7a4c2d9e6f10"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invitation",
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("code_sha256", sa.LargeBinary(), nullable=False),
        sa.Column("created_by", sa.String(length=200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("used_by", sa.Uuid(), nullable=True),
        sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("(used_at IS NULL) = (used_by IS NULL)", name=op.f("ck_invitation_used_by")),
        sa.CheckConstraint("used_at IS NULL OR cancelled_at IS NULL", name=op.f("ck_invitation_used_or_cancelled")),
        sa.CheckConstraint("expires_at > created_at", name=op.f("ck_invitation_expiry")),
        sa.ForeignKeyConstraint(["used_by"], ["identity.account.id"], name=op.f("fk_invitation_used_by_account")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation")),
        sa.UniqueConstraint("code_sha256", name=op.f("uq_invitation_code_sha256")),
        schema="identity",
    )
    op.create_index(
        op.f("ix_invitation_enterprise_id"), "invitation", ["enterprise_id"], unique=False, schema="identity"
    )
    op.create_table(
        "join_request",
        sa.Column("account_id", sa.Uuid(), nullable=False),
        sa.Column("enterprise_id", sa.Uuid(), nullable=False),
        sa.Column("status", sa.String(length=20), server_default="pending", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), server_default=sa.text("now()"), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("decided_by", sa.String(length=200), nullable=True),
        sa.Column("id", sa.Uuid(), nullable=False),
        sa.CheckConstraint("status IN ('pending', 'approved', 'rejected')", name=op.f("ck_join_request_status")),
        sa.CheckConstraint("(status = 'pending') = (decided_at IS NULL)", name=op.f("ck_join_request_decided")),
        sa.ForeignKeyConstraint(
            ["account_id"], ["identity.account.id"], name=op.f("fk_join_request_account_id_account")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_join_request")),
        schema="identity",
    )
    op.create_index(op.f("ix_join_request_account_id"), "join_request", ["account_id"], unique=False, schema="identity")
    op.create_index(
        op.f("ix_join_request_enterprise_id"), "join_request", ["enterprise_id"], unique=False, schema="identity"
    )
    op.create_index(
        "uq_join_request_pending",
        "join_request",
        ["account_id", "enterprise_id"],
        unique=True,
        schema="identity",
        postgresql_where=sa.text("status = 'pending'"),
    )
    op.create_index(
        "ix_audit_record_account_id_at", "audit_record", ["account_id", "at"], unique=False, schema="identity"
    )
    # a grant may come from an approved join request
    op.drop_constraint(op.f("ck_role_grant_source"), "role_grant", schema="identity", type_="check")
    op.create_check_constraint(
        op.f("ck_role_grant_source"),
        "role_grant",
        "source IN ('api', 'invitation', 'join_request', 'registry')",
        schema="identity",
    )


def downgrade() -> None:
    op.drop_constraint(op.f("ck_role_grant_source"), "role_grant", schema="identity", type_="check")
    op.create_check_constraint(
        op.f("ck_role_grant_source"), "role_grant", "source IN ('api', 'invitation', 'registry')", schema="identity"
    )
    op.drop_index("ix_audit_record_account_id_at", table_name="audit_record", schema="identity")
    op.drop_index("uq_join_request_pending", table_name="join_request", schema="identity")
    op.drop_index(op.f("ix_join_request_enterprise_id"), table_name="join_request", schema="identity")
    op.drop_index(op.f("ix_join_request_account_id"), table_name="join_request", schema="identity")
    op.drop_table("join_request", schema="identity")
    op.drop_index(op.f("ix_invitation_enterprise_id"), table_name="invitation", schema="identity")
    op.drop_table("invitation", schema="identity")
