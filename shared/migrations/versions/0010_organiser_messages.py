"""organisers write to the participants of an event: messages, their recipients, and the
delivery log's link from each copy to its message

Revision ID: 0010
Revises: 0009

"""

import sqlalchemy as sa
from alembic import op

from shared.database import UTCDateTime

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "organiser_messages",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column(
            "send_mode",
            sa.Enum("now", "at", "offset", name="message_send_mode", native_enum=False),
            nullable=False,
        ),
        sa.Column("send_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("offset_anchor", sa.String(length=5), nullable=True),
        sa.Column("offset_days", sa.Integer(), nullable=True),
        sa.Column("offset_time", sa.String(length=5), nullable=True),
        sa.Column(
            "state",
            sa.Enum(
                "scheduled",
                "released",
                "withdrawn",
                "called_off",
                name="message_state",
                native_enum=False,
            ),
            nullable=False,
        ),
        sa.Column("released_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("recipient_count", sa.Integer(), nullable=True),
        sa.Column("anonymised_at", UTCDateTime(timezone=True), nullable=True),
        sa.Column("created_at", UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_organiser_messages_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["organisers.id"],
            name=op.f("fk_organiser_messages_author_id_organisers"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organiser_messages")),
    )
    op.create_index(op.f("ix_organiser_messages_event_id"), "organiser_messages", ["event_id"])
    op.create_index("ix_organiser_messages_state", "organiser_messages", ["state"])
    op.create_table(
        "organiser_message_recipients",
        sa.Column("message_id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["message_id"],
            ["organiser_messages.id"],
            name=op.f("fk_organiser_message_recipients_message_id_organiser_messages"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_organiser_message_recipients_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "message_id", "registration_id", name=op.f("pk_organiser_message_recipients")
        ),
    )
    op.create_index(
        op.f("ix_organiser_message_recipients_registration_id"),
        "organiser_message_recipients",
        ["registration_id"],
    )
    # No table refers to the delivery log: copying it (SQLite's way to add a foreign key)
    # deletes nothing elsewhere.
    with op.batch_alter_table("email_messages") as batch:
        batch.add_column(sa.Column("organiser_message_id", sa.Integer(), nullable=True))
        batch.create_foreign_key(
            op.f("fk_email_messages_organiser_message_id_organiser_messages"),
            "organiser_messages",
            ["organiser_message_id"],
            ["id"],
            ondelete="SET NULL",
        )
        batch.create_index(op.f("ix_email_messages_organiser_message_id"), ["organiser_message_id"])


def downgrade() -> None:
    with op.batch_alter_table("email_messages") as batch:
        batch.drop_index(op.f("ix_email_messages_organiser_message_id"))
        batch.drop_constraint(
            op.f("fk_email_messages_organiser_message_id_organiser_messages"), type_="foreignkey"
        )
        batch.drop_column("organiser_message_id")
    op.drop_index(
        op.f("ix_organiser_message_recipients_registration_id"),
        table_name="organiser_message_recipients",
    )
    op.drop_table("organiser_message_recipients")
    op.drop_index("ix_organiser_messages_state", table_name="organiser_messages")
    op.drop_index(op.f("ix_organiser_messages_event_id"), table_name="organiser_messages")
    op.drop_table("organiser_messages")
