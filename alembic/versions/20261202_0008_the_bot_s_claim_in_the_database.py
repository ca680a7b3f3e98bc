"""the bot's claim in the database: one row with the claim code, shared by every process; one owner

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-02 16:15:00.000000

A database where two people claimed the bot (each process had a code of its own) keeps the first as its
owner; the others' `claimed_at` is cleared, so they are refused like any stranger.
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | Sequence[str] | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    claim = op.create_table(
        "bot_claim",
        sa.Column("id", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("code", sa.String(length=32), nullable=True),
        sa.CheckConstraint("id = 1", name=op.f("ck_bot_claim_single_row")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_bot_claim")),
    )
    op.bulk_insert(claim, [{"id": 1, "code": None}])
    users = sa.table("users", sa.column("id", sa.BigInteger()), sa.column("claimed_at", sa.DateTime()))
    first = (
        sa.select(users.c.id)
        .where(users.c.claimed_at.is_not(None))
        .order_by(users.c.claimed_at, users.c.id)
        .limit(1)
        .scalar_subquery()
    )
    op.execute(
        users.update().where(users.c.claimed_at.is_not(None), users.c.id != first).values(claimed_at=None)
    )


def downgrade() -> None:
    op.drop_table("bot_claim")
