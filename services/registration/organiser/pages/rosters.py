"""Organiser pages: the events, each event's dashboard and team, each group's roster with its
actions, presence on a date (one tap per person, made for a phone), spreadsheets and the printable
attendance sheet."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from functools import partial
from typing import Any

from flask import render_template, request, url_for
from flask_babel import force_locale
from flask_babel import gettext as _
from werkzeug.wrappers import Response

from services.registration.accounts import operations as accounts
from services.registration.area import Page, apply, load_form, page_args, pages_blueprint
from services.registration.lookups import find_date, find_registration, group_of
from services.registration.organiser import actions
from services.registration.organiser.actions import organising
from services.registration.organiser.dashboard import event_dashboard
from services.registration.organiser.downloads import (
    attendance_sheet_pdf,
    certificates_zip,
    dashboard_csv,
    roster_download,
)
from services.registration.organiser.roster_lines import build_roster
from services.registration.organiser.schemas.events import (
    MAX_CAPACITY,
    OrganiserEventsArgsSchema,
)
from services.registration.organiser.schemas.rosters import (
    CapacityInputSchema,
    MoveInputSchema,
    PresenceMarkSchema,
    RosterArgsSchema,
    WalkInFormSchema,
)
from shared import qr
from shared.access import current_event, current_organiser
from shared.database import db, utcnow
from shared.domain.attendance import check_presence_window
from shared.domain.capacity import awaiting_confirmation
from shared.domain.certificates import certifiable, valid_certificates
from shared.domain.checkin import checkin_code
from shared.domain.closing import Closing, can_close
from shared.errors import DomainError
from shared.i18n import LANGUAGES
from shared.labels import ROLE_LABELS
from shared.models import Event, Group, Registration
from shared.paging import next_url

bp = pages_blueprint("roster_pages", __name__)


@bp.get("/")
def index() -> str:
    """The events this organiser runs, newest first, a page at a time."""
    page = actions.my_events(
        db.session, current_organiser(), **page_args(OrganiserEventsArgsSchema())
    )
    return render_template("organiser/index.html", events=page.items, more=next_url(page))


def event_page(event: Event, refusal: DomainError | None = None, **context: Any) -> Page:
    """The event's dashboard and team; a refused change shown above it, and ``context``
    (the copy form's input and preview)."""
    return render_template(
        "organiser/event.html",
        event=event,
        dashboard=event_dashboard(db.session, event),
        team=accounts.team_of(event),
        invitations=accounts.event_invitations(db.session, event),
        languages=LANGUAGES,
        refusal=refusal,
        errors=refusal.errors if refusal else {},
        **context,
    ), refusal.status if refusal else 200


@bp.get("/events/<event_slug>/")
def event(event_slug: str) -> Page:
    """The event's dashboard: every group's figures, links to rosters and sheets, its team."""
    return event_page(current_event())


@bp.get("/events/<event_slug>/dashboard.csv")
def dashboard_file(event_slug: str) -> Response:
    """The dashboard's figures as CSV."""
    return dashboard_csv(current_event())


def roster_page(
    event: Event,
    group: Group,
    refusal: DomainError | None = None,
    walk_in: Mapping[str, Any] | None = None,
) -> Page:
    """A group's roster, with a refused action's message when there is one; ``walk_in`` is
    the paper form's input to show again when adding that person was refused."""
    others = [g for g in event.groups if g.id != group.id and not g.is_cancelled]
    args = page_args(RosterArgsSchema())
    roster = build_roster(db.session, event, group, **args)
    confirmed = [line.registration for line in roster.confirmed]
    more = None
    if roster.next is not None:
        more = url_for(
            ".roster",
            event_slug=event.slug,
            group_slug=group.slug,
            cursor=roster.next,
            limit=args["limit"],
        )
    return render_template(
        "organiser/roster.html",
        roster=roster,
        # The whole group's, as the page's other counts are, whichever page of people it shows.
        awaiting=awaiting_confirmation(db.session, group),
        more=more,
        certificates=valid_certificates(db.session, [r.id for r in confirmed]),
        # The ZIP is offered when it would hold a certificate, by the rule that fills it; a
        # roster of several pages offers it whatever this page holds.
        certifiable=roster.confirmed_count > len(confirmed) or certifiable(db.session, confirmed),
        other_groups=others,
        refusal=refusal,
        walk_in=walk_in,
        role_labels=ROLE_LABELS,
        closable=can_close(group, utcnow()),
        max_capacity=MAX_CAPACITY,
    ), refusal.status if refusal else 200


@bp.get("/events/<event_slug>/groups/<group_slug>/")
def roster(event_slug: str, group_slug: str) -> Page:
    """Confirmed participants, presence, completion, the waiting list and the actions."""
    event = current_event()
    return roster_page(event, group_of(event, group_slug))


@bp.get("/events/<event_slug>/groups/<group_slug>/roster.<any(csv, xlsx):extension>")
def roster_file(event_slug: str, group_slug: str, extension: str) -> Response:
    """The roster as CSV or XLSX."""
    return roster_download(current_event(), group_slug, extension)


@bp.post("/events/<event_slug>/groups/<group_slug>/close")
def close(event_slug: str, group_slug: str) -> Response | Page:
    """Close the group after its last date; send the certificates and the evaluation."""
    change = partial(actions.close_group, organising(), group_slug)
    return _group_action(group_slug, change, _closed)


def _closed(closing: Closing) -> str:
    if closing.already_closed:
        return _("Ce groupe était déjà clôturé : rien n'a été envoyé à nouveau.")
    return _("Groupe clôturé : les attestations et les invitations à l'évaluation sont envoyées.")


@bp.get("/events/<event_slug>/groups/<group_slug>/attendance-sheet.pdf")
def attendance_sheet(event_slug: str, group_slug: str) -> Response:
    """The group's attendance sheet as a PDF, for the funder's file."""
    return attendance_sheet_pdf(current_event(), group_slug)


@bp.get("/events/<event_slug>/groups/<group_slug>/certificates.zip")
def certificates(event_slug: str, group_slug: str) -> Response:
    """The certificates of everyone in the group who completed the training."""
    return certificates_zip(current_event(), group_slug)


def _roster_action(
    registration_id: int, change: Callable[[], object], done: str
) -> Response | Page:
    event = current_event()
    registration = find_registration(db.session, event, registration_id)
    return _on_roster(event, registration.group, change, done)


def _group_action(
    group_slug: str,
    change: Callable[[], Any],
    done: str | Callable[[Any], str],
    *,
    keep_form: bool = False,
) -> Response | Page:
    event = current_event()
    return _on_roster(event, group_of(event, group_slug), change, done, keep_form=keep_form)


def _on_roster(
    event: Event,
    group: Group,
    change: Callable[[], Any],
    done: str | Callable[[Any], str],
    *,
    keep_form: bool = False,
) -> Response | Page:
    # A change made from a group's roster goes back to it, or shows it with the refusal
    # (and, for a form worth correcting, what was typed).
    return apply(
        change,
        done=done,
        then=url_for("roster_pages.roster", event_slug=event.slug, group_slug=group.slug),
        on_refusal=lambda refusal: roster_page(
            event, group, refusal, walk_in=request.form if keep_form else None
        ),
    )


@bp.post("/events/<event_slug>/registrations/<int:registration_id>/cancel")
def cancel(event_slug: str, registration_id: int) -> Response | Page:
    """Cancel a registration; the waiting list moves up."""
    change = partial(actions.cancel_registration, organising(), registration_id)
    return _roster_action(registration_id, change, _("Inscription annulée."))


@bp.post("/events/<event_slug>/registrations/<int:registration_id>/certificate/revoke")
def revoke_certificate(event_slug: str, registration_id: int) -> Response | Page:
    """Withdraw a participant's certificate; its code then says it is no longer valid."""
    change = partial(actions.revoke_certificate, organising(), registration_id)
    return _roster_action(registration_id, change, _("Attestation révoquée."))


@bp.post("/events/<event_slug>/registrations/<int:registration_id>/erase")
def erase(event_slug: str, registration_id: int) -> Response | Page:
    """Erase a participant's details on their request."""
    change = partial(actions.erase_registration, organising(), registration_id)
    return _roster_action(registration_id, change, _("Données de la personne effacées."))


@bp.post("/events/<event_slug>/registrations/<int:registration_id>/promote")
def promote(event_slug: str, registration_id: int) -> Response | Page:
    """Confirm someone from the waiting list."""
    change = partial(actions.promote_registration, organising(), registration_id)
    return _roster_action(registration_id, change, _("Inscription confirmée."))


@bp.post("/events/<event_slug>/registrations/<int:registration_id>/move")
def move(event_slug: str, registration_id: int) -> Response | Page:
    """Move a participant to another group."""
    return _roster_action(
        registration_id,
        lambda: actions.move_registration(
            organising(), registration_id, load_form(MoveInputSchema())
        ),
        _("Participant déplacé."),
    )


@bp.post("/events/<event_slug>/groups/<group_slug>/capacity")
def capacity(event_slug: str, group_slug: str) -> Response | Page:
    """Change the group's number of places."""

    def change() -> Group:
        return actions.set_capacity(
            organising(), group_slug, load_form(CapacityInputSchema())["capacity"]
        )

    return _group_action(group_slug, change, _("Nombre de places modifié."))


@bp.post("/events/<event_slug>/groups/<group_slug>/participants")
def add_participant(event_slug: str, group_slug: str) -> Response | Page:
    """Add someone who signed the paper form."""

    def change() -> Registration:
        return actions.add_participant_by_hand(
            organising(), group_slug, load_form(WalkInFormSchema())
        )

    return _group_action(group_slug, change, _("Personne ajoutée au groupe."), keep_form=True)


def presence_page(event: Event, date_id: int, refusal: DomainError | None = None) -> Page:
    """Everyone expected on a date, with a present and an absent button each; outside the
    date's window for this organiser, the reason instead of live buttons."""
    session_date = find_date(event, date_id)
    roster = build_roster(db.session, event, session_date.group)
    try:
        check_presence_window(session_date, now=utcnow(), by_admin=current_organiser().is_admin)
        outside_window = None
    except DomainError as reason:
        outside_window = reason
    return render_template(
        "organiser/presence.html",
        roster=roster,
        session_date=session_date,
        lines=roster.expected_on(session_date),
        refusal=refusal,
        outside_window=outside_window,
    ), refusal.status if refusal else 200


@bp.get("/events/<event_slug>/dates/<int:date_id>/presence")
def presence(event_slug: str, date_id: int) -> Page:
    """Mark presence on a date, one tap per person."""
    return presence_page(current_event(), date_id)


@bp.post("/events/<event_slug>/dates/<int:date_id>/presence")
def mark(event_slug: str, date_id: int) -> Response | Page:
    """Record one person's presence or absence, then return to the same place in the list."""
    event = current_event()
    registration_id = request.form.get("registration", type=int)

    def change() -> None:
        marks = load_form(PresenceMarkSchema())
        actions.mark_attendance(organising(), marks["registration"], date_id, marks["present"])

    return apply(
        change,
        done=_("Présence enregistrée."),
        then=url_for("roster_pages.presence", event_slug=event.slug, date_id=date_id)
        + f"#p{registration_id}",
        on_refusal=lambda refusal: presence_page(event, date_id, refusal),
    )


@bp.get("/events/<event_slug>/dates/<int:date_id>/sheet")
def sheet(event_slug: str, date_id: int) -> str:
    """The attendance sheet of a date, to print and sign, in the event's language."""
    event = current_event()
    session_date = find_date(event, date_id)
    roster = build_roster(db.session, event, session_date.group)
    with force_locale(event.language):
        return render_template(
            "organiser/sheet.html",
            roster=roster,
            session_date=session_date,
            lines=roster.expected_on(session_date),
            language=event.language,
            # Each person's code, for those who came without theirs (walk-ins among them).
            checkin_qr=lambda registration: qr.svg_data_uri(checkin_code(registration), scale=2),
        )
