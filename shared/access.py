"""Organiser access, the same in every service.

A blueprint joins the organiser area through :func:`organiser_area`: from then on every
request to any of its views is refused unless it comes from an organiser — a Bearer token for
the JSON API, the login session for pages — and a view addressing an event (``<event_slug>``)
is refused unless that organiser runs the event or is an admin. Protection belongs to the
blueprint, not to each view, so a view added later cannot be left open by mistake; only views
marked :func:`public` (the login page) are let through.
"""

from __future__ import annotations

import enum
from collections.abc import Callable
from functools import partial
from typing import Any, TypeVar

from flask import Blueprint, Flask, current_app, g, redirect, request, url_for
from flask import session as flask_session
from sqlalchemy import exists, select
from sqlalchemy.orm import Session, selectinload
from werkzeug.wrappers import Response

from shared.database import db
from shared.errors import Forbidden, NotFound, Unauthenticated
from shared.models import ApiToken, Event, Group, Organiser, event_organisers
from shared.tokens import digest

SESSION_KEY = "organiser_id"
# The route argument naming the event a view addresses: the guard checks access to it.
EVENT_ARGUMENT = "event_slug"
AREA_ATTRIBUTE = "organiser_area"
PUBLIC_ATTRIBUTE = "organiser_public"

View = TypeVar("View", bound=Callable[..., Any])


class AreaKind(enum.StrEnum):
    """How the blueprint's callers prove who they are."""

    API = "api"  # Authorization: Bearer <personal token>
    PAGES = "pages"  # the login session cookie


def public(view: View) -> View:
    """Let anonymous requests reach this view of an organiser blueprint (the login page)."""
    setattr(view, PUBLIC_ATTRIBUTE, True)
    return view


def organiser_area(bp: Blueprint, kind: AreaKind, *, login_endpoint: str = "") -> Blueprint:
    """Put every view of ``bp`` behind organiser authentication and event access checks."""
    setattr(bp, AREA_ATTRIBUTE, kind)
    bp.before_request(partial(_guard, kind, login_endpoint))
    return bp


def area_of(app: Flask, endpoint: str) -> AreaKind | None:
    """The organiser area an endpoint belongs to, or None for the rest of the service."""
    blueprint = app.blueprints.get(endpoint.rpartition(".")[0])
    return getattr(blueprint, AREA_ATTRIBUTE, None)


def is_public(app: Flask, endpoint: str) -> bool:
    """Whether the endpoint's view was marked public."""
    return getattr(app.view_functions.get(endpoint), PUBLIC_ATTRIBUTE, False)


def _guard(kind: AreaKind, login_endpoint: str) -> Response | None:
    if request.endpoint is None or is_public(current_app, request.endpoint):
        return None
    if kind is AreaKind.API:
        organiser = organiser_from_bearer(db.session)
        if organiser is None:
            raise Unauthenticated(headers={"WWW-Authenticate": 'Bearer realm="atelier"'})
    else:
        organiser = organiser_from_session(db.session)
        if organiser is None:
            return redirect(url_for(login_endpoint, next=request.full_path.rstrip("?")))
    g.organiser = organiser
    event_slug = (request.view_args or {}).get(EVENT_ARGUMENT)
    if event_slug is not None:
        g.event = event_for(db.session, organiser, event_slug)
    return None


def organiser_from_bearer(session: Session) -> Organiser | None:
    """The organiser whose unrevoked personal token the request carries."""
    scheme, _, token = request.headers.get("Authorization", "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        return None
    return session.scalar(
        select(Organiser)
        .join(ApiToken)
        .where(ApiToken.token_digest == digest(token.strip()), ApiToken.revoked_at.is_(None))
    )


def organiser_from_session(session: Session) -> Organiser | None:
    """The organiser logged in through the session cookie."""
    organiser_id = flask_session.get(SESSION_KEY)
    if not isinstance(organiser_id, int):
        return None
    return session.get(Organiser, organiser_id)


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
    return bool(
        session.scalar(
            select(
                exists().where(
                    event_organisers.c.event_id == event.id,
                    event_organisers.c.organiser_id == organiser.id,
                )
            )
        )
    )


def event_for(session: Session, organiser: Organiser, slug: str) -> Event:
    """The event with this slug if the organiser runs it: 404 if none, 403 if not theirs."""
    event = session.scalar(
        select(Event)
        .where(Event.slug == slug)
        .options(selectinload(Event.groups).selectinload(Group.dates))
    )
    if event is None:
        raise NotFound()
    if not runs_event(session, organiser, event):
        raise Forbidden()
    return event


def visible_events(session: Session, organiser: Organiser) -> list[Event]:
    """The events an organiser runs; every event for an admin."""
    query = select(Event).order_by(Event.id)
    if not organiser.is_admin:
        query = query.join(event_organisers).where(event_organisers.c.organiser_id == organiser.id)
    return list(session.scalars(query.options(selectinload(Event.groups))))
