"""Organiser access, the same in every service.

A blueprint joins the organiser area through :func:`organiser_area`: from then on every
request to any of its views is refused unless it comes from an organiser — a Bearer token for
the JSON API, the login session for pages — and a view addressing an event (``<event_slug>``)
is refused unless that organiser runs the event or is an admin. Protection belongs to the
blueprint, not to each view, so a view added later cannot be left open by mistake; only views
marked :func:`public` (the login page) are let through, and views marked :func:`admin_only`
refuse everyone but administrators.

A deactivated account is refused everywhere at once: its tokens and sessions no longer name
an organiser. A login session is found by the digest of the id its cookie carries among the
sessions kept on the server (ended by deleting their rows, and at the latest 7 days after the
login); it also carries its account's session version, raised by a new password or a
deactivation, which ends every session opened before. A personal token works until it expires
or is revoked; an administrator who must enrol a second factor and has not cannot use one.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from datetime import timedelta
from functools import partial
from typing import Any, TypeVar

from flask import Blueprint, Flask, current_app, g, redirect, request, url_for
from flask import session as flask_session
from flask_babel import lazy_gettext as _l
from sqlalchemy import Exists, Select, exists, select, true
from sqlalchemy.orm import Session, contains_eager, joinedload, selectinload
from werkzeug.wrappers import Response

from shared.database import db, utcnow
from shared.errors import Forbidden, NotFound, Unauthenticated
from shared.models import ApiToken, Event, Group, Organiser, OrganiserSession, event_organisers
from shared.tokens import digest

SESSION_KEY = "organiser_id"
SESSION_VERSION_KEY = "organiser_session_version"
# The random id of the login session, whose digest names its row (OrganiserSession).
SESSION_ID_KEY = "organiser_login"
# The route argument naming the event a view addresses: the guard checks access to it.
EVENT_ARGUMENT = "event_slug"
AREA_ATTRIBUTE = "organiser_area"
PUBLIC_ATTRIBUTE = "organiser_public"
ADMIN_ATTRIBUTE = "organiser_admin_only"
BEFORE_TWO_FACTOR_ATTRIBUTE = "organiser_before_two_factor"
# A token's last use is written at most this often: once a minute tells a token in use from a
# forgotten one without a write on every request.
TOKEN_USE_PRECISION = timedelta(minutes=1)
ENROL_FIRST = _l(
    "Activez d'abord la validation en deux étapes dans votre compte : l'API reste fermée "
    "aux administrateurs sans elle."
)

View = TypeVar("View", bound=Callable[..., Any])


class AreaKind(enum.StrEnum):
    """How the blueprint's callers prove who they are."""

    API = "api"  # Authorization: Bearer <personal token>
    PAGES = "pages"  # the login session cookie


def public(view: View) -> View:
    """Let anonymous requests reach this view of an organiser blueprint (the login page)."""
    setattr(view, PUBLIC_ATTRIBUTE, True)
    return view


def admin_only(view: View) -> View:
    """Refuse (403) this view of an organiser blueprint to everyone but administrators."""
    setattr(view, ADMIN_ATTRIBUTE, True)
    return view


def open_before_two_factor(view: View) -> View:
    """Let an administrator who must enrol a second factor, and has not, reach this page."""
    setattr(view, BEFORE_TWO_FACTOR_ATTRIBUTE, True)
    return view


def organiser_area(
    bp: Blueprint, kind: AreaKind, *, login_endpoint: str = "", enrolment_endpoint: str = ""
) -> Blueprint:
    """Put every view of ``bp`` behind organiser authentication and event access checks; on
    pages, an administrator required to enrol a second factor is sent to
    ``enrolment_endpoint`` until they have."""
    setattr(bp, AREA_ATTRIBUTE, kind)
    bp.before_request(partial(_guard, kind, login_endpoint, enrolment_endpoint))
    return bp


def area_of(app: Flask, endpoint: str) -> AreaKind | None:
    """The organiser area an endpoint belongs to, or None for the rest of the service."""
    blueprint = app.blueprints.get(endpoint.rpartition(".")[0])
    return getattr(blueprint, AREA_ATTRIBUTE, None)


def is_public(app: Flask, endpoint: str) -> bool:
    """Whether the endpoint's view was marked public."""
    return getattr(app.view_functions.get(endpoint), PUBLIC_ATTRIBUTE, False)


def is_admin_only(app: Flask, endpoint: str) -> bool:
    """Whether the endpoint's view was marked for administrators only."""
    return getattr(app.view_functions.get(endpoint), ADMIN_ATTRIBUTE, False)


def second_factor_required(organiser: Organiser) -> bool:
    """Whether the organiser must sign in with a second factor (and may not turn it off)."""
    required = current_app.config.get("ORGANISER_2FA_REQUIRED_FOR_ADMINS", False)
    return bool(required and organiser.is_admin)


def must_enrol_second_factor(organiser: Organiser) -> bool:
    """Whether the organiser must enrol a second factor before using the organiser area."""
    return second_factor_required(organiser) and not organiser.has_two_factor


