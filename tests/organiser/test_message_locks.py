"""Sending a message to a group takes none of the group's locks: while the thousand copies
of one are being recorded, registrations to the group, which take its row lock, go on."""

from __future__ import annotations

from sqlalchemy import text, update
from sqlalchemy.orm import Session

from shared.database import create_db_engine
from shared.domain import organiser_messages
from shared.models import Group, OrganiserMessage, SendMode
from tests.support.factories import Factory


def test_releasing_a_message_leaves_the_groups_row_lock_free(committed_postgres):
    engine = create_db_engine(committed_postgres)
    with Session(engine, expire_on_commit=False) as setup:
        make = Factory(setup)
        group = make.group(capacity=None)
        for _ in range(5):
            make.registration(group)
        message = OrganiserMessage(
            event_id=group.event_id,
            audience=organiser_messages.Audience((group.id,)).as_json(),
            texts={"fr": {"subject": "Salle", "body": "Au 2e étage."}},
            send_mode=SendMode.NOW,
        )
        setup.add(message)
        setup.commit()

    with Session(engine) as releasing, engine.connect() as registering:
        released = organiser_messages.release(
            releasing, releasing.get(OrganiserMessage, message.id)
        )
        # The release is not committed: a registration now takes the group's row lock, as
        # shared.domain.capacity.lock_group does, without waiting.
        registering.execute(text("SET lock_timeout = '200ms'"))
        registering.execute(
            update(Group).where(Group.id == group.id).values(revision=Group.revision + 1)
        )
        registering.rollback()
        releasing.rollback()
    engine.dispose()

    assert released == 5
