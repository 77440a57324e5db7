"""session dates are found by when they start

The sessions page, the public API, the archive and the feeds read dates by their start
(coming ones, a month, a year, a window): an index on it keeps those reads from scanning
every date ever held.

Revision ID: 0016
Revises: 0015
"""

from alembic import op

revision = "0016"
down_revision = "0015"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index("ix_session_dates_starts_at", "session_dates", ["starts_at"])


def downgrade() -> None:
    op.drop_index("ix_session_dates_starts_at", table_name="session_dates")
