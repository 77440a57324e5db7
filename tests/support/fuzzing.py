"""Schemathesis against a service's own OpenAPI document, in-process.

Every operation is fuzzed with valid and with invalid input; half of the cases address data
that exists (the demo events, registrations made through the API, their emails) so that
requests get past the 404s. A state machine then chains operations along the links
schemathesis infers (register, then read and cancel by the manage token returned...).
Each response is checked: no server error, and its status code, content type and body as
the document says.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import hypothesis
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, Verbosity, given
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis import Case, GenerationMode
from schemathesis.checks import (
    content_type_conformance,
    not_a_server_error,
    response_schema_conformance,
    status_code_conformance,
)
from schemathesis.core.failures import Failure, ServerError

from services.registration.accounts.auth import issue_token
from services.registration.demo import load_events
from shared.database import db, utcnow
from shared.models import DeliveryStatus, EmailMessage, Organiser, Registration

OPENAPI = "/api/v1/openapi.json"
CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
]
PARTICIPANT = {
    "first_name": "Olena",
    "last_name": "Kovalenko",
    "role": "field_worker",
    "language": "uk",
    "consent": True,
    "commit_all_dates": True,
}


@dataclass(frozen=True)
class FuzzData:
    """What the fuzzed services hold: an admin's Bearer token and, per registration, the
    path parameters that address it, its tokens, group, town, event, first date and email."""

    token: str
    known: list[dict[str, Any]]

    @property
    def headers(self) -> dict[str, str]:
        """Every request is an admin's: the organiser endpoints are exercised too."""
        return {"Authorization": f"Bearer {self.token}"}


def seed(registration_app: Flask) -> FuzzData:
    """Demo events in the coming weeks, an admin with a token, one registration per group
    that takes them (made through the API) and a failed email for each."""
    with registration_app.app_context():
        session = db.session
        events = load_events(session, today=utcnow().date())
        admin = Organiser(
            email="fuzz-admin@example.org", name="Admin", password_hash="unused", is_admin=True
        )
        session.add(admin)
        session.flush()
        _api_token, token = issue_token(session, admin)
        session.commit()
        groups = [
            {
                "event_slug": event.slug,
                "group_slug": group.slug,
                "group_id": group.id,
                "town_slug": group.town_slug,
                "date_id": group.dates[0].id,
            }
            for event in events
            for group in event.groups
        ]
    client = registration_app.test_client()
    known = []
    for number, group in enumerate(groups):
        response = client.post(
            f"/api/v1/events/{group['event_slug']}/registrations",
            json={
                **PARTICIPANT,
                "group": group["group_slug"],
                "email": f"fuzz{number}@example.org",
            },
        )
        if response.status_code == 409:  # an event open to all, without registration
            continue
        assert response.status_code == 201, response.get_json()
        registration = response.get_json()
        known.append(
            {
                **group,
                "registration_id": registration["id"],
                "manage_token": registration["manage_token"],
                "token": registration["calendar_token"],
            }
        )
    with registration_app.app_context():
        for parameters in known:
            registration = db.session.get(Registration, parameters["registration_id"])
            message = failed_email(registration)
            db.session.add(message)
            db.session.flush()
            parameters["message_id"] = message.id
        db.session.commit()
    return FuzzData(token, known)


def failed_email(registration: Registration) -> EmailMessage:
    """A confirmation that could not be delivered: the delivery log's retry applies to it."""
    return EmailMessage(
        kind="confirmed",
        event_id=registration.event.id,
        registration_id=registration.id,
        recipient=registration.email,
        language=registration.language,
        status=DeliveryStatus.FAILED,
        attempts=3,
        last_error="550 mailbox unavailable",
        message_id=f"<fuzz-{registration.id}@atelier.example.org>",
        subject="Inscription confirmée",
    )


