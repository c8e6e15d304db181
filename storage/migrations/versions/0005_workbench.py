"""The officers' workbench: users, sessions, API tokens, uploads, decisions, the flag index, the audit log.

Revision ID: 0005
Revises: 0004
Create Date: 2025-01-05
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None

# Frozen copies of the column types and enum values of this revision, not imports of today's models.
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)
ROLES = ("officer", "reviewer", "admin")
UPLOAD_STATES = ("receiving", "submitted", "refused", "failed")
ACTIONS = ("confirm", "dismiss", "correct")


def _in(column: str, values: tuple[str, ...]) -> str:
    return f"{column} IN (%s)" % ", ".join(f"'{v}'" for v in values)


def upgrade() -> None:
    op.create_table(
        "wb_users",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(128), nullable=True),
        sa.Column("password_hash", sa.Text(), nullable=False),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("district", sa.String(64), nullable=True),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.CheckConstraint(_in("role", ROLES), name="ck_wb_users_role"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("username"),
    )
    op.create_table(
        "wb_sessions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("expires_at", Timestamp, nullable=False),
        sa.Column("revoked_at", Timestamp, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["wb_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_wb_sessions_user_id", "wb_sessions", ["user_id"])
    op.create_table(
        "wb_api_tokens",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(128), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("last_used_at", Timestamp, nullable=True),
        sa.Column("revoked_at", Timestamp, nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["wb_users.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("token_hash"),
    )
    op.create_index("ix_wb_api_tokens_user_id", "wb_api_tokens", ["user_id"])
    op.create_table(
        "wb_uploads",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("package_id", sa.String(32), nullable=True),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("district", sa.String(64), nullable=False),
        sa.Column("application_kind", sa.String(32), nullable=True),
        sa.Column("file_names", Json, nullable=False),
        sa.Column("total_bytes", sa.BigInteger(), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint(_in("state", UPLOAD_STATES), name="ck_wb_uploads_state"),
        sa.ForeignKeyConstraint(["package_id"], ["packages.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["wb_users.id"]),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("package_id"),
    )
    op.create_index("ix_wb_uploads_district", "wb_uploads", ["district"])
    op.create_index("ix_wb_uploads_created_at", "wb_uploads", ["created_at"])
    op.create_table(
        "wb_decisions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("package_id", sa.String(32), nullable=False),
        sa.Column("report_version", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("action", sa.String(16), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("fact", sa.String(64), nullable=True),
        sa.Column("value", Json, nullable=True),
        sa.Column("result", Json, nullable=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.CheckConstraint(_in("action", ACTIONS), name="ck_wb_decisions_action"),
        sa.ForeignKeyConstraint(["package_id"], ["packages.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["user_id"], ["wb_users.id"]),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_wb_decisions_package_rule", "wb_decisions", ["package_id", "rule"])
    op.create_index("ix_wb_decisions_fingerprint", "wb_decisions", ["fingerprint"])
    op.create_table(
        "wb_flags",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("package_id", sa.String(32), nullable=False),
        sa.Column("report_version", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(32), nullable=False),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("fingerprint", sa.String(64), nullable=False),
        sa.Column("message", sa.Text(), nullable=False),
        sa.Column("first_seen_at", Timestamp, nullable=False),
        sa.ForeignKeyConstraint(["package_id"], ["packages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("package_id", "rule"),
    )
    op.create_index("ix_wb_flags_package_id", "wb_flags", ["package_id"])
    op.create_index("ix_wb_flags_rule", "wb_flags", ["rule"])
    op.create_index("ix_wb_flags_first_seen_at", "wb_flags", ["first_seen_at"])
    op.create_table(
        "wb_flag_index",
        sa.Column("package_id", sa.String(32), nullable=False),
        sa.Column("report_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["package_id"], ["packages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("package_id"),
    )
    op.create_table(
        "wb_audit",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("at", Timestamp, nullable=False),
        sa.Column("actor", sa.String(64), nullable=True),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("package_id", sa.String(32), nullable=True),
        sa.Column("ip", sa.String(64), nullable=True),
        sa.Column("detail", Json, nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_wb_audit_at", "wb_audit", ["at"])
    op.create_index("ix_wb_audit_actor", "wb_audit", ["actor"])
    op.create_index("ix_wb_audit_action", "wb_audit", ["action"])
    op.create_index("ix_wb_audit_package_id", "wb_audit", ["package_id"])


def downgrade() -> None:
    for table in ("wb_audit", "wb_flag_index", "wb_flags", "wb_decisions", "wb_uploads", "wb_api_tokens",
                  "wb_sessions", "wb_users"):
        op.drop_table(table)
