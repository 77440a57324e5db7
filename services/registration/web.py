"""What the service's web pages share: CSRF, security headers, the language cookie, HTML
error pages and the template helpers."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode, urlsplit

from flask import Flask, Response, current_app, make_response, render_template, request
from flask_babel import lazy_gettext as _l
from flask_wtf.csrf import CSRFError, CSRFProtect
from markupsafe import Markup

from services.registration.participant import presenters
from shared.domain.accounts import INVITATION_VALIDITY, RESET_VALIDITY
from shared.domain.attendance import held_dates, is_held, scheduled_dates
from shared.domain.evaluations import RATING_SCALE
from shared.domain.indicators import SENSITIVE_CONSENT, is_sensitive
from shared.domain.registration_questions import countries, offered_questions
from shared.errors_http import error_response, is_api_request, register_html_error_page
from shared.i18n import (
    DEFAULT_LANGUAGE,
    LANGUAGE_COOKIE,
    LANGUAGE_NAMES,
    LANGUAGES,
    current_language,
    format_validity,
    text_direction,
)
from shared.ical import webcal_url
from shared.labels import KIND_LABELS, ROLE_LABELS
from shared.models import Event
from shared.page_security import page_headers

csrf = CSRFProtect()

LANGUAGE_COOKIE_AGE_S = 365 * 24 * 3600
# Forms post to the service; images are its own or drawn inline (QR codes).
PAGE_DIRECTIVES = ("img-src 'self' data:", "form-action 'self'")
PAGE_HEADERS = page_headers(*PAGE_DIRECTIVES)
CSRF_FAILED = _l("Ce formulaire a expiré. Rechargez la page et envoyez-le à nouveau.")
# Crawlers may read the events; the addresses below hold a personal token, a person's
# certificate, a form or nothing a search engine could show.
ROBOTS_TXT = """User-agent: *
Disallow: /api/
Disallow: /certificates/
Disallow: /evaluations/
Disallow: /language/
Disallow: /manage/
Disallow: /organiser/
Disallow: /registrations/
"""


def init_pages(app: Flask) -> None:
    """Give ``app`` CSRF protection on its forms, security headers and HTML error pages."""
    app.config.setdefault("SESSION_COOKIE_SAMESITE", "Lax")
    # The JSON API authenticates with tokens, not cookies: only pages are checked, below.
    app.config["WTF_CSRF_CHECK_DEFAULT"] = False
    # Pages send no Referer (see PAGE_HEADERS), so the HTTPS referrer check would refuse
    # every form; the session-bound token and the SameSite cookie stand on their own.
    app.config["WTF_CSRF_SSL_STRICT"] = False
    csrf.init_app(app)
    app.before_request(_protect_forms)
    app.after_request(_add_security_headers)
    app.register_error_handler(CSRFError, _csrf_refused)
    register_html_error_page(app, render_error_page)
    app.context_processor(_template_globals)
    app.add_url_rule("/robots.txt", "robots_txt", _robots_txt)


def _robots_txt() -> Response:
    return Response(ROBOTS_TXT, mimetype="text/plain")


def _protect_forms() -> None:
    config = current_app.config
    # Flask-WTF's own first test, asked first: most requests are GETs, which change nothing.
    if (
        request.method in config["WTF_CSRF_METHODS"]
        and config["WTF_CSRF_ENABLED"]
        and request.endpoint
        and not is_api_request()
    ):
        csrf.protect()


def _add_security_headers(response: Response) -> Response:
    headers = response.headers
    headers.setdefault("X-Content-Type-Options", "nosniff")
    # What a page may load, frame and tell other sites matters where a browser renders it.
    if (headers.get("Content-Type") or "").startswith("text/html"):
        for name, value in PAGE_HEADERS.items():
            headers.setdefault(name, value)
    return response


def _csrf_refused(_error: CSRFError) -> Response:
    return error_response(400, CSRF_FAILED, code="csrf_failed")


def render_error_page(
    status: int, message: str, errors: dict[str, list[str]], headers: dict[str, str]
) -> Response:
    """An error as a page in the request's language."""
    response = make_response(
        render_template("error.html", status=status, message=message, errors=errors)
    )
    response.headers.update(headers)
    return response


def safe_next(target: str | None, *, within: str = "/", default: str = "/") -> str:
    """``target`` when it is a path of this site under ``within``, else ``default``: a link
    may not send a visitor to another host or scheme on the way back."""
    if not target:
        return default
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith(within) or target.startswith("//"):
        return default
    return target


def _current_address_without_language() -> str:
    query = urlencode([(k, v) for k, v in request.args.items(multi=True) if k != "lang"])
    return request.path + (f"?{query}" if query else "")


# A rating question's radio buttons: each value of the scale, labelled by itself.
RATING_CHOICES = tuple((str(value), str(value)) for value in RATING_SCALE)


def shown_in(event: Event, field: str) -> Markup:
    """The ``lang`` and ``dir`` attributes of an event's text shown in French because it was
    not written in the page's language; nothing when it was."""
    language = event.language_of(field, current_language())
    if language == current_language():
        return Markup("")
    return Markup(f' lang="{language}" dir="{text_direction(language)}"')


def _template_globals() -> dict[str, Any]:
    return {
        "language": current_language(),
        "language_names": LANGUAGE_NAMES,
        "shown_in": shown_in,
        "languages": LANGUAGES,
        "here": _current_address_without_language(),
        "presenters": presenters,
        "role_labels": ROLE_LABELS,
        "kind_labels": KIND_LABELS,
        "webcal_url": webcal_url,
        "held_dates": held_dates,
        "offered_questions": offered_questions,
        "is_sensitive": is_sensitive,
        "sensitive_consent": SENSITIVE_CONSENT,
        "countries": countries,
        "scheduled_dates": scheduled_dates,
        "is_held": is_held,
        # Texts that name a rule's value take it from the rule, never restate it.
        "default_language": DEFAULT_LANGUAGE,
        "rating_choices": RATING_CHOICES,
        "format_validity": format_validity,
        "reset_validity": RESET_VALIDITY,
        "invitation_validity": INVITATION_VALIDITY,
    }


def remember_language(response: Response, language: str) -> Response:
    """Keep the visitor's language choice in a cookie for a year."""
    response.set_cookie(
        LANGUAGE_COOKIE, language, max_age=LANGUAGE_COOKIE_AGE_S, samesite="Lax", httponly=True
    )
    return response
