"""Organiser pages for venues with their rooms and trainers with their unavailabilities. A
refused form comes back filled in, with each field's message; deleting what a group still
uses is refused with the groups that use it."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from itertools import groupby
from typing import Any

from flask import render_template, request, url_for
from flask_babel import gettext as _
from werkzeug.datastructures import MultiDict
from werkzeug.wrappers import Response

from services.registration.area import Page, apply, load_form, pages_blueprint
from services.registration.organiser import places
from services.registration.organiser.planning import planning
from services.registration.organiser.schemas.places import (
    RoomInputSchema,
    TrainerFeedInputSchema,
    TrainerInputSchema,
    UnavailabilityInputSchema,
    VenueInputSchema,
)
from services.registration.organiser.schemas.planning import PlanningQuerySchema
from shared.access import current_organiser, visible_events
from shared.database import db, utcnow
from shared.errors import DomainError
from shared.i18n import BRUSSELS, LANGUAGES, current_language
from shared.models import Trainer, Venue

bp = pages_blueprint("places_pages", __name__)
VENUES = "organiser/venues.html"
TRAINERS = "organiser/trainers.html"


def _page(
    template: str, values: Any = None, refusal: DomainError | None = None, **context: Any
) -> Page:
    return render_template(
        template,
        values=values if values is not None else MultiDict(),
        refusal=refusal,
        errors=refusal.errors if refusal else {},
        languages=LANGUAGES,
        **context,
    ), refusal.status if refusal else 200


def _change(
    template: str, change: Any, done: str | Callable[[Any], str], then: str, **context: Any
) -> Response | Page:
    return apply(
        change,
        done=done,
        then=then,
        on_refusal=lambda refusal: _page(template, request.form, refusal, **context),
    )


def _venues_context(venue: Venue | None = None) -> dict[str, Any]:
    return {"venues": places.all_venues(db.session), "venue": venue}


def _trainers_context(trainer: Trainer | None = None) -> dict[str, Any]:
    return {"trainers": places.all_trainers(db.session), "trainer": trainer}


def venue_values(venue: Venue) -> MultiDict[str, Any]:
    """A venue's fields as the form shows them."""
    values = {k: getattr(venue, k) for k in places.VENUE_FIELDS}
    values.update({f"access_notes_{k}": v for k, v in (venue.access_notes or {}).items()})
    return MultiDict({k: "" if v is None else v for k, v in values.items()})


def _with_notes(form: Any) -> dict[str, Any]:
    """The venue form, its access notes per language gathered into one field."""
    data = {k: v for k, v in form.items() if not k.startswith("access_notes_")}
    notes = {language: form.get(f"access_notes_{language}", "").strip() for language in LANGUAGES}
    data["access_notes"] = {k: v for k, v in notes.items() if v}
    return data


@bp.route("/venues", methods=["GET", "POST"])
def venues() -> Response | Page:
    """Every venue, and a form to record one."""
    if request.method == "GET":
        return _page(VENUES, **_venues_context())
    return _change(
        VENUES,
        lambda: places.create_venue(
            db.session,
            current_organiser(),
            load_form(VenueInputSchema(), _with_notes(request.form)),
        ),
        _("Lieu ajouté."),
        url_for("places_pages.venues"),
        **_venues_context(),
    )


@bp.route("/venues/<int:venue_id>", methods=["GET", "POST"])
def venue(venue_id: int) -> Response | Page:
    """A venue's address, access notes and rooms."""
    venue = places.find_venue(db.session, venue_id)
    if request.method == "GET":
        return _page(VENUES, venue_values(venue), **_venues_context(venue))
    return _change(
        VENUES,
        lambda: places.update_venue(
            db.session,
            current_organiser(),
            venue,
            load_form(VenueInputSchema(), _with_notes(request.form)),
        ),
        _("Lieu modifié ; les participants des groupes qui s'y réunissent sont prévenus."),
        url_for("places_pages.venue", venue_id=venue_id),
        **_venues_context(venue),
    )


@bp.post("/venues/<int:venue_id>/delete")
def delete_venue(venue_id: int) -> Response | Page:
    """Delete a venue no group meets at."""
    venue = places.find_venue(db.session, venue_id)
    return _change(
        VENUES,
        lambda: places.delete_venue(db.session, current_organiser(), venue),
        _("Lieu supprimé."),
        url_for("places_pages.venues"),
        **_venues_context(venue),
    )


@bp.post("/venues/<int:venue_id>/rooms")
def add_room(venue_id: int) -> Response | Page:
    """Add a room to a venue."""
    venue = places.find_venue(db.session, venue_id)
    return _change(
        VENUES,
        lambda: places.add_room(
            db.session, current_organiser(), venue, load_form(RoomInputSchema())
        ),
        _("Salle ajoutée."),
        url_for("places_pages.venue", venue_id=venue_id),
        **_venues_context(venue),
    )


@bp.post("/venues/<int:venue_id>/rooms/<int:room_id>/delete")
def delete_room(venue_id: int, room_id: int) -> Response | Page:
    """Delete a room no group meets in."""
    venue = places.find_venue(db.session, venue_id)
    room = places.find_room(venue, room_id)
    return _change(
        VENUES,
        lambda: places.delete_room(db.session, current_organiser(), room),
        _("Salle supprimée."),
        url_for("places_pages.venue", venue_id=venue_id),
        **_venues_context(venue),
    )


