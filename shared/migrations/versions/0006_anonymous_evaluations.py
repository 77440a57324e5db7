"""invitations to evaluate record no use, and may forget their nonce once sent

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("evaluation_invitations") as batch:
        batch.alter_column("nonce", existing_type=sa.String(length=64), nullable=True)
        batch.drop_column("used")


def downgrade() -> None:
    # A forgotten nonce cannot come back: those rows get an empty one, whose link opens nothing.
    op.execute("UPDATE evaluation_invitations SET nonce = '' WHERE nonce IS NULL")
    with op.batch_alter_table("evaluation_invitations") as batch:
        batch.alter_column("nonce", existing_type=sa.String(length=64), nullable=False)
        batch.add_column(sa.Column("used", sa.Boolean(), nullable=False, server_default=sa.false()))
