"""Alembic environment: the database URL comes from the caller or from DATABASE_URL."""

from alembic import context

import shared.models  # noqa: F401  (registers every table on the metadata)
from shared.config import load_config
from shared.database import Base, create_db_engine

config = context.config
url = config.get_main_option("sqlalchemy.url") or load_config()["DATABASE_URL"]

engine = create_db_engine(url)
with engine.connect() as connection:
    context.configure(
        connection=connection,
        target_metadata=Base.metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
# A pooled connection left to the garbage collector would warn at some random later moment.
engine.dispose()
