"""Baseline: the schema Base.metadata.create_all made before migrations existed.

Revision ID: 0001
Revises:
Create Date: 2025-01-01
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects import postgresql

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

# Frozen copies of the column types of that time, not imports of today's models.
Json = sa.JSON().with_variant(postgresql.JSONB(), "postgresql")
Timestamp = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "extractions",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("extractor_version", sa.String(64), nullable=False),
        sa.Column("settings_hash", sa.String(64), nullable=False),
        sa.Column("result", Json, nullable=True),
        sa.Column("blob_key", sa.Text(), nullable=True),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("sha256", "extractor_version", "settings_hash"),
    )
    op.create_table(
        "packages",
        sa.Column("id", sa.String(32), nullable=False),
        sa.Column("content_id", sa.String(64), nullable=False),
        sa.Column("source", sa.Text(), nullable=False),
        sa.Column("received_at", Timestamp, nullable=False),
        sa.Column("application_kind", sa.String(32), nullable=True),
        sa.Column("application_date", sa.Date(), nullable=True),
        sa.Column("applicant_name", sa.Text(), nullable=True),
        sa.Column("applicant_uscc", sa.String(18), nullable=True),
        sa.Column("district", sa.String(64), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("verdict", sa.String(32), nullable=True),
        sa.Column("ruleset", sa.String(64), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_packages_received_at", "packages", ["received_at"])
    op.create_index("ix_packages_content_id", "packages", ["content_id"])
    op.create_index("ix_packages_applicant_uscc", "packages", ["applicant_uscc"])
    op.create_table(
        "documents",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("package_id", sa.String(32), nullable=False),
        sa.Column("name", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("file_type", sa.String(16), nullable=False),
        sa.Column("problem_code", sa.String(64), nullable=True),
        sa.Column("problem_zh", sa.Text(), nullable=True),
        sa.Column("problem_en", sa.Text(), nullable=True),
        sa.Column("detected_kinds", Json, nullable=False),
        sa.ForeignKeyConstraint(["package_id"], ["packages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("package_id", "name"),
    )
    op.create_index("ix_documents_package_id", "documents", ["package_id"])
    op.create_index("ix_documents_sha256", "documents", ["sha256"])
    op.create_table(
        "reports",
        sa.Column("id", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("package_id", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("ruleset", sa.String(64), nullable=False),
        sa.Column("verdict", sa.String(32), nullable=False),
        sa.Column("created_at", Timestamp, nullable=False),
        sa.Column("object_key", sa.Text(), nullable=True),
        sa.Column("json_text", sa.Text(), nullable=False),
        sa.ForeignKeyConstraint(["package_id"], ["packages.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("package_id", "version"),
    )
    op.create_index("ix_reports_package_id", "reports", ["package_id"])


def downgrade() -> None:
    op.drop_table("reports")
    op.drop_table("documents")
    op.drop_table("packages")
    op.drop_table("extractions")
