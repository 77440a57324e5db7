"""venues with rooms, trainers with unavailabilities; each group points at its venue

Revision ID: 0012
Revises: 0011

Every distinct address groups were given as free text becomes one venue, and each group
points at it. The groups keep the address they show (feeds and emails read it), so nothing
they publish changes. Columns are added in place, never by copying ``groups`` (on SQLite,
copying it would delete, by their foreign keys, the rows that refer to it).
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None

ADDRESS = ("venue_name", "street_address", "postcode", "town")


def upgrade() -> None:
    op.create_table(
        "venues",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("street_address", sa.String(length=200), nullable=False),
        sa.Column("postcode", sa.String(length=20), nullable=False),
        sa.Column("town", sa.String(length=120), nullable=False),
        sa.Column("town_slug", sa.String(length=120), nullable=False),
        sa.Column("latitude", sa.Double(), nullable=True),
        sa.Column("longitude", sa.Double(), nullable=True),
        sa.Column("access_notes", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_venues_town_slug", "venues", ["town_slug"])
    op.create_table(
        "rooms",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "venue_id", sa.Integer(), sa.ForeignKey("venues.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("capacity", sa.Integer(), nullable=True),
    )
    op.create_index("ix_rooms_venue_id", "rooms", ["venue_id"])
    op.create_table(
        "trainers",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("email", sa.String(length=254), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=False),
        sa.Column("languages", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "trainer_unavailabilities",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column(
            "trainer_id",
            sa.Integer(),
            sa.ForeignKey("trainers.id", ondelete="CASCADE"),
            nullable=False,
        ),
        sa.Column("starts_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ends_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
    )
    op.create_index(
        "ix_trainer_unavailabilities_trainer_id", "trainer_unavailabilities", ["trainer_id"]
    )
    op.create_table(
        "group_trainers",
        sa.Column(
            "group_id",
            sa.Integer(),
            sa.ForeignKey("groups.id", ondelete="CASCADE"),
            primary_key=True,
        ),
        sa.Column("trainer_id", sa.Integer(), sa.ForeignKey("trainers.id"), primary_key=True),
    )
    op.create_index("ix_group_trainers_trainer_id", "group_trainers", ["trainer_id"])
    for column, table in (("venue_id", "venues"), ("room_id", "rooms")):
        _add_reference(column, table)
    op.create_index("ix_groups_venue_id", "groups", ["venue_id"])
    op.create_index("ix_groups_room_id", "groups", ["room_id"])
    _venues_from_addresses()


def _add_reference(column: str, table: str) -> None:
    """A nullable column of ``groups`` referring to ``table``, added in place."""
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a reference only with the column itself, in its own words.
        op.execute(f"ALTER TABLE groups ADD COLUMN {column} INTEGER REFERENCES {table} (id)")
    else:
        op.add_column("groups", sa.Column(column, sa.Integer(), nullable=True))
        op.create_foreign_key(f"groups_{column}_fkey", "groups", table, [column], ["id"])


def _venues_from_addresses() -> None:
    """One venue per distinct address, with the first position a group gave it."""
    connection = op.get_bind()
    groups = connection.execute(
        sa.text(
            "SELECT id, venue_name, street_address, postcode, town, town_slug, latitude,"
            " longitude, created_at FROM groups ORDER BY id"
        )
    ).all()
    venues: dict[tuple[str, ...], int] = {}
    for group in groups:
        key = tuple(getattr(group, column) for column in ADDRESS)
        if key not in venues:
            venues[key] = connection.execute(
                sa.text(
                    "INSERT INTO venues (name, street_address, postcode, town, town_slug,"
                    " latitude, longitude, access_notes, created_at, updated_at) VALUES"
                    " (:name, :street, :postcode, :town, :town_slug, :latitude, :longitude,"
                    " '{}', :at, :at) RETURNING id"
                ),
                {
                    "name": group.venue_name,
                    "street": group.street_address,
                    "postcode": group.postcode,
                    "town": group.town,
                    "town_slug": group.town_slug,
                    "latitude": group.latitude,
                    "longitude": group.longitude,
                    "at": group.created_at,
                },
            ).scalar_one()
        connection.execute(
            sa.text("UPDATE groups SET venue_id = :venue WHERE id = :group"),
            {"venue": venues[key], "group": group.id},
        )


def downgrade() -> None:
    op.drop_index("ix_groups_room_id", table_name="groups")
    op.drop_index("ix_groups_venue_id", table_name="groups")
    # In place, never by copying ``groups``: see the module's docstring.
    for column in ("room_id", "venue_id"):
        op.execute(f"ALTER TABLE groups DROP COLUMN {column}")
    op.drop_index("ix_group_trainers_trainer_id", table_name="group_trainers")
    op.drop_table("group_trainers")
    op.drop_index("ix_trainer_unavailabilities_trainer_id", table_name="trainer_unavailabilities")
    op.drop_table("trainer_unavailabilities")
    op.drop_table("trainers")
    op.drop_index("ix_rooms_venue_id", table_name="rooms")
    op.drop_table("rooms")
    op.drop_index("ix_venues_town_slug", table_name="venues")
    op.drop_table("venues")
