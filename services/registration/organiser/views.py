"""What the organiser API and pages share: blueprints behind the organiser guard, and the
signed-in organiser acting on the event the route names."""

from __future__ import annotations

from services.registration.organiser.actions import Organising
from shared.access import AreaKind, current_event, current_organiser, organiser_area
from shared.app import ApiBlueprint
from shared.database import db


def api_blueprint(name: str, import_name: str, description: str) -> ApiBlueprint:
    """A blueprint of the organiser API under /api/v1, behind a personal Bearer token."""
    return organiser_area(
        ApiBlueprint(name, import_name, url_prefix="/api/v1", description=description),
        AreaKind.API,
    )


def organising() -> Organising:
    """The signed-in organiser acting on the event of the request's route."""
    return Organising(db.session, current_organiser(), current_event())
