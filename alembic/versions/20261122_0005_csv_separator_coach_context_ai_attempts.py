"""csv separator, coach context, AI attempts

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 05:08:12.188319
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | Sequence[str] | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("ai_reflections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))

    with op.batch_alter_table("ai_weapon_insights", schema=None) as batch_op:
        batch_op.add_column(sa.Column("attempts", sa.Integer(), server_default="0", nullable=False))

    with op.batch_alter_table("coach_threads", schema=None) as batch_op:
        batch_op.add_column(sa.Column("session_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("weapon_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_coach_threads_session_id_shooting_sessions"),
            "shooting_sessions",
            ["session_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch_op.create_foreign_key(
            batch_op.f("fk_coach_threads_weapon_id_weapons"),
            "weapons",
            ["weapon_id"],
            ["id"],
            ondelete="SET NULL",
        )

    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("csv_separator", sa.String(length=1), server_default=",", nullable=False)
        )


def downgrade() -> None:
    with op.batch_alter_table("users", schema=None) as batch_op:
        batch_op.drop_column("csv_separator")

    with op.batch_alter_table("coach_threads", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("fk_coach_threads_weapon_id_weapons"), type_="foreignkey")
        batch_op.drop_constraint(
            batch_op.f("fk_coach_threads_session_id_shooting_sessions"), type_="foreignkey"
        )
        batch_op.drop_column("weapon_id")
        batch_op.drop_column("session_id")

    with op.batch_alter_table("ai_weapon_insights", schema=None) as batch_op:
        batch_op.drop_column("attempts")

    with op.batch_alter_table("ai_reflections", schema=None) as batch_op:
        batch_op.drop_column("attempts")
