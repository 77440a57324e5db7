"""The audit log: who did what, to which event, registration or account, and when. Every
organiser action, account change and participant's replacement of their links is written
here, by this one function; each event's organisers read its part, newest first, as the
event's journal, and administrators read it all."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from flask_babel import LazyString, format_datetime, gettext, ngettext
from flask_babel import lazy_gettext as _l
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from shared.database import db, insert_all, utcnow
from shared.i18n import format_day, format_hours
from shared.models import AuditEntry, Event, Group, Organiser, Registration

# What the journal calls each action done to an event; an action without a label shows its
# name as written.
ACTION_LABELS: dict[str, LazyString] = {
    "event.created": _l("Événement créé"),
    "event.updated": _l("Événement modifié"),
    "event.published": _l("Événement publié"),
    "event.copied": _l("Événement copié"),
    "group.created": _l("Groupe ajouté"),
    "group.updated": _l("Groupe ou lieu modifié"),
    "group.cancelled": _l("Groupe annulé"),
    "group.capacity_changed": _l("Nombre de places modifié"),
    "group.closed": _l("Groupe clôturé"),
    "date.added": _l("Date ajoutée"),
    "date.rescheduled": _l("Date déplacée"),
    "date.cancelled": _l("Date annulée"),
    "date.headcount": _l("Personnes comptées à une permanence"),
    "registration.questions_changed": _l("Questions d'inscription modifiées"),
    "report.exact_export": _l("Rapport exporté avec les chiffres exacts"),
    "group.shifted": _l("Dates du groupe décalées"),
    "date.deleted": _l("Date saisie par erreur supprimée"),
    "dates.series_added": _l("Dates récurrentes ajoutées"),
    "venue.created": _l("Lieu ajouté"),
    "venue.updated": _l("Lieu modifié"),
    "venue.deleted": _l("Lieu supprimé"),
    "room.created": _l("Salle ajoutée"),
    "room.updated": _l("Salle modifiée"),
    "room.deleted": _l("Salle supprimée"),
    "trainer.created": _l("Formateur ajouté"),
    "trainer.updated": _l("Formateur modifié"),
    "trainer.deleted": _l("Formateur supprimé"),
    "trainer.unavailable": _l("Indisponibilité d'un formateur ajoutée"),
    "trainer.available": _l("Indisponibilité d'un formateur retirée"),
    "trainer.feed_sent": _l("Lien d'agenda envoyé à un formateur"),
    "trainer.feed_renewed": _l("Lien d'agenda d'un formateur renouvelé et envoyé"),
    "planning_feed.renewed": _l("Lien du planning renouvelé"),
    "registration.added_by_hand": _l("Inscription ajoutée sur formulaire papier"),
    "registration.cancelled": _l("Inscription annulée"),
    "registration.erased": _l("Données d'une inscription effacées"),
    "registration.links_replaced": _l(
        "Liens personnels remplacés à la demande de la personne inscrite"
    ),
    "registration.promoted": _l("Inscription confirmée depuis la liste d'attente"),
    "registration.moved": _l("Inscription déplacée dans un autre groupe"),
    "attendance.marked": _l("Présence notée"),
    "attendance.checked_in": _l("Présence notée à l'accueil"),
    "registration.checkin_code_renewed": _l("Code de présence renouvelé"),
    "certificate.revoked": _l("Attestation révoquée"),
    "message.sent": _l("Message envoyé aux participants"),
    "message.scheduled": _l("Message aux participants programmé"),
    "message.edited": _l("Message aux participants modifié"),
    "message.withdrawn": _l("Message aux participants retiré"),
    "email.retried": _l("E-mails en échec renvoyés"),
    "evaluation.questions_changed": _l("Questionnaire d'évaluation modifié"),
    "invitation.sent": _l("Invitation envoyée"),
    "team.added": _l("Membre ajouté à l'équipe"),
    "team.removed": _l("Membre retiré de l'équipe"),
    "invitation.withdrawn": _l("Invitation retirée"),
    "invitation.accepted": _l("Invitation acceptée"),
    "login.succeeded": _l("Connexion réussie"),
    "login.failed": _l("Connexion refusée : mot de passe incorrect"),
    "two_factor.failed": _l("Connexion refusée : code de validation incorrect"),
    "account.deactivated": _l("Compte désactivé"),
    "account.reactivated": _l("Compte réactivé"),
    "account.made_admin": _l("Compte nommé administrateur"),
    "account.admin_removed": _l("Compte retiré des administrateurs"),
    "password.changed": _l("Mot de passe changé"),
    "password.reset_requested": _l("Lien de nouveau mot de passe demandé"),
    "password.reset": _l("Mot de passe remplacé par le lien"),
    "token.created": _l("Jeton d'API créé"),
    "token.revoked": _l("Jeton d'API révoqué"),
    "two_factor.enabled": _l("Validation en deux étapes activée"),
    "two_factor.disabled": _l("Validation en deux étapes désactivée"),
    "two_factor.reset": _l("Validation en deux étapes réinitialisée"),
    "two_factor.recovery_codes_renewed": _l("Codes de secours renouvelés"),
    "two_factor.recovery_code_used": _l("Code de secours utilisé"),
}
# What the journal calls each detail an action records; a detail without a label shows its
# name as written.
DETAIL_LABELS: dict[str, LazyString] = {
    "group": _l("Groupe"),
    "from_group": _l("Depuis le groupe"),
    "to_group": _l("Vers le groupe"),
    "date_id": _l("Date"),
    "present": _l("Présent·e"),
    "previous": _l("Places avant"),
    "capacity": _l("Places"),
    "capacity_raised_to": _l("Places portées à"),
    "promoted": _l("Confirmées depuis la liste d'attente"),
    "over_capacity": _l("Au-delà des places"),
    "notified": _l("Prévenue par e-mail"),
    "certified": _l("Attestations envoyées"),
    "invited": _l("Invitations à l'évaluation"),
    "count": _l("Questions"),
    "fields": _l("Champs modifiés"),
    "venue_changed": _l("Lieu modifié"),
    "days": _l("Jours"),
    "forced": _l("Conflits passés outre"),
    "start": _l("Début"),
    "at": _l("Moment"),
    "old_start": _l("Début précédent"),
    "slug": _l("Adresse de l'événement"),
    "email": _l("Adresse e-mail"),
    "name": _l("Nom"),
    "token_id": _l("Jeton n°"),
    "id": _l("N°"),
    "groups": _l("Groupes"),
    "statuses": _l("Statut"),
    "present_on": _l("Présents le"),
    "absent_from": _l("Absents le"),
    "source": _l("Inscription"),
    "recipients": _l("Destinataires"),
}
# Details that list registrations: the journal counts them.
PEOPLE = {"promoted", "certified", "invited"}
# Details that are moments, written in ISO 8601.
MOMENTS = {"start", "old_start", "at"}
JOURNAL_PAGE = 50


def record(
    session: Session,
    actor: Organiser | None,
    action: str,
    *,
    event: Event | None = None,
    registration: Registration | None = None,
    account: Organiser | None = None,
    **details: Any,
) -> AuditEntry:
    """Write who did what to which event, registration or account, and when."""
    if account is not None:
        details = {"account_id": account.id, "email": account.email, **details}
    entry = AuditEntry(
        organiser_id=actor.id if actor else None,
        action=action,
        event_id=event.id if event else None,
        registration_id=registration.id if registration else None,
        details=details,
    )
    session.add(entry)
    session.flush()
    return entry


def record_each(
    session: Session,
    actor: Organiser | None,
    action: str,
    *,
    event: Event,
    changes: list[tuple[int, dict[str, Any]]],
) -> None:
    """Write the same action done to each of many registrations of an event (by id), with
    each one's details, in one statement."""
    insert_all(
        session,
        AuditEntry,
        {
            "registration_id": [registration_id for registration_id, _details in changes],
            "details": [details for _registration_id, details in changes],
        },
        shared={
            "organiser_id": actor.id if actor else None,
            "action": action,
            "event_id": event.id,
            "created_at": utcnow(),
        },
    )


