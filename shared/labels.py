"""The words people read for the values the database stores: roles, kinds of event and
attendance rules, in the current language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from shared.models import AttendanceRule, EventKind, Role

ROLE_LABELS = {
    Role.FIELD_WORKER: _l("Acteur ou actrice de terrain"),
    Role.PROJECT_LEAD: _l("Chef ou cheffe de projet"),
    Role.PUBLIC_ADMINISTRATION: _l("Membre d'une administration publique"),
    Role.RESEARCHER: _l("Chercheur ou chercheuse"),
    Role.OTHER: _l("Autre"),
}
KIND_LABELS = {
    EventKind.WORKSHOP: _l("Atelier de formation"),
    EventKind.INFORMATION_SESSION: _l("Séance d'information"),
    EventKind.DROP_IN: _l("Permanence sans rendez-vous"),
}
RULE_LABELS = {
    AttendanceRule.ALL_DATES: _l("Toutes les dates du groupe"),
    AttendanceRule.ONE_DATE: _l("Une date au choix"),
    AttendanceRule.NO_REGISTRATION: _l("Sans inscription"),
}


def role_label(role: str) -> str:
    """A participant's role in words; a value without a label is shown as it is."""
    label = ROLE_LABELS.get(role)  # StrEnum members hash like their values
    return str(label) if label is not None else str(role)


def kind_label(kind: EventKind) -> str:
    """What people call an event of this kind."""
    return str(KIND_LABELS[kind])
