"""What every service's app factory starts from: configuration, database, languages,
Redis, Celery, the OpenAPI machinery, one error shape and /healthz."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from pathlib import Path
from typing import Any

import flask_smorest
from flask import Blueprint, Flask, Request, Response, current_app, request
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask_smorest import Api
from jinja2 import ChoiceLoader, FileSystemLoader
from swagger_ui_bundle import swagger_ui_path
from webargs.flaskparser import FlaskParser
from werkzeug.exceptions import RequestHeaderFieldsTooLarge, RequestURITooLarge
from werkzeug.middleware.proxy_fix import ProxyFix
from werkzeug.routing import IntegerConverter, Map

from shared import health
from shared.access import View
from shared.config import check_production_safety, load_config
from shared.database import MAX_ROW_ID, db
from shared.errors_http import ErrorSchema, register_error_handlers
from shared.i18n import init_i18n
from shared.limits import init_limits
from shared.observability import (
    DatabaseGauges,
    configure_logging,
    init_observability,
    route_of_request,
)
from shared.openapi import CommonErrorDocs, OrganiserAreaDocs
from shared.queue import celery_init_app
from shared.redis_store import init_redis
from shared.storable_text import init_storable_text

DOCS_ASSETS_URL = "/api/v1/docs-assets"
# Templates more than one service renders (the PDF documents), after each service's own.
SHARED_TEMPLATES = Path(__file__).resolve().parent / "templates"
# gunicorn discards at most 64 KiB of a body the app left unread, then drops the keep-alive
# connection without a word, and the client's next request on it is lost. A refused body up
# to this size is read to its end instead; a larger one is a proxy's to refuse.
DRAINED_BODY_BYTES = 1024 * 1024
# The longest request target (path and query) and header value a service reads; beyond them
# it answers 414 or 431 in its error shape. gunicorn.conf.py lets through more than these.
MAX_TARGET_LENGTH = 4094
MAX_HEADER_LENGTH = 8190
DRAIN_CHUNK_BYTES = 64 * 1024


class RowIdConverter(IntegerConverter):
    """``<int:…>`` in every route: a number beyond any row id names nothing (404) rather than
    overflowing the database driver (500)."""

    def __init__(
        self,
        map: Map,
        fixed_digits: int = 0,
        min: int | None = None,
        max: int | None = MAX_ROW_ID,
        signed: bool = False,
    ) -> None:
        super().__init__(map, fixed_digits, min, max, signed)
        if max is not None and not signed and not fixed_digits:
            # werkzeug compares a rule's methods before converting its arguments: a number
            # the converter refuses would leave another method's rule as the best match, a
            # 405. Kept out of the pattern, it matches no rule at all, whatever the method.
            self.regex = _digits_up_to(max)


def _digits_up_to(limit: int) -> str:
    """A pattern for the decimal numbers from 0 to ``limit``, with no repetition that can
    backtrack: a number is shorter than the limit, or equal to it up to a smaller digit."""
    digits = str(limit)
    shorter = [rf"\d{{1,{len(digits) - 1}}}"] if len(digits) > 1 else []
    smaller = [
        f"{digits[:i]}[0-{int(digit) - 1}]"
        + (rf"\d{{{len(digits) - i - 1}}}" if i < len(digits) - 1 else "")
        for i, digit in enumerate(digits)
        if digit != "0"
    ]
    return "(?:" + "|".join([*shorter, *smaller, digits]) + ")"


class ServiceFlask(Flask):
    """A service's Flask app: each request's changes are committed once, by the app, never by
    a view; views, operations and domain functions only flush.

    A JSON API view's changes are committed as soon as it returns (:class:`ApiBlueprint`);
    any other view's once its response is made, so that an error while committing (a lock
    that could not be had) is answered by the error handlers like any other. A view that
    raised, or answered with an error status, has its changes rolled back instead.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._synchronous: dict[Callable[..., Any], Callable[..., Any]] = {}

    def dispatch_request(self) -> Response:
        """Run the view, then commit or roll back what it changed."""
        response = self.make_response(super().dispatch_request())
        db.finish_request(succeeded=response.status_code < 400)
        return response

    def log_exception(self, exc_info: Any) -> None:
        """Log a crash naming the route's template, never the path: paths carry tokens."""
        self.logger.error(
            "Exception on %s [%s]", route_of_request(), request.method, exc_info=exc_info
        )

    def ensure_sync(self, func: Callable[..., Any]) -> Callable[..., Any]:
        """Flask's answer for ``func``, worked out once per function: Flask asks it for the
        view and every hook of every request, and inspecting a function costs microseconds."""
        synchronous = self._synchronous.get(func)
        if synchronous is None:
            synchronous = self._synchronous[func] = super().ensure_sync(func)
        return synchronous


class ParsedJsonParser(FlaskParser):
    """webargs' parser, reading the JSON body Flask has already parsed (for the check of
    unstorable text, before every view) instead of parsing it a second time."""

    def _raw_load_json(self, req: Request) -> Any:
        parsed = req.get_json(silent=True) if req.is_json else None
        # None also stands for a body that is not JSON: webargs then answers it its own way.
        return parsed if parsed is not None else super()._raw_load_json(req)


