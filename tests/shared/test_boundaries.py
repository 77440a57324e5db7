"""Services stay apart: no module of one service imports another service, shared/ imports
no service, the registration service's audiences reach each other only downwards, and the
Celery worker starts without loading the registration service."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ROOT / "services"
SHARED = ROOT / "shared"
REGISTRATION = SERVICES / "registration"


def imported_modules(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(), filename=str(path))
    names: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)
    return names


def test_no_service_imports_another():
    crossings = []
    for service in sorted(p for p in SERVICES.iterdir() if (p / "__init__.py").exists()):
        others = {f"services.{p.name}" for p in SERVICES.iterdir() if p.is_dir()} - {
            f"services.{service.name}"
        }
        for path in sorted(service.rglob("*.py")):
            for name in imported_modules(path):
                if any(name == other or name.startswith(f"{other}.") for other in others):
                    crossings.append(f"{path.relative_to(ROOT)} imports {name}")
    assert crossings == []


def service_imports(path: Path) -> list[str]:
    """The modules of services/ that the file imports."""
    names = imported_modules(path)
    return sorted(n for n in names if n == "services" or n.startswith("services."))


def test_shared_imports_no_service():
    crossings = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted(SHARED.rglob("*.py"))
        for name in service_imports(path)
    ]
    assert crossings == []


def test_the_boundary_check_sees_an_import_of_a_service(tmp_path):
    module = tmp_path / "probe.py"
    module.write_text("from services.registration.lookups import get_event\n")

    assert service_imports(module) == [
        "services.registration.lookups",
        "services.registration.lookups.get_event",
    ]


def test_participants_code_imports_neither_organisers_nor_accounts():
    # The lookups every audience needs live in services/registration/lookups.py.
    others = ("services.registration.organiser", "services.registration.accounts")
    crossings = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((REGISTRATION / "participant").rglob("*.py"))
        for name in service_imports(path)
        if name.startswith(others)
    ]
    assert crossings == []


def test_accounts_code_imports_neither_organisers_nor_participants():
    # Accounts sit below the event audiences: an event's team page calls the accounts'
    # operations, never the other way round.
    others = ("services.registration.organiser", "services.registration.participant")
    crossings = [
        f"{path.relative_to(ROOT)} imports {name}"
        for path in sorted((REGISTRATION / "accounts").rglob("*.py"))
        for name in service_imports(path)
        if name.startswith(others)
    ]
    assert crossings == []


def test_no_audience_reaches_into_the_participants_operations():
    crossings = [
        f"{path.relative_to(ROOT)} imports {name}"
        for audience in ("organiser", "accounts")
        for path in sorted((REGISTRATION / audience).rglob("*.py"))
        for name in service_imports(path)
        if name.startswith("services.registration.participant.operations")
    ]
    assert crossings == []


def test_the_worker_never_loads_the_registration_service():
    probe = (
        "import sys, services.notifications.worker as w; "
        "w.celery.loader.import_default_modules(); "
        "print(sorted(m for m in sys.modules if m.startswith('services.registration')))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )

    assert loaded.stdout.strip() == "[]"
