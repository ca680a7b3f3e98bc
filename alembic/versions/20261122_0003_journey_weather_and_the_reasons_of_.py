"""journey weather and the reasons of packing list items

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 04:22:31.175298
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | Sequence[str] | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("gear_journey_items", schema=None) as batch_op:
        batch_op.add_column(sa.Column("reasons", sa.JSON(), server_default="[]", nullable=False))

    with op.batch_alter_table("gear_journeys", schema=None) as batch_op:
        batch_op.add_column(sa.Column("weather", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("gear_journeys", schema=None) as batch_op:
        batch_op.drop_column("weather")

    with op.batch_alter_table("gear_journey_items", schema=None) as batch_op:
        batch_op.drop_column("reasons")
