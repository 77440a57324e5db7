"""Words organisers read for the values the database stores."""

from __future__ import annotations

from flask_babel import format_percent
from flask_babel import lazy_gettext as _l

from shared.models import AttendanceRule, EventKind, Role

ROLE_LABELS = {
    Role.FIELD_WORKER: _l("Acteur de terrain"),
    Role.PROJECT_LEAD: _l("Chef de projet"),
    Role.PUBLIC_ADMINISTRATION: _l("Membre d'une administration publique"),
    Role.RESEARCHER: _l("Chercheur"),
    Role.OTHER: _l("Autre"),
}


def role_label(role: str) -> str:
    """A participant's role in words, in the current language."""
    label = ROLE_LABELS.get(role)  # StrEnum members hash like their values
    return str(label) if label is not None else str(role)


KIND_LABELS = {
    EventKind.WORKSHOP: _l("Atelier"),
    EventKind.INFORMATION_SESSION: _l("Séance d'information"),
    EventKind.DROP_IN: _l("Permanence"),
}

RULE_LABELS = {
    AttendanceRule.ALL_DATES: _l("Toutes les dates du groupe"),
    AttendanceRule.ONE_DATE: _l("Une date au choix"),
    AttendanceRule.NO_REGISTRATION: _l("Sans inscription"),
}

LANGUAGE_NAMES = {"fr": "Français", "en": "English", "uk": "Українська"}


def percent(share: float | None) -> str:
    """A share as a percentage in the current language, or a dash when there is none."""
    return "—" if share is None else format_percent(share)
