"""python -m shared.migrate waits for a database that is still starting, within a limit."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy.exc import OperationalError

from shared.migrate import wait_for_database
from tests.support.servers import free_port


def test_a_database_that_answers_is_not_waited_for(tmp_path: Path) -> None:
    wait_for_database(f"sqlite:///{tmp_path / 'atelier.db'}", timeout_s=0)


def test_a_database_that_never_answers_fails_after_the_limit_with_its_error() -> None:
    url = f"postgresql+psycopg://atelier:secret@127.0.0.1:{free_port()}/atelier"
    with pytest.raises(OperationalError):
        wait_for_database(url, timeout_s=1.5)