def trainer_values(trainer: Trainer) -> MultiDict[str, Any]:
    """A trainer's fields as the form shows them."""
    values = MultiDict({k: getattr(trainer, k) for k in ("name", "email", "phone")})
    for language in trainer.languages or []:
        values.add("languages", language)
    return values


def _trainer_form() -> dict[str, Any]:
    return {**request.form.to_dict(), "languages": request.form.getlist("languages")}


@bp.route("/trainers", methods=["GET", "POST"])
def trainers() -> Response | Page:
    """Every trainer, and a form to record one."""
    if request.method == "GET":
        return _page(TRAINERS, **_trainers_context())
    return _change(
        TRAINERS,
        lambda: places.create_trainer(
            db.session, current_organiser(), load_form(TrainerInputSchema(), _trainer_form())
        ),
        _("Formateur ajouté."),
        url_for("places_pages.trainers"),
        **_trainers_context(),
    )


@bp.route("/trainers/<int:trainer_id>", methods=["GET", "POST"])
def trainer(trainer_id: int) -> Response | Page:
    """A trainer's details and unavailabilities."""
    trainer = places.find_trainer(db.session, trainer_id)
    if request.method == "GET":
        return _page(TRAINERS, trainer_values(trainer), **_trainers_context(trainer))
    return _change(
        TRAINERS,
        lambda: places.update_trainer(
            db.session,
            current_organiser(),
            trainer,
            load_form(TrainerInputSchema(), _trainer_form()),
        ),
        _("Formateur modifié."),
        url_for("places_pages.trainer", trainer_id=trainer_id),
        **_trainers_context(trainer),
    )


@bp.post("/trainers/<int:trainer_id>/delete")
def delete_trainer(trainer_id: int) -> Response | Page:
    """Delete a trainer who runs no group."""
    trainer = places.find_trainer(db.session, trainer_id)
    return _change(
        TRAINERS,
        lambda: places.delete_trainer(db.session, current_organiser(), trainer),
        _("Formateur supprimé."),
        url_for("places_pages.trainers"),
        **_trainers_context(trainer),
    )


@bp.post("/trainers/<int:trainer_id>/feed")
def send_trainer_feed(trainer_id: int) -> Response | Page:
    """Email the trainer the link of their feed, a new one unless asked otherwise."""
    trainer = places.find_trainer(db.session, trainer_id)

    def send() -> bool:
        renew: bool = load_form(TrainerFeedInputSchema())["renew"]
        places.send_trainer_feed(db.session, current_organiser(), trainer, renew=renew)
        return renew

    return _change(
        TRAINERS,
        send,
        lambda renewed: (
            _("Nouveau lien envoyé ; l'ancien ne fonctionne plus.")
            if renewed
            else _("Lien de l'agenda envoyé.")
        ),
        url_for("places_pages.trainer", trainer_id=trainer_id),
        **_trainers_context(trainer),
    )


@bp.post("/trainers/<int:trainer_id>/unavailabilities")
def add_unavailability(trainer_id: int) -> Response | Page:
    """Record a range in which the trainer cannot run a session."""
    trainer = places.find_trainer(db.session, trainer_id)
    return _change(
        TRAINERS,
        lambda: places.add_unavailability(
            db.session, current_organiser(), trainer, load_form(UnavailabilityInputSchema())
        ),
        _("Indisponibilité ajoutée."),
        url_for("places_pages.trainer", trainer_id=trainer_id),
        **_trainers_context(trainer),
    )


@bp.post("/trainers/<int:trainer_id>/unavailabilities/<int:unavailability_id>/delete")
def remove_unavailability(trainer_id: int, unavailability_id: int) -> Response | Page:
    """Remove one of the trainer's unavailabilities."""
    trainer = places.find_trainer(db.session, trainer_id)
    return _change(
        TRAINERS,
        lambda: places.remove_unavailability(
            db.session, current_organiser(), trainer, unavailability_id
        ),
        _("Indisponibilité retirée."),
        url_for("places_pages.trainer", trainer_id=trainer_id),
        **_trainers_context(trainer),
    )


# How many days each view of the planning shows.
VIEW_DAYS = {"week": 7, "month": 31}


@bp.get("/planning")
def planning_page() -> Page:
    """The dates of the organiser's events over a week or a month, by day, narrowed by
    town, venue, trainer or event."""
    view = request.args.get("view") if request.args.get("view") in VIEW_DAYS else "week"
    today = utcnow().astimezone(BRUSSELS).date()
    monday = today - timedelta(days=today.weekday())
    first = monday if view == "week" else today.replace(day=1)
    defaults = {
        "from": first.isoformat(),
        "to": (first + timedelta(VIEW_DAYS[view] - 1)).isoformat(),
    }
    query = {**defaults, **{k: v for k, v in request.args.items() if v and k != "view"}}
    args = load_form(PlanningQuerySchema(), query)
    rows = planning(db.session, current_organiser(), args)
    days = [
        (day, list(dates))
        for day, dates in groupby(rows, key=lambda row: row.starts_at.astimezone(BRUSSELS).date())
    ]
    return _page(
        "organiser/planning.html",
        MultiDict(query),
        days=days,
        view=view,
        venue_options=[(str(v.id), v.name) for v in places.all_venues(db.session)],
        trainer_options=[(str(t.id), t.name) for t in places.all_trainers(db.session)],
        event_options=[
            (e.slug, e.localized("title", current_language()))
            for e in visible_events(db.session, current_organiser())
        ],
    )
