"""registrations get a check-in code, derived like their links, that a new version replaces

Revision ID: 0011
Revises: 0010

The code itself is stored nowhere: it is derived from the id, this version and the secret
key. The column is added in place, never by copying the table (on SQLite, copying
``registrations`` would delete, by their foreign keys, the rows that refer to it).
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "registrations",
        sa.Column("checkin_code_version", sa.Integer(), nullable=False, server_default="0"),
    )


def downgrade() -> None:
    op.drop_column("registrations", "checkin_code_version")
