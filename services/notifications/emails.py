"""What each email says: subject, plain text and HTML from templates, and the .ics invitation.

Each kind has one template, ``templates/emails/<kind>.txt``: it sets ``subject`` and writes
the kind's paragraphs, separated by blank lines. The two layouts wrap those paragraphs with
the greeting, the dates, the venue, the organiser contact and the manage link.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from flask import current_app, render_template
from flask_babel import force_locale
from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload, selectinload

from shared import qr
from shared.database import utcnow
from shared.documents import PDF, certificate_filename, certificate_pdf
from shared.domain.accounts import (
    INVITATION_PURPOSE,
    RESET_PURPOSE,
    RESET_VALIDITY,
    account_link_token,
)
from shared.domain.attendance import is_held, scheduled_dates
from shared.domain.capacity import awaits_confirmation
from shared.domain.certificates import certificate_of, is_valid
from shared.domain.checkin import checkin_code, shows_code
from shared.domain.confirmation import confirmation_token
from shared.domain.evaluations import closes_at, evaluation_link_token, invitation_of
from shared.domain.organiser_messages import written_for
from shared.domain.registrations import participant_may_cancel
from shared.domain.staff_feeds import trainer_feed_token, trainer_language
from shared.i18n import format_day, format_hours, format_moment, format_validity
from shared.ical import group_invitation
from shared.links import (
    account_invitation,
    evaluation_page,
    event_page,
    manage_page,
    password_reset,
    registration_confirmation,
    trainer_feed,
)
from shared.models import (
    AttendanceRule,
    EmailKind,
    EmailMessage,
    Group,
    OrganiserInvitation,
    OrganiserMessage,
    PasswordReset,
    Registration,
    SessionDate,
    Trainer,
)

# Emails that place dates in a calendar carry them as an .ics file with the feeds' UIDs.
INVITATION_KINDS = {
    EmailKind.CONFIRMED,
    EmailKind.PROMOTED,
    EmailKind.MOVED,
    EmailKind.DATE_CHANGED,
}
ORGANISER_KINDS = {EmailKind.GROUP_FULL}
# Emails that carry the participant's check-in code, as a QR code to show at the door.
CHECKIN_KINDS = {EmailKind.CONFIRMED, EmailKind.PROMOTED, EmailKind.REMINDER}
CHECKIN_FILENAME = "code-presence.png"
# Emails that carry the link confirming a registration while it awaits confirmation.
CONFIRMATION_KINDS = {EmailKind.CONFIRM_REGISTRATION, EmailKind.ALREADY_REGISTERED}
# Emails about an organiser's account, not about a registration or a group: they have a
# layout of their own (account_layout.*) and one recipient, named by their payload's row.
ACCOUNT_KINDS = {EmailKind.ORGANISER_INVITATION, EmailKind.PASSWORD_RESET}
# Emails to a trainer (shared.domain.staff_feeds): in the account layout, with the link of
# their feed, to the trainer their payload names.
TRAINER_KINDS = {EmailKind.TRAINER_FEED, EmailKind.TRAINER_DATES_CHANGED}
INVITATION_TYPE = "text/calendar; method=PUBLISH; charset=utf-8"
REMINDER_KEY_PREFIX = "reminder"


# What every email shows of a registration, loaded with it: one query per relationship.
REGISTRATION_AND_GROUP = [
    selectinload(Registration.group).selectinload(Group.event),
    selectinload(Registration.group).selectinload(Group.dates),
    selectinload(Registration.session_date),
]


class Undeliverable(Exception):
    """The rows an email would describe are gone; retrying cannot help."""


@dataclass(frozen=True)
class DateLine:
    """A session date as the email shows it, in the email's language and Brussels time."""

    day: str
    hours: str
    cancelled: bool

    @classmethod
    def of(cls, start: datetime, end: datetime, *, cancelled: bool = False) -> DateLine:
        """Format one session's start and end."""
        return cls(format_day(start), format_hours(start, end), cancelled)

    @classmethod
    def recorded(cls, payload: dict[str, Any], prefix: str = "") -> DateLine | None:
        """The date a payload recorded as ``<prefix>starts_at`` and ``<prefix>ends_at``, if
        it did."""
        start, end = payload.get(f"{prefix}starts_at"), payload.get(f"{prefix}ends_at")
        if not (start and end):
            return None
        return cls.of(datetime.fromisoformat(start), datetime.fromisoformat(end))


def _place(venue: str | None, address: str | None) -> str:
    """Where a group meets, in one line."""
    return ", ".join(part for part in (venue, address) if part)


