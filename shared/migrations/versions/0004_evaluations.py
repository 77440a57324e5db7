"""evaluations: questionnaires, invitations and anonymous answers

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "evaluation_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("rating", "yes_no", "text", name="question_kind", native_enum=False),
            nullable=False,
        ),
        sa.Column("wording", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_evaluation_questions_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_questions")),
    )
    op.create_index(
        op.f("ix_evaluation_questions_event_id"), "evaluation_questions", ["event_id"]
    )
    op.create_table(
        "evaluation_invitations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("nonce", sa.String(length=64), nullable=False),
        sa.Column("token_digest", sa.String(length=64), nullable=False),
        sa.Column("used", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_evaluation_invitations_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_invitations")),
        sa.UniqueConstraint(
            "registration_id", name=op.f("uq_evaluation_invitations_registration_id")
        ),
        sa.UniqueConstraint("token_digest", name=op.f("uq_evaluation_invitations_token_digest")),
    )
    op.create_table(
        "evaluation_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("group_id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("answers", sa.JSON(), nullable=False),
        sa.ForeignKeyConstraint(
            ["group_id"],
            ["groups.id"],
            name=op.f("fk_evaluation_answers_group_id_groups"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_evaluation_answers")),
        sa.UniqueConstraint("key", name=op.f("uq_evaluation_answers_key")),
    )
    op.create_index(op.f("ix_evaluation_answers_group_id"), "evaluation_answers", ["group_id"])


def downgrade() -> None:
    op.drop_table("evaluation_answers")
    op.drop_table("evaluation_invitations")
    op.drop_table("evaluation_questions")
