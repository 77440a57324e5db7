"""recurring office hours are found without reading every date

A listing of coming events reads the dates of one day by their start; recurring office
hours are coming whenever they began, and a partial index lets it find them without
scanning every date ever held.

Revision ID: 0018
Revises: 0017
"""

import sqlalchemy as sa
from alembic import op

revision = "0018"
down_revision = "0017"
branch_labels = None
depends_on = None

RECURRING = sa.text("recurrence_rule IS NOT NULL")


def upgrade() -> None:
    op.create_index(
        "ix_session_dates_recurring",
        "session_dates",
        ["starts_at"],
        postgresql_where=RECURRING,
        sqlite_where=RECURRING,
    )


def downgrade() -> None:
    op.drop_index("ix_session_dates_recurring", table_name="session_dates")