def _guard(kind: AreaKind, login_endpoint: str, enrolment_endpoint: str) -> Response | None:
    if request.endpoint is None or is_public(current_app, request.endpoint):
        return None
    if kind is AreaKind.API:
        organiser = organiser_from_bearer(db.session)
        if organiser is None:
            raise Unauthenticated(headers={"WWW-Authenticate": 'Bearer realm="atelier"'})
        if must_enrol_second_factor(organiser):
            # The pages would send them to enrol: the API must not be the way around it.
            raise Forbidden(ENROL_FIRST)
    else:
        organiser = organiser_from_session(db.session)
        if organiser is None:
            return redirect(url_for(login_endpoint, next=request.full_path.rstrip("?")))
        view = current_app.view_functions.get(request.endpoint)
        if (
            enrolment_endpoint
            and must_enrol_second_factor(organiser)
            and not getattr(view, BEFORE_TWO_FACTOR_ATTRIBUTE, False)
        ):
            return redirect(url_for(enrolment_endpoint))
    g.organiser = organiser
    if is_admin_only(current_app, request.endpoint) and not organiser.is_admin:
        raise Forbidden()
    event_slug = (request.view_args or {}).get(EVENT_ARGUMENT)
    if event_slug is not None:
        g.event = event_for(db.session, organiser, event_slug)
    return None


def organiser_from_bearer(session: Session) -> Organiser | None:
    """The active organiser whose unrevoked personal token the request carries."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    api_token = session.scalar(
        select(ApiToken)
        .join(Organiser)
        .options(contains_eager(ApiToken.organiser))
        .where(
            ApiToken.token_digest == digest(token.strip()),
            ApiToken.revoked_at.is_(None),
            ApiToken.expires_at > utcnow(),
            Organiser.deactivated_at.is_(None),
        )
    )
    if api_token is None:
        return None
    # Only the service that owns the tokens' table writes it (the others read).
    if current_app.config.get("RECORDS_TOKEN_USE"):
        now = utcnow()
        if api_token.last_used_at is None or now - api_token.last_used_at >= TOKEN_USE_PRECISION:
            api_token.last_used_at = now
    return api_token.organiser


def organiser_from_session(session: Session) -> Organiser | None:
    """The active organiser logged in through the session cookie, if the session's row is
    still kept and was opened since the account's last password change."""
    session_id = flask_session.get(SESSION_ID_KEY)
    if not isinstance(session_id, str):
        return None
    kept = session.scalar(
        select(OrganiserSession.organiser_id).where(
            OrganiserSession.id_digest == digest(session_id),
            OrganiserSession.expires_at > utcnow(),
        )
    )
    organiser_id = flask_session.get(SESSION_KEY)
    if kept is None or kept != organiser_id:
        return None
    return account_of_session(session, organiser_id, flask_session.get(SESSION_VERSION_KEY))


def account_of_session(session: Session, organiser_id: object, version: object) -> Organiser | None:
    """The active organiser a session names by id, if ``version`` is still the account's
    session version (a password change or deactivation since moved it on)."""
    if not isinstance(organiser_id, int):
        return None
    organiser = session.get(Organiser, organiser_id)
    if organiser is None or not organiser.is_active or organiser.session_version != version:
        return None
    return organiser


def current_organiser() -> Organiser:
    """The organiser the guard authenticated for this request."""
    return g.organiser


def current_event() -> Event:
    """The event the request addresses, already checked against the organiser."""
    return g.event


def runs_event(session: Session, organiser: Organiser, event: Event) -> bool:
    """Whether the organiser may see and change this event."""
    if organiser.is_admin:
        return True
    return bool(session.scalar(select(_runs(event.id, organiser.id))))


def _runs(event_id: Any, organiser_id: int) -> Exists:
    return exists().where(
        event_organisers.c.event_id == event_id,
        event_organisers.c.organiser_id == organiser_id,
    )


def event_for(session: Session, organiser: Organiser, slug: str) -> Event:
    """The event with this slug if the organiser runs it: 404 if none, 403 if not theirs."""
    # One round trip for the event, its groups and dates, and whether the organiser runs
    # it: every request of the organiser area begins here.
    runs_it = true() if organiser.is_admin else _runs(Event.id, organiser.id)
    found = (
        session.execute(
            select(Event, runs_it)
            .where(Event.slug == slug)
            .options(joinedload(Event.groups).joinedload(Group.dates))
        )
        .unique()
        .first()
    )
    if found is None:
        raise NotFound()
    event, allowed = found
    if not allowed:
        raise Forbidden()
    return event


def visible_events(session: Session, organiser: Organiser) -> list[Event]:
    """The events an organiser runs; every event for an admin."""
    query = events_run_by(organiser).order_by(Event.id)
    return list(session.scalars(query.options(selectinload(Event.groups))))


def events_run_by(organiser: Organiser) -> Select[tuple[Event]]:
    """The query of the events an organiser runs; every event for an admin."""
    query = select(Event)
    if not organiser.is_admin:
        query = query.join(event_organisers).where(event_organisers.c.organiser_id == organiser.id)
    return query
