"""registrations' manage and calendar tokens are derived, no longer stored in clear

Revision ID: 0007
Revises: 0006

Tokens are now derived from the id, a version and the secret key. The clear tokens of links
already sent are replaced by their SHA-256 digests, so that those links keep working while
the database alone no longer opens them.
"""

import hashlib
import secrets

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

_REGISTRATIONS = sa.table(
    "registrations",
    sa.column("id", sa.Integer()),
    sa.column("anonymised_at", sa.DateTime(timezone=True)),
    sa.column("manage_token", sa.String()),
    sa.column("calendar_token", sa.String()),
    sa.column("legacy_manage_digest", sa.String()),
    sa.column("legacy_calendar_digest", sa.String()),
)


def _sha256(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def upgrade() -> None:
    with op.batch_alter_table("registrations") as batch:
        for kind in ("manage", "calendar"):
            batch.add_column(
                sa.Column(f"{kind}_token_version", sa.Integer(), nullable=False, server_default="0")
            )
            batch.add_column(sa.Column(f"legacy_{kind}_digest", sa.String(64), nullable=True))
            batch.create_unique_constraint(
                op.f(f"uq_registrations_legacy_{kind}_digest"), [f"legacy_{kind}_digest"]
            )
    connection = op.get_bind()
    # An anonymised registration's tokens were already fresh ones nobody holds: no digest.
    rows = connection.execute(
        sa.select(
            _REGISTRATIONS.c.id, _REGISTRATIONS.c.manage_token, _REGISTRATIONS.c.calendar_token
        ).where(_REGISTRATIONS.c.anonymised_at.is_(None))
    ).all()
    if rows:
        connection.execute(
            _REGISTRATIONS.update()
            .where(_REGISTRATIONS.c.id == sa.bindparam("row_id"))
            .values(
                legacy_manage_digest=sa.bindparam("manage"),
                legacy_calendar_digest=sa.bindparam("calendar"),
            ),
            [
                {
                    "row_id": row.id,
                    "manage": _sha256(row.manage_token),
                    "calendar": _sha256(row.calendar_token),
                }
                for row in rows
            ],
        )
    with op.batch_alter_table("registrations") as batch:
        for kind in ("manage", "calendar"):
            batch.drop_constraint(op.f(f"uq_registrations_{kind}_token"), type_="unique")
            batch.drop_column(f"{kind}_token")


def downgrade() -> None:
    # Clear tokens cannot be recovered from digests or derived ones: every registration gets
    # fresh random tokens, and the links sent so far stop working.
    with op.batch_alter_table("registrations") as batch:
        for kind in ("manage", "calendar"):
            batch.add_column(sa.Column(f"{kind}_token", sa.String(64), nullable=True))
    connection = op.get_bind()
    ids = connection.execute(sa.select(_REGISTRATIONS.c.id)).scalars().all()
    if ids:
        connection.execute(
            _REGISTRATIONS.update()
            .where(_REGISTRATIONS.c.id == sa.bindparam("row_id"))
            .values(manage_token=sa.bindparam("manage"), calendar_token=sa.bindparam("calendar")),
            [
                {
                    "row_id": i,
                    "manage": secrets.token_urlsafe(24),
                    "calendar": secrets.token_urlsafe(24),
                }
                for i in ids
            ],
        )
    with op.batch_alter_table("registrations") as batch:
        for kind in ("manage", "calendar"):
            batch.alter_column(f"{kind}_token", existing_type=sa.String(64), nullable=False)
            batch.create_unique_constraint(
                op.f(f"uq_registrations_{kind}_token"), [f"{kind}_token"]
            )
            batch.drop_constraint(op.f(f"uq_registrations_legacy_{kind}_digest"), type_="unique")
            batch.drop_column(f"legacy_{kind}_digest")
            batch.drop_column(f"{kind}_token_version")
