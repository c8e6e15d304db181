"""Package state machine: state_changed_at, attempts, a CHECK on state, an index for stuck packages.

Revision ID: 0002
Revises: 0001
Create Date: 2025-01-02
"""
from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

STATES = ("received", "extracting", "checking", "done", "failed")  # frozen: a new state is a new revision
packages = sa.table("packages", sa.column("state", sa.String), sa.column("received_at", sa.DateTime),
                    sa.column("state_changed_at", sa.DateTime), sa.column("attempts", sa.Integer))


def upgrade() -> None:
    op.add_column("packages", sa.Column("state_changed_at", sa.DateTime(timezone=True), nullable=True))
    op.add_column("packages", sa.Column("attempts", sa.Integer(), server_default=sa.text("0"), nullable=False))
    # Existing rows: the last change we can date is the receipt; a package past received began once.
    # "processing" was declared but never written; if present it is a half state, like extracting.
    op.execute(packages.update().values(state_changed_at=packages.c.received_at))
    op.execute(packages.update().where(packages.c.state == "processing").values(state="extracting"))
    op.execute(packages.update().where(packages.c.state != "received").values(attempts=1))
    with op.batch_alter_table("packages") as batch:
        batch.alter_column("state_changed_at", existing_type=sa.DateTime(timezone=True), nullable=False)
        batch.create_check_constraint("ck_packages_state", "state IN (%s)" % ", ".join(f"'{s}'" for s in STATES))
    op.create_index("ix_packages_state_changed_at", "packages", ["state", "state_changed_at"])


def downgrade() -> None:
    op.drop_index("ix_packages_state_changed_at", table_name="packages")
    with op.batch_alter_table("packages") as batch:
        batch.drop_constraint("ck_packages_state", type_="check")
        batch.drop_column("attempts")
        batch.drop_column("state_changed_at")
