"""groups closed after their last date

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

import shared.database

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("groups") as groups:
        groups.add_column(
            sa.Column("closed_at", shared.database.UTCDateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("groups") as groups:
        groups.drop_column("closed_at")
