"""matrix accounts (a Matrix user's logbook id and room), link codes, and the bot's sync token

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-01 14:30:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | Sequence[str] | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "matrix_accounts",
        sa.Column("matrix_id", sa.String(length=255), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("room_id", sa.String(length=255), nullable=True),
        sa.Column(
            "created_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("matrix_id", name=op.f("pk_matrix_accounts")),
        sa.UniqueConstraint("user_id", name=op.f("uq_matrix_accounts_user_id")),
    )
    op.create_table(
        "matrix_sync",
        sa.Column("account", sa.String(length=255), nullable=False),
        sa.Column("next_batch", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("account", name=op.f("pk_matrix_sync")),
    )
    op.create_table(
        "matrix_link_codes",
        sa.Column("code", sa.String(length=16), nullable=False),
        sa.Column("user_id", sa.BigInteger(), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_matrix_link_codes")),
    )


def downgrade() -> None:
    op.drop_table("matrix_link_codes")
    op.drop_table("matrix_sync")
    op.drop_table("matrix_accounts")
