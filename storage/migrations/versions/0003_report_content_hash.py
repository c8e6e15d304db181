"""Reports carry a content hash, so saving the same report again adds no version.

Revision ID: 0003
Revises: 0002
Create Date: 2025-01-03
"""
from __future__ import annotations

import hashlib
import json

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

VOLATILE_KEYS = ("generated_at",)  # frozen copy of storage.repository.report_content_sha256
reports = sa.table("reports", sa.column("id", sa.Integer), sa.column("json_text", sa.Text),
                   sa.column("content_sha256", sa.String))


def upgrade() -> None:
    op.add_column("reports", sa.Column("content_sha256", sa.String(64), nullable=True))
    conn = op.get_bind()
    rows = conn.execute(sa.select(reports.c.id, reports.c.json_text).execution_options(yield_per=500))
    hashes = [{"rid": rid, "sha": _content_sha256(text)} for rid, text in rows]
    if hashes:
        conn.execute(reports.update().where(reports.c.id == sa.bindparam("rid"))
                     .values(content_sha256=sa.bindparam("sha")), hashes)
    with op.batch_alter_table("reports") as batch:
        batch.alter_column("content_sha256", existing_type=sa.String(64), nullable=False)


def _content_sha256(json_text: str) -> str:
    report = json.loads(json_text)
    stable = {k: v for k, v in report.items() if k not in VOLATILE_KEYS} if isinstance(report, dict) else report
    return hashlib.sha256(json.dumps(stable, ensure_ascii=False, sort_keys=True).encode("utf-8")).hexdigest()


def downgrade() -> None:
    with op.batch_alter_table("reports") as batch:
        batch.drop_column("content_sha256")
