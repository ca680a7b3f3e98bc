"""session competition and discipline, attachment hash and file id, renewal date

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:18:11.910727
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | Sequence[str] | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("attachments", schema=None) as batch_op:
        # No attachments were stored before this revision, so the column needs no default.
        batch_op.add_column(sa.Column("sha256", sa.String(length=64), nullable=False))
        batch_op.add_column(sa.Column("telegram_file_id", sa.String(length=255), nullable=True))

    with op.batch_alter_table("shooting_sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column(
                "competition",
                sa.Enum(
                    "none",
                    "knsa",
                    "club",
                    name="competition",
                    native_enum=False,
                    create_constraint=True,
                    length=16,
                ),
                server_default="none",
                nullable=False,
            )
        )
        batch_op.add_column(sa.Column("discipline", sa.String(length=64), nullable=True))

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(sa.Column("renewal_date", sa.Date(), nullable=True))
        batch_op.add_column(
            sa.Column("attendance_reminders", sa.Boolean(), server_default="0", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("attendance_reminders")
        batch_op.drop_column("renewal_date")

    with op.batch_alter_table("shooting_sessions", schema=None) as batch_op:
        batch_op.drop_column("discipline")
        # SQLite batch mode copies CHECK constraints; the enum's must go before its column.
        batch_op.drop_constraint(op.f("ck_shooting_sessions_competition"), type_="check")
        batch_op.drop_column("competition")

    with op.batch_alter_table("attachments", schema=None) as batch_op:
        batch_op.drop_column("telegram_file_id")
        batch_op.drop_column("sha256")
