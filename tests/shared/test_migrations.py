"""The Alembic migrations build exactly the schema the models describe."""

from __future__ import annotations

import json
import os

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.orm import Session

from services.calendar.operations import personal_feed
from services.registration import create_app
from shared.database import Base, create_db_engine
from shared.migrate import alembic_config
from tests.conftest import dispose
from tests.support.databases import throwaway_database
from tests.support.factories import Factory


def test_migrated_database_matches_the_models(database_url):
    engine = create_db_engine(database_url)
    with engine.connect() as connection:
        differences = compare_metadata(MigrationContext.configure(connection), Base.metadata)
    engine.dispose()

    assert differences == []


def test_links_sent_before_tokens_were_derived_keep_working(tmp_path, base_config):
    with throwaway_database(tmp_path, os.environ.get("DATABASE_URL")) as url:
        engine = create_db_engine(url)
        with Session(engine) as session:
            make = Factory(session)
            registration_id = make.registration(make.group()).id
            session.commit()
        # The schema of 0006 stored the tokens in clear: those are the links already sent.
        command.downgrade(alembic_config(url), "0006")
        with engine.connect() as connection:
            sent = connection.execute(
                text("SELECT manage_token, calendar_token FROM registrations WHERE id = :id"),
                {"id": registration_id},
            ).one()
        command.upgrade(alembic_config(url), "head")
        with engine.connect() as connection:
            stored = json.dumps(
                [list(row) for row in connection.execute(text("SELECT * FROM registrations"))],
                default=str,
            )
        engine.dispose()
        app = create_app({**base_config, "DATABASE_URL": url})
        try:
            client = app.test_client()
            manage = client.get(f"/api/v1/registrations/{sent.manage_token}")
            # Closed before the database is dropped: a session left to the garbage collector
            # would roll back its connection, long gone, in the middle of another test.
            with app.test_request_context(), app.extensions["database"].session_factory() as read:
                feed = personal_feed(read, sent.calendar_token, None)
        finally:
            dispose(app)

    assert sent.manage_token not in stored and sent.calendar_token not in stored
    assert manage.status_code == 200 and manage.json["id"] == registration_id
    assert feed.registration_id == registration_id
