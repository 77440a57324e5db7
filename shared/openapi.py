"""What the OpenAPI documents learn from the services' shared machinery rather than from each
view: the refusals any operation can answer, and which operations need a Bearer token.

Every status an operation can answer is listed: there is no catch-all ``default`` response,
so a status nobody documented is a finding, not a match."""

from __future__ import annotations

from typing import Any

from apispec import APISpec, BasePlugin
from flask import Flask
from werkzeug.routing import Rule

from shared.access import EVENT_ARGUMENT, AreaKind, area_of, is_admin_only

SECURITY_SCHEME = "organiserToken"
# Any operation: a request the server cannot read (malformed, or beyond gunicorn's limits:
# shared.gunicorn_worker answers those in the error shape too), a request target or header
# longer than the services read (shared.app), text no database can store in its input (see
# shared.storable_text), and the database busy past the lock timeout or unreachable (with
# Retry-After).
ANY_OPERATION_RESPONSES = {
    "400": "BAD_REQUEST",
    "414": "REQUEST_URI_TOO_LONG",
    "422": "UNPROCESSABLE_ENTITY",
    "431": "REQUEST_HEADER_FIELDS_TOO_LARGE",
    "503": "SERVICE_UNAVAILABLE",
}
# An operation whose path has parameters: they may name nothing.
PATH_PARAMETER_RESPONSES = {"404": "NOT_FOUND"}
# An operation reading a JSON body: not JSON at all, or beyond MAX_CONTENT_LENGTH.
BODY_RESPONSES = {"400": "BAD_REQUEST", "413": "REQUEST_ENTITY_TOO_LARGE"}
# Refusals the area's guard gives before any view runs, so the views never declare them: to
# anyone without a token, and to an organiser not running the event (or not an administrator,
# on an administrators' view).
GUARD_RESPONSES = {"401": "UNAUTHORIZED"}
EVENT_GUARD_RESPONSES = {"403": "FORBIDDEN"}


class CommonErrorDocs(BasePlugin):
    """Documents the refusals the shared error handlers give on behalf of every view, and
    the error shape of every refusal a view describes in words only."""

    def operation_helper(
        self,
        path: str | None = None,
        operations: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Add the refusals an operation can meet before or around its view."""
        for operation in (operations or {}).values():
            refusals = dict(ANY_OPERATION_RESPONSES)
            if path and "{" in path:
                refusals.update(PATH_PARAMETER_RESPONSES)
            if "requestBody" in operation:
                refusals.update(BODY_RESPONSES)
            _document(operation, refusals)
            _give_errors_their_shape(operation)


class OrganiserAreaDocs(BasePlugin):
    """Documents the Bearer token, and the guard's refusals, on every operation of a JSON
    organiser area: the protection belongs to the blueprint, and so does its description."""

    def __init__(self, app: Flask) -> None:
        self.app = app

    def init_spec(self, spec: APISpec) -> None:
        """Declare the organisers' personal token as the document's security scheme."""
        super().init_spec(spec)
        spec.components.security_scheme(
            SECURITY_SCHEME,
            {
                "type": "http",
                "scheme": "bearer",
                "description": "An organiser's personal token, issued in the organiser area",
            },
        )

    def operation_helper(
        self,
        path: str | None = None,
        operations: dict[str, Any] | None = None,
        **kwargs: Any,
    ) -> None:
        """Mark the operations of an organiser area's route as needing the token."""
        rule: Rule | None = kwargs.get("rule")
        if rule is None or rule.endpoint is None or operations is None:
            return
        if area_of(self.app, rule.endpoint) is not AreaKind.API:
            return
        refusals = dict(GUARD_RESPONSES)
        if EVENT_ARGUMENT in rule.arguments or is_admin_only(self.app, rule.endpoint):
            refusals.update(EVENT_GUARD_RESPONSES)
        for operation in operations.values():
            operation["security"] = [{SECURITY_SCHEME: []}]
            _document(operation, refusals)


def _document(operation: dict[str, Any], responses: dict[str, str]) -> None:
    # A view's own description of a status is more precise than the generic one. Views key
    # their statuses by number, so the keys are compared as text.
    documented = operation.setdefault("responses", {})
    described = {str(status) for status in documented}
    for status, response in responses.items():
        if status not in described:
            documented[status] = response


def _give_errors_their_shape(operation: dict[str, Any]) -> None:
    # A view describing a refusal in words only still answers with the one error shape.
    for status, response in operation.get("responses", {}).items():
        if str(status)[0] in "45" and isinstance(response, dict) and "content" not in response:
            response["content"] = {"application/json": {"schema": "Error"}}
