"""registration questions per event, each registration's answers, drop-in head counts

Events count the questions they ask, so that registering for one that asks none reads no
question; drop-in dates get the head count their organisers record.

Revision ID: 0013
Revises: 0012
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

ANSWER_KINDS = (
    "text",
    "long_text",
    "one_choice",
    "several_choices",
    "yes_no",
    "date",
    "number",
    "country",
)


def upgrade() -> None:
    # Added in place: copying ``events`` on SQLite would cascade-delete what refers to it.
    op.add_column(
        "events",
        sa.Column("asked_questions", sa.Integer(), nullable=False, server_default="0"),
    )
    op.add_column("session_dates", sa.Column("headcount", sa.Integer(), nullable=True))
    op.create_table(
        "registration_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum(*ANSWER_KINDS, name="answer_kind", native_enum=False),
            nullable=False,
        ),
        sa.Column("wording", sa.JSON(), nullable=False),
        sa.Column("help", sa.JSON(), nullable=False),
        sa.Column("required", sa.Boolean(), nullable=False),
        sa.Column("hidden", sa.Boolean(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("minimum", sa.Numeric(12, 2), nullable=True),
        sa.Column("maximum", sa.Numeric(12, 2), nullable=True),
        sa.Column("condition_question_id", sa.Integer(), nullable=True),
        sa.Column("condition_choice", sa.String(length=60), nullable=True),
        sa.Column("indicator", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_registration_questions_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["condition_question_id"],
            ["registration_questions.id"],
            name=op.f("fk_registration_questions_condition_question_id_registration_questions"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_questions")),
    )
    op.create_index(
        op.f("ix_registration_questions_event_id"), "registration_questions", ["event_id"]
    )
    op.create_table(
        "registration_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("value", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_registration_answers_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["registration_questions.id"],
            name=op.f("fk_registration_answers_question_id_registration_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_registration_answers")),
        sa.UniqueConstraint(
            "registration_id",
            "question_id",
            name=op.f("uq_registration_answers_registration_id"),
        ),
    )
    op.create_index(
        op.f("ix_registration_answers_question_id"), "registration_answers", ["question_id"]
    )


def downgrade() -> None:
    op.drop_table("registration_answers")
    op.drop_table("registration_questions")
    op.drop_column("session_dates", "headcount")
    op.drop_column("events", "asked_questions")
