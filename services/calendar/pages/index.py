"""The page that lists the feeds, with addresses to copy into a calendar app."""

from __future__ import annotations

from dataclasses import dataclass

from flask import Blueprint, Response, make_response, render_template, url_for
from flask_babel import gettext

from services.calendar import operations
from shared.database import db, utcnow
from shared.i18n import LANGUAGE_NAMES, current_language
from shared.ical import webcal_url
from shared.links import calendar_address
from shared.page_security import page_headers

bp = Blueprint("index", __name__)

# The page loads its own stylesheet and script and nothing else, and no other site frames it
# (where it could be dressed up to hand out other addresses).
PAGE_HEADERS = page_headers("form-action 'none'")


@dataclass(frozen=True)
class Subscription:
    """A feed as the page shows it: a name and its https and webcal addresses."""

    label: str
    https: str
    webcal: str


@bp.get("/")
def index() -> Response:
    """Every feed one can subscribe to, in the request's language."""
    language = current_language()
    towns, events = operations.feed_links(db.session, utcnow())
    everything = operations.FeedLink("feeds.all_sessions", {}, gettext("Toutes les séances"))
    page = render_template(
        "calendar/index.html",
        language=language,
        language_names=LANGUAGE_NAMES,
        everything=_subscription(everything, language),
        towns=[_subscription(link, language) for link in towns],
        events=[_subscription(link, language) for link in events],
    )
    return make_response(page, PAGE_HEADERS)


def _subscription(link: operations.FeedLink, language: str) -> Subscription:
    address = calendar_address(url_for(link.endpoint, **link.arguments), lang=language)
    return Subscription(link.label, address, webcal_url(address))
