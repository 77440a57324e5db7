"""A process starts with what it needs to answer, not what it may need one day: drawing PDFs,
building spreadsheets and QR codes load with the first document of their kind, so that a
small server holds every process of the stack (docs/production.md, "Server sizes")."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from tests.support.databases import throwaway_database
from tests.support.servers import PROJECT_ROOT, service_environment

# The libraries loaded on first use only (with what they bring: fonts, images).
LOADED_ON_FIRST_USE = ("weasyprint", "fontTools", "PIL", "openpyxl", "segno")

# Run in a fresh interpreter: creates the process's app as its server would, asks its health
# check, and prints the status and the libraries above that are loaded by then.
START_AND_PROBE = """
import json, sys
{start}
status = app.test_client().get("/healthz").status_code
loaded = sorted(name for name in {libraries!r} if name in sys.modules)
print(json.dumps({{"status": status, "loaded": loaded}}))
"""
STARTS = {
    "registration": "from services.registration import create_app\napp = create_app()",
    "notifications": "from services.notifications import create_app\napp = create_app()",
    "calendar": "from services.calendar import create_app\napp = create_app()",
    # As `celery worker` starts: the module, then every task module the app names.
    "Celery worker": (
        "from services.notifications import worker\n"
        "worker.celery.loader.import_default_modules()\n"
        "app = worker.flask_app"
    ),
}


def start_and_probe(start: str, base_config: dict[str, Any], **settings: str) -> dict[str, Any]:
    """What a fresh process that ran ``start`` and asked its health check reports."""
    script = START_AND_PROBE.format(start=start, libraries=LOADED_ON_FIRST_USE)
    env = service_environment(
        DATABASE_URL=base_config["DATABASE_URL"], REDIS_URL=base_config["REDIS_URL"], **settings
    )
    result = subprocess.run(
        [sys.executable, "-c", script],
        cwd=PROJECT_ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout.strip().splitlines()[-1])


@pytest.mark.parametrize("process", list(STARTS))
def test_starting_and_answering_the_health_check_loads_no_heavy_library(
    process: str, base_config: dict[str, Any]
) -> None:
    report = start_and_probe(STARTS[process], base_config)

    assert report["status"] == 200
    assert report["loaded"] == []


def test_make_runs_web_parent_prepares_the_database_holding_no_service_nor_heavy_library(
    base_config: dict[str, Any], tmp_path: Path
) -> None:
    # Its own empty database: the parent migrates it and has the demo loaded into it, each in
    # a process apart, and keeps only what the three services share: no service's code, no
    # thread, none of the libraries loaded on first use.
    start = (
        "import threading\n"
        "from tools import web_services\n"
        "assert web_services.main(['--prepare-only']) == 0\n"
        "held = [m for m in sys.modules if m.split('.')[0] in"
        f" ('services', 'alembic', *{LOADED_ON_FIRST_USE!r})]\n"
        "assert not held, held\n"
        "assert threading.active_count() == 1, threading.enumerate()\n"
        "from services.registration import create_app\n"
        "app = create_app()\n"
        "from sqlalchemy import select\n"
        "from shared.database import db\n"
        "from shared.models import Event\n"
        "with app.app_context():\n"
        "    assert db.session.scalars(select(Event)).first() is not None, 'no demo'"
    )
    with throwaway_database(tmp_path, os.environ.get("DATABASE_URL")) as database_url:
        report = start_and_probe(
            start,
            {**base_config, "DATABASE_URL": database_url},
            ATELIER_RUN_DIR=str(tmp_path / "run"),
        )

    assert report["status"] == 200
    assert report["loaded"] == []
