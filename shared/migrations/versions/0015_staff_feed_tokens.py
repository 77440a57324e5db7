"""trainers and organisers have private feeds, their tokens derived from a version

A feed link's token is derived from the trainer's or organiser's id, this version and the
secret key: no table holds it, and raising the version replaces it.

Revision ID: 0015
Revises: 0014
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade() -> None:
    for table in ("trainers", "organisers"):
        op.add_column(
            table,
            sa.Column("feed_token_version", sa.Integer(), nullable=False, server_default="0"),
        )


def downgrade() -> None:
    for table in ("organisers", "trainers"):
        op.drop_column(table, "feed_token_version")
