"""events may ask that registrations be confirmed from their email within some hours

Revision ID: 0009
Revises: 0008

Columns are added and dropped in place, never by copying a table: on SQLite, copying
``events`` or ``registrations`` would delete, by their foreign keys, the rows that refer to
them.
"""

import sqlalchemy as sa
from alembic import op

from shared.database import UTCDateTime

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column("events", sa.Column("confirmation_hours", sa.Integer(), nullable=True))
    op.add_column("registrations", sa.Column("confirm_by", UTCDateTime(timezone=True)))
    op.add_column("registrations", sa.Column("email_confirmed_at", UTCDateTime(timezone=True)))
    op.add_column("registrations", sa.Column("confirmation_nonce", sa.String(length=64)))
    op.add_column("registrations", sa.Column("confirmation_digest", sa.String(length=64)))
    op.create_index(op.f("ix_registrations_confirm_by"), "registrations", ["confirm_by"])
    op.create_index(
        op.f("ix_registrations_confirmation_digest"),
        "registrations",
        ["confirmation_digest"],
        unique=True,
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_registrations_confirmation_digest"), table_name="registrations")
    op.drop_index(op.f("ix_registrations_confirm_by"), table_name="registrations")
    for column in ("confirmation_digest", "confirmation_nonce", "email_confirmed_at", "confirm_by"):
        op.drop_column("registrations", column)
    op.drop_column("events", "confirmation_hours")
