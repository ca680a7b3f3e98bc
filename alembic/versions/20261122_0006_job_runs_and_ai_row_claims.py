"""job runs (one process runs each scheduled job per period) and claims of pending AI rows

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-22 08:20:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | Sequence[str] | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "job_runs",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(length=64), nullable=False),
        sa.Column("period", sa.String(length=16), nullable=False),
        sa.Column("runner", sa.String(length=120), nullable=False),
        sa.Column(
            "started_at",
            sa.DateTime(timezone=True),
            server_default=sa.text("(CURRENT_TIMESTAMP)"),
            nullable=False,
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_job_runs")),
        sa.UniqueConstraint("name", "period", name="uq_job_runs_name_period"),
    )
    with op.batch_alter_table("ai_reflections", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("ai_weapon_insights", schema=None) as batch_op:
        batch_op.add_column(sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("ai_weapon_insights", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")

    with op.batch_alter_table("ai_reflections", schema=None) as batch_op:
        batch_op.drop_column("claimed_at")

    op.drop_table("job_runs")
