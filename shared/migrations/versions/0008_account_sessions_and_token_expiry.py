"""login sessions kept on the server, personal API tokens with an expiry

Revision ID: 0008
Revises: 0007

Tokens issued before this revision never expired: they are given the default lifetime,
counted from the upgrade, so that none stops working without notice.
"""

from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# The default lifetime of a token (shared.domain.accounts), written out: a migration keeps
# doing what it did when the code moves on.
EXISTING_TOKENS_LIFETIME = timedelta(days=90)


def upgrade() -> None:
    op.create_table(
        "organiser_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("organiser_id", sa.Integer(), nullable=False),
        sa.Column("id_digest", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["organiser_id"],
            ["organisers.id"],
            name=op.f("fk_organiser_sessions_organiser_id_organisers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_organiser_sessions")),
        sa.UniqueConstraint("id_digest", name=op.f("uq_organiser_sessions_id_digest")),
    )
    op.create_index(
        op.f("ix_organiser_sessions_organiser_id"), "organiser_sessions", ["organiser_id"]
    )
    with op.batch_alter_table("api_tokens") as batch:
        batch.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
    tokens = sa.table("api_tokens", sa.column("expires_at", sa.DateTime(timezone=True)))
    expiry = datetime.now(UTC) + EXISTING_TOKENS_LIFETIME
    if op.get_bind().dialect.name == "sqlite":
        expiry = expiry.replace(tzinfo=None)  # SQLite keeps UTC without an offset
    op.execute(tokens.update().values(expires_at=expiry))
    with op.batch_alter_table("api_tokens") as batch:
        batch.alter_column("expires_at", existing_type=sa.DateTime(timezone=True), nullable=False)


def downgrade() -> None:
    with op.batch_alter_table("api_tokens") as batch:
        batch.drop_column("expires_at")
    op.drop_index(op.f("ix_organiser_sessions_organiser_id"), table_name="organiser_sessions")
    op.drop_table("organiser_sessions")