@dataclass
class Shared:
    """What emails rendered together share, per group or date and language: the .ics
    invitation and the date lines."""

    invitations: dict[tuple[int, str], bytes] = field(default_factory=dict)
    date_lines: dict[tuple[int, str], DateLine] = field(default_factory=dict)


@dataclass(frozen=True)
class Attachment:
    """A file sent with an email."""

    filename: str
    content_type: str
    content: bytes


@dataclass(frozen=True)
class RenderedEmail:
    """An email ready for Flask-Mail."""

    subject: str
    text: str
    html: str
    attachments: tuple[Attachment, ...] = ()


def reminder_key(registration_id: int, session_date_id: int) -> str:
    """The dedupe key that makes one reminder per registration and date."""
    return f"{REMINDER_KEY_PREFIX}:{registration_id}:{session_date_id}"


@contextmanager
def preloaded_messages(
    session: Session, message_ids: Iterable[int]
) -> Iterator[list[EmailMessage]]:
    """Within the block, rendering these delivery-log rows finds them, their outbox rows,
    registrations, groups and dates in the session: loaded fresh, in a few queries."""
    messages = session.scalars(
        select(EmailMessage)
        .where(EmailMessage.id.in_(list(message_ids)))
        .options(joinedload(EmailMessage.outbox))
        .execution_options(populate_existing=True)
    ).all()
    registration_ids = [m.registration_id for m in messages if m.registration_id is not None]
    with preloaded_registrations(session, registration_ids):
        yield list(messages)  # ``messages``, a local, stays referenced until the block ends


@contextmanager
def preloaded_registrations(
    session: Session, registration_ids: Iterable[int], *, with_group: bool = True
) -> Iterator[list[Registration]]:
    """Within the block, these registrations are in the session, loaded fresh, with what
    every email shows of them unless ``with_group`` is false (only the addressees needed)."""
    # The session holds unreferenced rows only weakly: this frame's local keeps them.
    loaded = list(
        session.scalars(
            select(Registration)
            .where(Registration.id.in_(set(registration_ids)))
            .options(*(REGISTRATION_AND_GROUP if with_group else ()))
            .execution_options(populate_existing=True)
        )
    )
    yield loaded


def render(session: Session, message: EmailMessage, shared: Shared | None = None) -> RenderedEmail:
    """Build the email a delivery-log row stands for, in the row's language; emails rendered
    together pass the same ``shared``."""
    shared = shared or Shared()
    kind = EmailKind(message.kind)
    account = kind in ACCOUNT_KINDS or kind in TRAINER_KINDS
    with force_locale(message.language):
        if kind in TRAINER_KINDS:
            context = _trainer_context(session, message, kind)
        elif account:
            context = _account_context(session, message, kind)
        else:
            context = _context(session, message, kind, shared)
        if kind is EmailKind.ORGANISER_MESSAGE:
            context.update(_organiser_message(session, message, context["registration"]))
        template = current_app.jinja_env.get_template(f"emails/{kind.value}.txt")
        module = template.make_module(vars=context)
        paragraphs = [part.strip() for part in str(module).split("\n\n") if part.strip()]
        layout = {**context, "subject": str(module.subject).strip(), "paragraphs": paragraphs}
        if kind is EmailKind.ORGANISER_MESSAGE:
            layout_name = "emails/message_layout"
        else:
            layout_name = "emails/account_layout" if account else "emails/layout"
        text = render_template(f"{layout_name}.txt", **layout)
        html = render_template(f"{layout_name}.html", **layout)
    attachments: tuple[Attachment, ...] = ()
    if kind in INVITATION_KINDS:
        group: Group = context["group"]
        key = (group.id, message.language)
        if key not in shared.invitations:
            shared.invitations[key] = group_invitation(
                group, language=message.language, url=event_page(group.event.slug)
            )
        attachments = (Attachment("invitation.ics", INVITATION_TYPE, shared.invitations[key]),)
    if kind is EmailKind.CERTIFICATE:
        attachments = (_certificate_attachment(session, context["registration"]),)
    if context.get("checkin_code"):
        attachments += (Attachment(CHECKIN_FILENAME, "image/png", qr.png(context["checkin_code"])),)
    return RenderedEmail(layout["subject"], text, html, attachments)


def account_row(
    session: Session, kind: EmailKind, payload: dict[str, Any]
) -> OrganiserInvitation | PasswordReset | None:
    """The invitation or reset an account email is about, while its link still works."""
    if kind is EmailKind.ORGANISER_INVITATION:
        invitation = session.get(OrganiserInvitation, payload.get("invitation_id") or 0)
        return invitation if invitation and invitation.is_pending(utcnow()) else None
    reset = session.get(PasswordReset, payload.get("reset_id") or 0)
    return reset if reset and reset.is_pending(utcnow()) else None


