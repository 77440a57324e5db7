"""registrations and attendances are found by their date

The planning counts, for each date of a month, the participants who chose it and the
presence marked on it: without an index on the date, each count read every registration
and every mark ever made.

Revision ID: 0017
Revises: 0016
"""

from alembic import op

revision = "0017"
down_revision = "0016"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_registrations_session_date_id", "registrations", ["session_date_id"])
    op.create_index("ix_attendances_session_date_id", "attendances", ["session_date_id"])


def downgrade() -> None:
    op.drop_index("ix_attendances_session_date_id", table_name="attendances")
    op.drop_index("ix_registrations_session_date_id", table_name="registrations")