class ApiBlueprint(flask_smorest.Blueprint):
    """A JSON API blueprint whose views' changes are committed as soon as they return,
    before their answer is written: a group's lock, taken by a registration, is then not held
    while the registration is serialised. A view that raised commits nothing."""

    ARGUMENTS_PARSER = ParsedJsonParser()

    def arguments(self, schema: Any, *args: Any, **kwargs: Any) -> Callable[[View], View]:
        """flask-smorest's arguments decorator, given one instance of a schema class: webargs
        would build a new instance for every request."""
        if isinstance(schema, type):
            schema = schema()
        return super().arguments(schema, *args, **kwargs)

    def response(
        self, status_code: int | str, schema: Any = None, **kwargs: Any
    ) -> Callable[[View], View]:
        """flask-smorest's response decorator, committing between the view and its answer."""
        document = super().response(status_code, schema, **kwargs)

        def decorator(view: View) -> View:
            @wraps(view)
            def committed(*args: Any, **kwargs: Any) -> Any:
                result = view(*args, **kwargs)
                db.finish_request(succeeded=True)
                return result

            return document(committed)

        return decorator


class CookieOnlySessions(SecureCookieSessionInterface):
    """Sessions read from the signed cookie only when the request carries one.

    Most requests (the APIs, calendar feeds) carry none; Flask would still build the cookie
    signer for each of them.
    """

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        """The request's session: empty without a session cookie, else the signed one."""
        sent = request.environ.get("HTTP_COOKIE") and self.get_cookie_name(app) in request.cookies
        if not sent:
            return self.session_class()
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        """Set, renew or delete the cookie, unless the request never looked at its session."""
        if session.accessed or session.modified:
            super().save_session(app, session, response)


def refuse_oversized_request() -> None:
    """Refuse a request target or a header value longer than a service reads (414, 431)."""
    wsgi_environ = request.environ
    target = wsgi_environ.get("RAW_URI") or request.full_path
    if len(target) > MAX_TARGET_LENGTH:
        raise RequestURITooLarge()
    # Read from the WSGI environment: Werkzeug's header view rebuilds every name it yields.
    if any(
        len(value) > MAX_HEADER_LENGTH
        for name, value in wsgi_environ.items()
        if name.startswith("HTTP_") or name in ("CONTENT_TYPE", "CONTENT_LENGTH")
    ):
        raise RequestHeaderFieldsTooLarge()


def drain_refused_body(response: Response) -> Response:
    """Read to its end the body of a request refused as too large (413), so that the
    client's connection stays usable for its next request."""
    if response.status_code != 413:
        return response  # every other answer, on every request: nothing to read
    length = request.content_length or 0
    if length <= DRAINED_BODY_BYTES:
        stream = request.input_stream
        while length > 0:
            chunk = stream.read(min(DRAIN_CHUNK_BYTES, length))
            if not chunk:
                break
            length -= len(chunk)
    return response


def require_https_from_now_on(response: Response) -> Response:
    """Tell a browser that reached the service over HTTPS to use nothing else (HSTS), for
    ``HSTS_MAX_AGE_S`` seconds."""
    max_age = current_app.config["HSTS_MAX_AGE_S"]
    if max_age and request.is_secure:
        response.headers.setdefault("Strict-Transport-Security", f"max-age={max_age}")
    return response


def keep_json_out_of_caches(response: Response) -> Response:
    """Mark a JSON answer ``no-store`` unless its view chose its caching: rosters,
    registrations, accounts and tokens are personal, and no cache may keep them."""
    if response.mimetype == "application/json" and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = "no-store"
    return response


class ServiceApi(Api):
    """flask-smorest's registry, documenting errors in the services' one shape, each status
    by name (no catch-all ``default`` response)."""

    ERROR_SCHEMA = ErrorSchema
    DEFAULT_ERROR_RESPONSE_NAME = None


def create_service_app(
    import_name: str,
    title: str,
    config: dict[str, Any] | None = None,
    *,
    gauges: Iterable[DatabaseGauges] = (),
) -> tuple[Flask, ServiceApi]:
    """Build a service's Flask app and its API registry from the environment and ``config``;
    ``gauges`` are the database figures its /metrics reports."""
    app = ServiceFlask(import_name)
    app.jinja_loader = ChoiceLoader([app.jinja_loader, FileSystemLoader(SHARED_TEMPLATES)])
    app.session_interface = CookieOnlySessions()
    app.url_map.converters["int"] = RowIdConverter
    # An empty path segment names nothing: merged away, it would reach another route.
    app.url_map.merge_slashes = False
    app.before_request(refuse_oversized_request)
    init_storable_text(app)
    app.after_request(drain_refused_body)
    app.after_request(keep_json_out_of_caches)
    app.after_request(require_https_from_now_on)
    app.config.update(load_config(config))
    check_production_safety(app.config)
    configure_logging(app.config["LOG_LEVEL"])
    if app.config["TRUSTED_PROXIES"]:
        hops = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops)  # type: ignore[method-assign]
    app.config.update(
        API_TITLE=f"Atelier {title}",
        API_VERSION="v1",
        OPENAPI_VERSION="3.0.3",
        OPENAPI_URL_PREFIX="/api/v1",
        OPENAPI_JSON_PATH="openapi.json",
        OPENAPI_SWAGGER_UI_PATH="docs",
        OPENAPI_SWAGGER_UI_URL=f"{DOCS_ASSETS_URL}/",
        JSON_SORT_KEYS=False,
    )
    db.init_app(app)
    init_i18n(app)
    init_redis(app)
    celery_init_app(app)
    init_limits(app)
    init_observability(app, gauges)
    api = ServiceApi(
        app, spec_kwargs={"extra_plugins": [CommonErrorDocs(), OrganiserAreaDocs(app)]}
    )
    register_error_handlers(app)
    app.register_blueprint(health.bp)
    # The API docs page loads Swagger UI from the installed package, never from a CDN.
    app.register_blueprint(
        Blueprint(
            "docs_assets", __name__, static_folder=swagger_ui_path, static_url_path=DOCS_ASSETS_URL
        )
    )
    return app, api