def account_recipient(
    session: Session, kind: EmailKind, payload: dict[str, Any]
) -> tuple[str, str] | None:
    """The address and language an account email goes to: the invited address, or the
    account's; None once the link no longer works (withdrawn, used, expired)."""
    row = account_row(session, kind, payload)
    if row is None:
        return None
    address = row.email if isinstance(row, OrganiserInvitation) else row.organiser.email
    return address, row.language


def _account_context(session: Session, message: EmailMessage, kind: EmailKind) -> dict[str, Any]:
    payload: dict[str, Any] = dict(message.outbox.payload or {}) if message.outbox else {}
    row = account_row(session, kind, payload)
    if row is None:
        raise Undeliverable("the link no longer works")
    language = message.language
    if isinstance(row, OrganiserInvitation):
        # The token is derived again here from the row's nonce and the secret key: no table
        # and no queue ever held it.
        token = account_link_token(INVITATION_PURPOSE, row.nonce)
        return {
            "kind": kind.value,
            "link": account_invitation(token, language),
            "inviter": (row.invited_by.name or row.invited_by.email) if row.invited_by else "",
            "events": [event.localized("title", language) for event in row.events],
            "valid_until": format_day(row.expires_at),
            "language": language,
        }
    token = account_link_token(RESET_PURPOSE, row.nonce)
    return {
        "kind": kind.value,
        "link": password_reset(token, language),
        "validity": format_validity(RESET_VALIDITY),
        "email": row.organiser.email,
        "language": language,
    }


def trainer_recipient(session: Session, payload: dict[str, Any]) -> tuple[str, str] | None:
    """The address and language a trainer's email goes to; None once the trainer is gone."""
    trainer = session.get(Trainer, payload.get("trainer_id") or 0)
    return (trainer.email, trainer_language(trainer)) if trainer else None


def _trainer_context(session: Session, message: EmailMessage, kind: EmailKind) -> dict[str, Any]:
    payload: dict[str, Any] = dict(message.outbox.payload or {}) if message.outbox else {}
    trainer = session.get(Trainer, payload.get("trainer_id") or 0)
    if trainer is None:
        raise Undeliverable("the trainer no longer exists")
    language = message.language
    # Derived again here, at its current version: no table and no queue ever held it.
    context: dict[str, Any] = {
        "kind": kind.value,
        "link": trainer_feed(trainer_feed_token(trainer), language),
        "name": trainer.name,
        "language": language,
    }
    if kind is EmailKind.TRAINER_DATES_CHANGED:
        context["changes"] = _trainer_changes(session, payload.get("changes") or [], language)
    return context


def _trainer_changes(
    session: Session, changes: list[dict[str, Any]], language: str
) -> list[dict[str, str]]:
    """Each change to a trainer's dates as the email words it, in its language."""
    groups = {
        group.id: group
        for group in session.scalars(
            select(Group)
            .where(Group.id.in_({change["group_id"] for change in changes}))
            .options(selectinload(Group.event))
        )
    }
    worded = []
    for change in changes:
        group = groups.get(change["group_id"])
        if group is None:
            continue
        line = DateLine.recorded(change)
        assert line is not None  # every change names the date as it stands
        item = {
            "change": change["change"],
            "what": f"{group.event.localized('title', language)} — {group.name}",
            "where": group.venue_name,
            "day": line.day,
            "hours": line.hours,
        }
        previous = DateLine.recorded(change, "previous_")
        if previous is not None:
            item |= {"previous_day": previous.day, "previous_hours": previous.hours}
        if change["change"] == "relocated":
            # The new place in full: a trainer may know the venue, not its new address.
            item["where"] = _place(group.venue_name, group.address)
        worded.append(item)
    return worded


def _certificate_attachment(session: Session, registration: Registration) -> Attachment:
    certificate = certificate_of(session, registration)
    if certificate is None or not is_valid(certificate):
        raise Undeliverable("the registration holds no valid certificate")
    return Attachment(certificate_filename(certificate), PDF, certificate_pdf(certificate))