def record_apart(action: str, *, account: Organiser | None = None, **details: Any) -> None:
    """Write a refused attempt (a wrong password or code) to the audit log, though the
    request answers with an error, whose changes are rolled back: the request's own changes
    are dropped first, so that the entry alone is committed."""
    db.session.rollback()
    record(db.session, None, action, account=account, **details)
    db.session.commit()


def action_label(action: str) -> str:
    """The action's name in the request's language."""
    label = ACTION_LABELS.get(action)
    return str(label) if label is not None else action


@dataclass(frozen=True)
class Detail:
    """One thing an action recorded, as an organiser reads it."""

    label: str
    value: str


def described(entry: AuditEntry) -> list[Detail]:
    """The entry's details in the request's language: groups and dates by name, moments in
    Brussels time, registrations counted."""
    event_groups = entry.event.groups if entry.event else []
    groups = {group.slug: group.name for group in event_groups}
    dates = {d.id: d for group in event_groups for d in group.dates}
    shown = []
    for key, value in entry.details.items():
        if key == "account_id":
            continue  # the address beside it says whose account
        label = DETAIL_LABELS.get(key)
        shown.append(Detail(str(label) if label else key, _worded(key, value, groups, dates)))
    return shown


def _worded(key: str, value: Any, groups: dict[str, str], dates: dict[int, Any]) -> str:
    if value is None:
        # A group's places recorded as none means it has no limit.
        return gettext("sans limite") if key in {"capacity", "previous"} else "—"
    if isinstance(value, bool):
        return gettext("oui") if value else gettext("non")
    if key in PEOPLE and isinstance(value, list):
        return ngettext("%(num)d personne", "%(num)d personnes", len(value))
    if isinstance(value, list):
        return ", ".join(str(item) for item in value)
    if key in {"group", "from_group", "to_group"} and isinstance(value, str):
        return groups.get(value, value)
    if key == "date_id" and isinstance(value, int) and value in dates:
        start, end = dates[value].starts_at, dates[value].ends_at
        return f"{format_day(start)}, {format_hours(start, end)}"
    if key in MOMENTS and isinstance(value, str):
        return format_datetime(datetime.fromisoformat(value), "short")
    return str(value)


@dataclass(frozen=True)
class Journal:
    """One page of an event's journal, newest first, and where the next, older one starts."""

    entries: list[AuditEntry]
    older: int | None  # pass as ``before`` for the next page; None on the last one


def journal(
    session: Session,
    event: Event | None = None,
    *,
    before: int | None = None,
    limit: int = JOURNAL_PAGE,
) -> Journal:
    """Entries newest first, ``limit`` of them, older than the entry ``before``: the event's,
    or without one every entry (the administrators' journal)."""
    query = (
        select(AuditEntry)
        .options(
            joinedload(AuditEntry.organiser),
            joinedload(AuditEntry.registration),
            # The details name the entry's groups and dates.
            joinedload(AuditEntry.event).selectinload(Event.groups).selectinload(Group.dates),
        )
        .order_by(AuditEntry.id.desc())
        .limit(limit + 1)
    )
    if event is not None:
        query = query.where(AuditEntry.event_id == event.id)
    if before is not None:
        query = query.where(AuditEntry.id < before)
    found = list(session.scalars(query))
    entries = found[:limit]
    return Journal(entries, entries[-1].id if len(found) > limit else None)