@dataclass
class Tally:
    """Requests sent and failures found for one service."""

    service: str
    requests: int = 0
    server_errors: int = 0
    schema_violations: int = 0
    failures: list[str] = field(default_factory=list)

    def record(self, error: BaseException, where: str) -> None:
        """Count the failures schemathesis raised (one group per failing case)."""
        found = getattr(error, "exceptions", (error,))
        for failure in found:
            if isinstance(failure, ServerError):
                self.server_errors += 1
            elif isinstance(failure, Failure):
                self.schema_violations += 1
            else:
                raise error
        self.failures.append(f"{where}:\n{error}")

    @property
    def summary(self) -> str:
        """One line: what was sent and what was found."""
        return (
            f"schemathesis {self.service}: {self.requests:,} requests, "
            f"{self.server_errors} server errors, {self.schema_violations} schema violations"
        )


def fuzz(
    app: Flask,
    service: str,
    data: FuzzData,
    *,
    examples: int,
    scenarios: int,
    reproducible: bool = True,
) -> Tally:
    """Fuzz every operation of ``app``'s OpenAPI document with ``examples`` valid and as
    many invalid cases, then run ``scenarios`` stateful scenarios along its links; a run
    that is not ``reproducible`` draws new cases each time."""
    schema = schemathesis.openapi.from_wsgi(OPENAPI, app)
    tally = Tally(service)
    options = hypothesis.settings(
        max_examples=examples,
        deadline=None,
        database=None,
        derandomize=reproducible,
        phases=[Phase.explicit, Phase.generate],
        verbosity=Verbosity.quiet,
        suppress_health_check=list(HealthCheck),
    )
    for result in schema.get_all_operations():
        operation = result.ok()
        for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE):
            cases = operation_cases(operation, mode, data.known)
            run = given(case=cases)(options(_sender(tally, data.headers)))
            _guarded(tally, f"{operation.label} ({mode.value})", run)
    # Building the state machine adds the links schemathesis infers to the schema.
    machine = state_machine(schema, tally, data.headers)
    if scenarios and schema.operations_with_incoming_links():
        stateful = hypothesis.settings(options, max_examples=scenarios, stateful_step_count=6)
        _guarded(tally, "stateful", lambda: machine.run(settings=stateful))
    return tally


def operation_cases(
    operation: Any, mode: GenerationMode, known: list[dict[str, Any]]
) -> st.SearchStrategy[Case]:
    """Generated cases; half of them with path parameters that name existing data."""
    names = {parameter.name for parameter in operation.path_parameters}
    generated = operation.as_strategy(generation_mode=mode)
    if not names:
        return generated
    existing = st.sampled_from(known).flatmap(
        lambda parameters: operation.as_strategy(
            generation_mode=mode,
            path_parameters={name: parameters[name] for name in names if name in parameters},
        )
    )
    return st.one_of(existing, generated)


def _sender(tally: Tally, headers: dict[str, str]) -> Callable[[Case], None]:
    def send(case: Case) -> None:
        tally.requests += 1
        case.call_and_validate(headers=headers, checks=CHECKS)

    return send


def _guarded(tally: Tally, where: str, run: Callable[[], None]) -> None:
    try:
        run()
    except Unsatisfiable:  # nothing in this operation can be made invalid
        pass
    except BaseExceptionGroup as error:
        tally.record(error, where)
    except Failure as error:
        tally.record(error, where)


def state_machine(schema: Any, tally: Tally, headers: dict[str, str]) -> type:
    """The schema's state machine, sending the admin's token and running our checks."""

    class Machine(schema.as_state_machine()):  # type: ignore[misc]
        def get_call_kwargs(self, case: Case) -> dict[str, Any]:
            return {"headers": headers}

        def after_call(self, response: Any, case: Case) -> None:
            super().after_call(response, case)
            tally.requests += 1

        def validate_response(
            self, response: Any, case: Case, additional_checks: Any = None, **kwargs: Any
        ) -> None:
            case.validate_response(
                response, checks=CHECKS, transport_kwargs=kwargs or None, recorder=self.recorder
            )

    return Machine