def _context(
    session: Session, message: EmailMessage, kind: EmailKind, shared: Shared
) -> dict[str, Any]:
    payload: dict[str, Any] = dict(message.outbox.payload or {}) if message.outbox else {}
    registration = (
        session.get(Registration, message.registration_id, options=REGISTRATION_AND_GROUP)
        if message.registration_id
        else None
    )
    if registration is None and kind not in ORGANISER_KINDS:
        raise Undeliverable("the registration no longer exists")
    if registration is not None and registration.anonymised_at is not None:
        raise Undeliverable("the registration was anonymised")
    group = registration.group if registration else _outbox_group(session, message)
    event = group.event
    language = message.language
    context: dict[str, Any] = {
        "kind": kind.value,
        "registration": registration,
        "event": event,
        "group": group,
        "title": event.localized("title", language),
        "dates": [
            _line(d, language, shared)
            for d in (scheduled_dates(registration) if registration else group.dates)
        ],
        "all_dates_required": event.attendance_rule is AttendanceRule.ALL_DATES,
        "manage_url": manage_page(registration.manage_token) if registration else None,
        # Worded as it stands when the email is written: a participant whose first date has
        # begun is no longer offered to cancel.
        "cancellable": registration is not None and participant_may_cancel(registration, utcnow()),
        "waitlist_position": payload.get("waitlist_position")
        or (registration.waitlist_position if registration else None),
    }
    session_date = _session_date_of(session, message, payload)
    if session_date is not None:
        context["session_date"] = _line(session_date, language, shared)
    if kind is EmailKind.MOVED and payload.get("from_group_id"):
        previous_group = session.get(Group, payload["from_group_id"])
        context["previous_group"] = previous_group.name if previous_group else ""
    if kind is EmailKind.DATE_CHANGED:
        context.update(_previous_schedule(payload, session_date))
    if kind is EmailKind.EVALUATION and registration is not None:
        context.update(_evaluation_link(session, registration, language))
    if kind in CONFIRMATION_KINDS and registration is not None:
        context.update(_confirmation_link(registration, language))
    if kind in CHECKIN_KINDS and registration is not None and shows_code(registration):
        context["checkin_code"] = checkin_code(registration)
        context["checkin_filename"] = CHECKIN_FILENAME
    return context


def _organiser_message(
    session: Session, message: EmailMessage, registration: Registration
) -> dict[str, Any]:
    """What an organiser wrote, filled in for this reader, in the delivery log row's language
    (the one the message was written in for them)."""
    written = session.get(OrganiserMessage, message.organiser_message_id or 0)
    if written is None or written.anonymised_at is not None:
        raise Undeliverable("the organiser message no longer exists")
    subject, body = written_for(written, registration, message.language, utcnow())
    return {"message_subject": subject, "message_body": body, "language": message.language}


def _confirmation_link(registration: Registration, language: str) -> dict[str, Any]:
    """The link that confirms the registration from its email, while it awaits that."""
    nonce = registration.confirmation_nonce
    if nonce is None or not (registration.is_active and awaits_confirmation(registration)):
        return {}
    return {
        "confirm_url": registration_confirmation(confirmation_token(nonce), language),
        "confirm_by": format_moment(registration.confirm_by),
    }


def _evaluation_link(session: Session, registration: Registration, language: str) -> dict[str, Any]:
    invitation = invitation_of(session, registration)
    end = closes_at(registration.group)
    if invitation is None or end is None:
        raise Undeliverable("the registration was not invited to evaluate")
    if invitation.nonce is None:
        raise Undeliverable("the invitation was sent: its link can no longer be derived")
    return {
        "evaluation_url": evaluation_page(evaluation_link_token(invitation), language),
        "evaluation_closes": format_day(end),
    }


def _outbox_group(session: Session, message: EmailMessage) -> Group:
    group = session.get(Group, message.outbox.group_id) if message.outbox else None
    if group is None:
        raise Undeliverable("the group no longer exists")
    return group


def _session_date_of(
    session: Session, message: EmailMessage, payload: dict[str, Any]
) -> SessionDate | None:
    date_id = payload.get("session_date_id")
    if message.dedupe_key and message.dedupe_key.startswith(f"{REMINDER_KEY_PREFIX}:"):
        date_id = int(message.dedupe_key.rsplit(":", 1)[1])
    if date_id is None:
        return None
    session_date = session.get(SessionDate, date_id)
    if session_date is None:
        raise Undeliverable("the session date no longer exists")
    return session_date


def _previous_schedule(payload: dict[str, Any], current: SessionDate | None) -> dict[str, Any]:
    """What a changed date was before, from the payload its producer recorded."""
    previous: dict[str, Any] = {}
    date = DateLine.recorded(payload, "previous_")
    if date is not None:
        previous["previous_date"] = date
    venue = payload.get("previous_venue_name")
    address = payload.get("previous_address")
    if current is not None and (venue or address):
        group = current.group
        if (venue, address) != (group.venue_name, group.address):
            previous["previous_place"] = _place(venue, address)
    return previous


def _line(session_date: SessionDate, language: str, shared: Shared) -> DateLine:
    key = (session_date.id, language)
    if key not in shared.date_lines:
        shared.date_lines[key] = DateLine.of(
            session_date.starts_at, session_date.ends_at, cancelled=not is_held(session_date)
        )
    return shared.date_lines[key]
