"""certificates of attendance

Revision ID: 0002
Revises: 0001
"""

import sqlalchemy as sa
from alembic import op

import shared.database

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("events") as events:
        events.add_column(sa.Column("issuer", sa.String(length=200), nullable=False, server_default=""))
        events.add_column(
            sa.Column("signatory_name", sa.String(length=200), nullable=False, server_default="")
        )
        events.add_column(sa.Column("signatory_role", sa.JSON(), nullable=False, server_default="{}"))
    with op.batch_alter_table("events") as events:
        # The defaults only filled the existing rows: the models give new rows theirs.
        for column in ("issuer", "signatory_name", "signatory_role"):
            events.alter_column(column, server_default=None)
    op.create_table(
        "certificates",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("registration_id", sa.Integer(), nullable=False),
        sa.Column("code", sa.String(length=64), nullable=False),
        sa.Column("issued_at", shared.database.UTCDateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", shared.database.UTCDateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["registration_id"],
            ["registrations.id"],
            name=op.f("fk_certificates_registration_id_registrations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"],
            ["organisers.id"],
            name=op.f("fk_certificates_revoked_by_id_organisers"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_certificates")),
        sa.UniqueConstraint("code", name=op.f("uq_certificates_code")),
        sa.UniqueConstraint("registration_id", name=op.f("uq_certificates_registration_id")),
    )


def downgrade() -> None:
    op.drop_table("certificates")
    with op.batch_alter_table("events") as events:
        for column in ("signatory_role", "signatory_name", "issuer"):
            events.drop_column(column)
