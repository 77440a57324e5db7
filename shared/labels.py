"""The words people read for the values the database stores: roles, kinds of event,
attendance rules and kinds of question and of answer, in the current language."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from shared.domain.evaluations import RATING_SCALE
from shared.models import AnswerKind, AttendanceRule, EventKind, QuestionKind, Role

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
QUESTION_KIND_LABELS = {
    QuestionKind.RATING: _l(
        "Note de %(lowest)d à %(highest)d", lowest=min(RATING_SCALE), highest=max(RATING_SCALE)
    ),
    QuestionKind.YES_NO: _l("Oui ou non"),
    QuestionKind.TEXT: _l("Réponse libre"),
}
ANSWER_KIND_LABELS = {
    AnswerKind.TEXT: _l("Texte court"),
    AnswerKind.LONG_TEXT: _l("Texte long"),
    AnswerKind.ONE_CHOICE: _l("Un choix"),
    AnswerKind.SEVERAL_CHOICES: _l("Plusieurs choix"),
    AnswerKind.YES_NO: _l("Oui ou non"),
    AnswerKind.DATE: _l("Date"),
    AnswerKind.NUMBER: _l("Nombre"),
    AnswerKind.COUNTRY: _l("Pays"),
}


def role_label(role: str) -> str:
    """A participant's role in words; a value without a label is shown as it is."""
    label = ROLE_LABELS.get(role)  # StrEnum members hash like their values
    return str(label) if label is not None else str(role)


def kind_label(kind: EventKind) -> str:
    """What people call an event of this kind."""
    return str(KIND_LABELS[kind])
